/* The MPI calls swift-op2 makes, as `static inline` helpers prefixed `op2shim_`.
 * MPI_COMM_WORLD and friends are macros (pointers to library globals in Open MPI), which Swift
 * cannot import; these functions expose them. Not API: the only importers are the *+Unsafe.swift
 * files of the OP2 target. */
#ifndef OP2SHIM_MPI_H
#define OP2SHIM_MPI_H
#include <mpi.h>

static inline MPI_Comm op2shim_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm op2shim_mpi_comm_self(void) { return MPI_COMM_SELF; }
static inline int op2shim_mpi_success(void) { return MPI_SUCCESS; }

/* MPI_Init(NULL, NULL) unless MPI is already initialised; returns an MPI error code. */
static inline int op2shim_mpi_init_if_needed(void) {
  int initialized = 0;
  int rc = MPI_Initialized(&initialized);
  if (rc != MPI_SUCCESS || initialized) return rc;
  return MPI_Init(NULL, NULL);
}
#endif
