/* The PETSc calls swift-op2 needs that Swift cannot express directly, as `static inline` helpers
 * prefixed `op2shim_` (the model is swift-numerics' _NumericsShims). PETSC_COMM_SELF, MATSEQAIJ
 * and KSPConvergedReasons are macros or shifted tables; the element-matrix insertion callback
 * must be a C function whose address the generated wrappers receive, so that wrappers never link
 * PETSc. Not API: the only importer is Sources/OP2/LinearAlgebra/PETSc+Unsafe.swift.
 *
 * Two kinds of matrix: sequential (MATSEQAIJ on PETSC_COMM_SELF, inserted with global = local
 * indices through op2shim_mat_add) and distributed (MATMPIAIJ on a set's communicator, with a
 * local-to-global mapping over every local node, owned and halo, inserted through
 * op2shim_mat_add_local). Two callbacks rather than a flag, so that the sequential path pays
 * nothing per element matrix for the distributed one. */
#ifndef OP2SHIM_PETSC_H
#define OP2SHIM_PETSC_H
#include <mpi.h>
#include <petscksp.h>
#include <stdlib.h>
#include <string.h>

/* PetscInitialize without arguments (PETSC_OPTIONS and ~/.petscrc are still read), and the
 * return-quietly error handler, so that errors come back as codes. MPI must be running already:
 * the Swift side starts it first (MPI_Init_thread with MPI_THREAD_MULTIPLE), so that PETSc
 * neither initialises nor finalises it. */
static inline PetscErrorCode op2shim_petsc_initialize(void) {
  int initialized = 0;
  if (MPI_Initialized(&initialized) != MPI_SUCCESS || !initialized) return PETSC_ERR_MPI;
  PetscBool done = PETSC_FALSE;
  PetscErrorCode e = PetscInitialized(&done);
  if (e) return e;
  if (!done) {
    e = PetscInitializeNoArguments();
    if (e) return e;
  }
  return PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
}

/* PetscFinalize, unless PETSc is not running (or already finished). */
static inline void op2shim_petsc_finalize(void) {
  PetscBool initialized = PETSC_FALSE, finalized = PETSC_TRUE;
  PetscInitialized(&initialized);
  PetscFinalized(&finalized);
  if (initialized && !finalized) PetscFinalize();
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

/* The node-level CSR pattern (rowptr, colidx) of `rows` row nodes expanded to scalar rows:
 * `rdim` rows per node, `cdim` columns per column node. Free *ip and *jp with PetscFree. */
static inline PetscErrorCode op2shim_csr_expand(PetscInt rows, PetscInt rdim, PetscInt cdim, const PetscInt *rowptr,
                                                const PetscInt *colidx, PetscInt **ip, PetscInt **jp) {
  PetscInt nnz = rowptr[rows] * cdim;
  PetscErrorCode e = PetscMalloc1(rows * rdim + 1, ip);
  if (e) return e;
  e = PetscMalloc1(nnz * rdim + 1, jp);
  if (e) { PetscFree(*ip); return e; }
  PetscInt k = 0;
  (*ip)[0] = 0;
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt a = 0; a < rdim; a++) {
      for (PetscInt q = rowptr[r]; q < rowptr[r + 1]; q++)
        for (PetscInt b = 0; b < cdim; b++) (*jp)[k++] = colidx[q] * cdim + b;
      (*ip)[r * rdim + a + 1] = k;
    }
  return 0;
}

/* A local-to-global mapping of `n` local nodes with global node numbers `numbers`: block size
 * `dim` when `blocked` (MatSetValuesBlockedLocal then takes node indices), else scalar indices
 * number*dim + component (MatSetValuesLocal takes scalar ones). */
static inline PetscErrorCode op2shim_ltog_create(MPI_Comm comm, PetscInt n, PetscInt dim, PetscBool blocked,
                                                 const PetscInt *numbers, ISLocalToGlobalMapping *out) {
  if (blocked || dim == 1) return ISLocalToGlobalMappingCreate(comm, dim, n, numbers, PETSC_COPY_VALUES, out);
  PetscInt *scalar = NULL;
  PetscErrorCode e = PetscMalloc1(n * dim + 1, &scalar);
  if (e) return e;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt a = 0; a < dim; a++) scalar[i * dim + a] = numbers[i] * dim + a;
  return ISLocalToGlobalMappingCreate(comm, 1, n * dim, scalar, PETSC_OWN_POINTER, out);
}

