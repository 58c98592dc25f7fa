/* The OpenCL 1.2 API swift-op2 uses (through the ICD loader libOpenCL, Debian's
 * ocl-icd-opencl-dev; headers from opencl-c-headers), with `static inline` helpers prefixed
 * `op2shim_` for what Swift cannot spell: the bitfield and enum constants as plain integers,
 * and the binary-pointer array of clCreateProgramWithBinary. Version 1.2 keeps the generated
 * code and the host calls within what every OpenCL driver (PoCL, NVIDIA, AMD, Intel) offers.
 * Not API: the only importer is Sources/OP2/Backends/OpenCL/OpenCL+Unsafe.swift. */
#ifndef OP2SHIM_OPENCL_H
#define OP2SHIM_OPENCL_H
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <stddef.h>

static inline cl_device_type op2shim_cl_device_type_all(void) { return CL_DEVICE_TYPE_ALL; }
static inline cl_mem_flags op2shim_cl_mem_read_write(void) { return CL_MEM_READ_WRITE; }
static inline cl_mem_flags op2shim_cl_mem_read_only(void) { return CL_MEM_READ_ONLY; }

/* One-binary form of clCreateProgramWithBinary. */
static inline cl_program op2shim_cl_program_with_binary(cl_context context, cl_device_id device,
    size_t length, const unsigned char *binary, cl_int *status, cl_int *error) {
  return clCreateProgramWithBinary(context, 1, &device, &length, &binary, status, error);
}

/* The binary of a program built for one device (length from CL_PROGRAM_BINARY_SIZES first). */
static inline cl_int op2shim_cl_program_binary(cl_program program, unsigned char *into) {
  return clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof(unsigned char *), &into, NULL);
}
#endif
