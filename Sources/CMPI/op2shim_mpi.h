/* The MPI calls swift-op2 makes, as `static inline` helpers prefixed `op2shim_`.
 * MPI_COMM_WORLD, the datatypes and the reduction operations are macros (pointers to library
 * globals in Open MPI), which Swift cannot import; these functions expose them. Not API: the only
 * importers are the *+Unsafe.swift files of the OP2 target. */
#ifndef OP2SHIM_MPI_H
#define OP2SHIM_MPI_H
#include <mpi.h>
#include <stdlib.h>

static inline MPI_Comm op2shim_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm op2shim_mpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm op2shim_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline int op2shim_mpi_success(void) { return MPI_SUCCESS; }
static inline int op2shim_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info op2shim_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Request op2shim_mpi_request_null(void) { return MPI_REQUEST_NULL; }

/* Datatypes: 0 byte, 1 double, 2 float, 3 int (32-bit), 4 long (64-bit), 5 unsigned long long. */
static inline MPI_Datatype op2shim_mpi_type(int code) {
  switch (code) {
  case 1: return MPI_DOUBLE;
  case 2: return MPI_FLOAT;
  case 3: return MPI_INT;
  case 4: return MPI_LONG;
  case 5: return MPI_UNSIGNED_LONG_LONG;
  default: return MPI_BYTE;
  }
}

/* Reductions: 0 sum, 1 min, 2 max. */
static inline MPI_Op op2shim_mpi_op(int code) {
  switch (code) {
  case 1: return MPI_MIN;
  case 2: return MPI_MAX;
  default: return MPI_SUM;
  }
}

static inline void *op2shim_mpi_in_place(void) { return MPI_IN_PLACE; }

/* Not started by mpirun: tell Open MPI not to fork its `orted` helper for a singleton. The helper
 * inherits the process's file descriptors and can outlive it, so a parent reading the process's
 * output to end of file would wait for it (and start-up is faster without it). */
static inline void op2shim_mpi_prefer_isolated_singleton(void) {
  if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK")) setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
}

/* MPI_Init_thread(MPI_THREAD_MULTIPLE) unless MPI is already initialised; returns an MPI error
 * code. swift-op2 itself makes MPI calls from one thread at a time (the program's), never from the
 * threads that run wrappers; but Debian's PT-Scotch is built with threads that call MPI
 * concurrently (its graph folding) without checking the thread level, which under
 * MPI_THREAD_SERIALIZED crashed inside MPI_Allreduce now and then. */
static inline int op2shim_mpi_init_if_needed(void) {
  int initialized = 0;
  int rc = MPI_Initialized(&initialized);
  if (rc != MPI_SUCCESS || initialized) return rc;
  op2shim_mpi_prefer_isolated_singleton();
  int provided = 0;
  return MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
}

static inline int op2shim_mpi_is_finalized(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized;
}

static inline int op2shim_mpi_is_initialized(void) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  return initialized;
}

/* Waits for `count` requests (ignoring their statuses). */
static inline int op2shim_mpi_waitall(int count, MPI_Request *requests) {
  return MPI_Waitall(count, requests, MPI_STATUSES_IGNORE);
}

/* A blocking receive whose status is ignored. */
static inline int op2shim_mpi_recv(void *buffer, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm) {
  return MPI_Recv(buffer, count, type, source, tag, comm, MPI_STATUS_IGNORE);
}
#endif