/* A preallocated AIJ matrix, every pattern entry stored (as zero) and new nonzero locations
 * errors: `rows` x `cols` nodes here, `grows` x `gcols` nodes in all, `rdim` x `cdim` values per
 * node pair, from the node-level CSR pattern (rowptr, colidx) of the rows here, expanded to scalar
 * rows. Equal dims > 1 set the block size, so that MatSetValuesBlocked works and GAMG sees the
 * blocks (AIJ, not BAIJ: PETSc 3.18's GAMG rejects BAIJ, "No method creategraph").
 *
 * With `rnumbers` NULL: a MATSEQAIJ matrix on PETSC_COMM_SELF (rows == grows, cols == gcols).
 * Otherwise a MATMPIAIJ matrix on `comm`, with `colidx` in the global node numbering, ascending in
 * each row (MatMPIAIJSetPreallocationCSR splits the diagonal and off-diagonal blocks), and
 * `rnumbers` (`rtotal` of them) and `cnumbers` (`ctotal`) the global numbers of every local row and
 * column node, owned then halo: the local-to-global mappings of MatSetValuesLocal and
 * MatZeroRowsLocal. Entries for rows owned elsewhere are dropped (MAT_IGNORE_OFF_PROC_ENTRIES):
 * every owned row gets all its contributions here, from the elements this rank executes. */
