/* The PETSc calls swift-op2 needs that Swift cannot express directly, as `static inline` helpers
 * prefixed `op2shim_` (the model is swift-numerics' _NumericsShims). PETSC_COMM_SELF, MATSEQAIJ
 * and KSPConvergedReasons are macros or shifted tables; the element-matrix insertion callback
 * must be a C function whose address the generated wrappers receive, so that wrappers never link
 * PETSc. Not API: the only importer is Sources/OP2/LinearAlgebra/PETSc+Unsafe.swift. */
#ifndef OP2SHIM_PETSC_H
#define OP2SHIM_PETSC_H
#include <mpi.h>
#include <petscksp.h>
#include <stdlib.h>
#include <string.h>

/* MPI_Init (if needed), PetscInitialize without arguments (PETSC_OPTIONS and ~/.petscrc are still
 * read), and the return-quietly error handler, so that errors come back as codes. */
static inline PetscErrorCode op2shim_petsc_initialize(void) {
  int initialized = 0;
  if (MPI_Initialized(&initialized) != MPI_SUCCESS) return PETSC_ERR_MPI;
  if (!initialized) {
    /* Not started by mpirun: tell Open MPI not to fork its `orted` helper for a singleton. The
     * helper inherits the process's file descriptors and can outlive it, so a parent reading the
     * process's output to end of file would wait for it (and start-up is faster without it). */
    if (!getenv("OMPI_COMM_WORLD_SIZE") && !getenv("PMIX_RANK")) setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) return PETSC_ERR_MPI;
  }
  PetscBool done = PETSC_FALSE;
  PetscErrorCode e = PetscInitialized(&done);
  if (e) return e;
  if (!done) {
    e = PetscInitializeNoArguments();
    if (e) return e;
  }
  return PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
}

/* The generic text of an error code and the message of the most recent error. */
static inline void op2shim_petsc_error_message(PetscErrorCode code, const char **text, const char **specific) {
  char *s = NULL;
  *text = NULL;
  PetscErrorMessage(code, text, &s);
  *specific = s;
}

static inline MPI_Comm op2shim_petsc_comm_self(void) { return PETSC_COMM_SELF; }

/* The name of a KSPConvergedReason, such as "DIVERGED_ITS". */
static inline const char *op2shim_ksp_reason_name(int reason) {
  if (reason < -11 || reason > 9) return "UNKNOWN";
  const char *name = KSPConvergedReasons[reason];
  return name ? name : "UNKNOWN";
}

/* A preallocated sequential AIJ matrix of `rows` x `cols` nodes with `rdim` x `cdim` values per
 * node pair, from the node-level (block) CSR pattern (rowptr, colidx), expanded to scalar rows.
 * Equal dims > 1 set the block size, so that MatSetValuesBlocked works and GAMG sees the blocks
 * (PETSc 3.18's GAMG does not take BAIJ matrices). Every pattern entry is stored (as zero) and
 * new nonzero locations are errors. */
static inline PetscErrorCode op2shim_mat_create(PetscInt rows, PetscInt cols, PetscInt rdim, PetscInt cdim,
                                                const PetscInt *rowptr, const PetscInt *colidx, Mat *out) {
  Mat A;
  PetscErrorCode e = MatCreate(PETSC_COMM_SELF, &A);
  if (e) return e;
  e = MatSetSizes(A, rows * rdim, cols * cdim, rows * rdim, cols * cdim);
  if (e) goto fail;
  e = MatSetType(A, MATSEQAIJ);
  if (e) goto fail;
  if (rdim == cdim && rdim > 1) {
    e = MatSetBlockSize(A, rdim);
    if (e) goto fail;
  }
  if (rdim == 1 && cdim == 1) {
    e = MatSeqAIJSetPreallocationCSR(A, rowptr, colidx, NULL);
  } else {
    PetscInt nnz = rowptr[rows] * cdim;
    PetscInt *ip = NULL, *jp = NULL;
    e = PetscMalloc1(rows * rdim + 1, &ip);
    if (e) goto fail;
    e = PetscMalloc1(nnz * rdim + 1, &jp);
    if (e) { PetscFree(ip); goto fail; }
    PetscInt k = 0;
    ip[0] = 0;
    for (PetscInt r = 0; r < rows; r++)
      for (PetscInt a = 0; a < rdim; a++) {
        for (PetscInt q = rowptr[r]; q < rowptr[r + 1]; q++)
          for (PetscInt b = 0; b < cdim; b++) jp[k++] = colidx[q] * cdim + b;
        ip[r * rdim + a + 1] = k;
      }
    e = MatSeqAIJSetPreallocationCSR(A, ip, jp, NULL);
    PetscFree(ip);
    PetscFree(jp);
  }
  if (e) goto fail;
  e = MatSetOption(A, MAT_NEW_NONZERO_LOCATION_ERR, PETSC_TRUE);
  if (e) goto fail;
  e = MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE);
  if (e) goto fail;
  e = MatSetOption(A, MAT_KEEP_NONZERO_PATTERN, PETSC_TRUE);
  if (e) goto fail;
  *out = A;
  return 0;