static inline PetscErrorCode op2shim_mat_create(MPI_Comm comm, PetscInt rows, PetscInt cols, PetscInt grows,
                                                PetscInt gcols, PetscInt rdim, PetscInt cdim,
                                                const PetscInt *rowptr, const PetscInt *colidx,
                                                PetscInt rtotal, const PetscInt *rnumbers,
                                                PetscInt ctotal, const PetscInt *cnumbers, Mat *out) {
  Mat A;
  ISLocalToGlobalMapping rmap = NULL, cmap = NULL;
  PetscBool distributed = rnumbers != NULL ? PETSC_TRUE : PETSC_FALSE;
  PetscBool blocked = rdim == cdim && rdim > 1 ? PETSC_TRUE : PETSC_FALSE;
  PetscErrorCode e = MatCreate(distributed ? comm : PETSC_COMM_SELF, &A);
  if (e) return e;
  e = MatSetSizes(A, rows * rdim, cols * cdim, grows * rdim, gcols * cdim);
  if (e) goto fail;
  e = MatSetType(A, distributed ? MATMPIAIJ : MATSEQAIJ);
  if (e) goto fail;
  if (blocked) {
    e = MatSetBlockSize(A, rdim);
    if (e) goto fail;
  }
  if (rdim == 1 && cdim == 1) {
    e = distributed ? MatMPIAIJSetPreallocationCSR(A, rowptr, colidx, NULL) : MatSeqAIJSetPreallocationCSR(A, rowptr, colidx, NULL);
  } else {
    PetscInt *ip = NULL, *jp = NULL;
    e = op2shim_csr_expand(rows, rdim, cdim, rowptr, colidx, &ip, &jp);
    if (e) goto fail;
    e = distributed ? MatMPIAIJSetPreallocationCSR(A, ip, jp, NULL) : MatSeqAIJSetPreallocationCSR(A, ip, jp, NULL);
    PetscFree(ip);
    PetscFree(jp);
  }
  if (e) goto fail;
  if (distributed) {
    e = op2shim_ltog_create(comm, rtotal, rdim, blocked, rnumbers, &rmap);
    if (e) goto fail;
    e = op2shim_ltog_create(comm, ctotal, cdim, blocked, cnumbers, &cmap);
    if (e) goto fail;
    e = MatSetLocalToGlobalMapping(A, rmap, cmap);
    ISLocalToGlobalMappingDestroy(&rmap);
    ISLocalToGlobalMappingDestroy(&cmap);
    if (e) goto fail;
    e = MatSetOption(A, MAT_IGNORE_OFF_PROC_ENTRIES, PETSC_TRUE);
    if (e) goto fail;
  }
  e = MatSetOption(A, MAT_NEW_NONZERO_LOCATION_ERR, PETSC_TRUE);
  if (e) goto fail;
  e = MatSetOption(A, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE);
  if (e) goto fail;
  e = MatSetOption(A, MAT_KEEP_NONZERO_PATTERN, PETSC_TRUE);
  if (e) goto fail;
  *out = A;
  return 0;
fail:
  ISLocalToGlobalMappingDestroy(&rmap);
  ISLocalToGlobalMappingDestroy(&cmap);
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

/* Whether an insertion in `c`'s mode may go ahead: not after an earlier error, and after a flush
 * when the previous insertion used the other mode (PETSc cannot mix ADD_VALUES and INSERT_VALUES
 * without a flush assembly in between). */
static inline int op2shim_mat_begin_insertion(op2shim_mat_context *c) {
  if (c->state->error) return 0;
  if (c->state->lastMode != NOT_SET_VALUES && c->state->lastMode != c->mode) {
    PetscErrorCode e = MatAssemblyBegin(c->mat, MAT_FLUSH_ASSEMBLY);
    if (!e) e = MatAssemblyEnd(c->mat, MAT_FLUSH_ASSEMBLY);
    if (e) { op2shim_mat_record_error(c->state, e); return 0; }
  }
  c->state->lastMode = c->mode;
  return 1;
}

/* Adds (or inserts) the element matrix `values`, row-major, (nrows*rdim) x (ncols*cdim), at node
 * rows `rows` and node columns `cols`: global indices, or with `local` local ones mapped by the
 * Mat's local-to-global mappings. `local` is a constant in each caller below, so each is compiled
 * with one branch only. */
static inline void op2shim_mat_insert(op2shim_mat_context *c, int local, int nrows, const int *rows, int ncols,
                                      const int *cols, const double *values) {
  if (!op2shim_mat_begin_insertion(c)) return;
  PetscErrorCode e = 0;
  if (c->rdim == c->cdim && c->rdim > 1) {
    e = local ? MatSetValuesBlockedLocal(c->mat, nrows, rows, ncols, cols, values, c->mode)
              : MatSetValuesBlocked(c->mat, nrows, rows, ncols, cols, values, c->mode);
  } else if (c->rdim == 1 && c->cdim == 1) {
    e = local ? MatSetValuesLocal(c->mat, nrows, rows, ncols, cols, values, c->mode)
              : MatSetValues(c->mat, nrows, rows, ncols, cols, values, c->mode);
  } else {
    /* Different dims: expand node indices to scalar rows and columns. */
    PetscInt r[nrows * c->rdim], q[ncols * c->cdim];
    for (int i = 0; i < nrows; i++)
      for (PetscInt a = 0; a < c->rdim; a++) r[i * c->rdim + a] = rows[i] * c->rdim + a;
    for (int j = 0; j < ncols; j++)
      for (PetscInt b = 0; b < c->cdim; b++) q[j * c->cdim + b] = cols[j] * c->cdim + b;
    e = local ? MatSetValuesLocal(c->mat, nrows * c->rdim, r, ncols * c->cdim, q, values, c->mode)
              : MatSetValues(c->mat, nrows * c->rdim, r, ncols * c->cdim, q, values, c->mode);
  }
  if (e) op2shim_mat_record_error(c->state, e);
}

/* The insertion callback of generated wrappers for a sequential Mat (global = local indices). */
static inline void op2shim_mat_add(void *ctx, int nrows, const int *rows, int ncols, const int *cols,
                                   const double *values) {
  op2shim_mat_insert((op2shim_mat_context *)ctx, 0, nrows, rows, ncols, cols, values);
}

/* The same for a distributed Mat: `rows` and `cols` are local node indices (owned, then halo);
 * rows owned by other ranks are dropped. */
static inline void op2shim_mat_add_local(void *ctx, int nrows, const int *rows, int ncols, const int *cols,
                                         const double *values) {
  op2shim_mat_insert((op2shim_mat_context *)ctx, 1, nrows, rows, ncols, cols, values);
}

typedef void (*op2shim_mat_add_function)(void *, int, const int *, int, const int *, const double *);
static inline op2shim_mat_add_function op2shim_mat_add_pointer(void) { return op2shim_mat_add; }
static inline op2shim_mat_add_function op2shim_mat_add_local_pointer(void) { return op2shim_mat_add_local; }

/* A flush assembly (MAT_FLUSH_ASSEMBLY), which must separate ADD_VALUES and INSERT_VALUES; for a
 * distributed Mat every rank calls it together. Clears the state's insertion mode. */
static inline PetscErrorCode op2shim_mat_flush(Mat mat, op2shim_mat_state *state) {
  PetscErrorCode e = MatAssemblyBegin(mat, MAT_FLUSH_ASSEMBLY);
  if (!e) e = MatAssemblyEnd(mat, MAT_FLUSH_ASSEMBLY);
  state->lastMode = NOT_SET_VALUES;
  return e;
}

static inline PetscErrorCode op2shim_vec_wrap(PetscInt bs, PetscInt n, double *array, Vec *out) {
  return VecCreateSeqWithArray(PETSC_COMM_SELF, bs, n, array, out);
}

/* A Vec on `comm` over this rank's `n` owned values of `N` in all, without a copy. */
static inline PetscErrorCode op2shim_vec_wrap_mpi(MPI_Comm comm, PetscInt bs, PetscInt n, PetscInt N, double *array,
                                                  Vec *out) {
  return VecCreateMPIWithArray(comm, bs, n, N, array, out);
}

/* The communicator of a Mat or a KSP: PETSc's inner duplicate of the one it was created on. */
static inline MPI_Comm op2shim_mat_comm(Mat mat) { return PetscObjectComm((PetscObject)mat); }
static inline MPI_Comm op2shim_ksp_comm(KSP ksp) { return PetscObjectComm((PetscObject)ksp); }

/* Whether PETSc is running: initialised and not yet finalised (objects may be destroyed). */
static inline int op2shim_petsc_is_running(void) {
  PetscBool initialized = PETSC_FALSE, finalized = PETSC_TRUE;
  PetscInitialized(&initialized);
  PetscFinalized(&finalized);
  return initialized && !finalized;
}
#endif