fail:
  MatDestroy(&A);
  return e;
}

/* Shared by a Mat's insertion contexts. */
typedef struct {
  InsertMode lastMode;   /* the mode of the latest insertion, NOT_SET_VALUES after assembly */
  PetscErrorCode error;  /* the first insertion error, reported when the Mat is assembled */
  char message[256];     /* PETSc's message for it */
} op2shim_mat_state;

/* What a generated wrapper's Mat argument points at: one per Mat and insert mode. */
typedef struct {
  Mat mat;
  InsertMode mode;           /* ADD_VALUES (INC) or INSERT_VALUES (WRITE) */
  PetscInt rdim, cdim;       /* values per row node and per column node */
  op2shim_mat_state *state;
} op2shim_mat_context;

static inline void op2shim_mat_record_error(op2shim_mat_state *state, PetscErrorCode e) {
  const char *text = NULL;
  char *specific = NULL;
  PetscErrorMessage(e, &text, &specific);
  state->error = e;
  strncpy(state->message, specific ? specific : "", sizeof state->message - 1);
  state->message[sizeof state->message - 1] = 0;
}

/* The insertion callback of generated wrappers: adds (or inserts) the element matrix `values`,
 * row-major, (nrows*rdim) x (ncols*cdim), at node rows `rows` and node columns `cols`. */
static inline void op2shim_mat_add(void *ctx, int nrows, const int *rows, int ncols, const int *cols,
                                   const double *values) {
  op2shim_mat_context *c = (op2shim_mat_context *)ctx;
  if (c->state->error) return;
  PetscErrorCode e = 0;
  if (c->state->lastMode != NOT_SET_VALUES && c->state->lastMode != c->mode) {
    /* PETSc cannot mix ADD_VALUES and INSERT_VALUES without a flush assembly in between. */
    e = MatAssemblyBegin(c->mat, MAT_FLUSH_ASSEMBLY);
    if (!e) e = MatAssemblyEnd(c->mat, MAT_FLUSH_ASSEMBLY);
    if (e) { op2shim_mat_record_error(c->state, e); return; }
  }
  c->state->lastMode = c->mode;
  if (c->rdim == c->cdim) {
    e = c->rdim == 1 ? MatSetValues(c->mat, nrows, rows, ncols, cols, values, c->mode)
                     : MatSetValuesBlocked(c->mat, nrows, rows, ncols, cols, values, c->mode);
  } else {
    PetscInt r[nrows * c->rdim], q[ncols * c->cdim];
    for (int i = 0; i < nrows; i++)
      for (PetscInt a = 0; a < c->rdim; a++) r[i * c->rdim + a] = rows[i] * c->rdim + a;
    for (int j = 0; j < ncols; j++)
      for (PetscInt b = 0; b < c->cdim; b++) q[j * c->cdim + b] = cols[j] * c->cdim + b;
    e = MatSetValues(c->mat, nrows * c->rdim, r, ncols * c->cdim, q, values, c->mode);
  }
  if (e) op2shim_mat_record_error(c->state, e);
}

typedef void (*op2shim_mat_add_function)(void *, int, const int *, int, const int *, const double *);
static inline op2shim_mat_add_function op2shim_mat_add_pointer(void) { return op2shim_mat_add; }

static inline PetscErrorCode op2shim_vec_wrap(PetscInt bs, PetscInt n, double *array, Vec *out) {
  return VecCreateSeqWithArray(PETSC_COMM_SELF, bs, n, array, out);
}
#endif
