/* P1 Laplacian assembly in plain C with PETSc: the baseline of `op2-bench assembly`.
 * The same element kernel as PoissonKit's poisson_stiffness, called per triangle, then
 * MatSetValues(ADD_VALUES) and MatAssemblyBegin/End, into a matrix preallocated with the same
 * CSR pattern as swift-op2's Sparsity. PETSc must already be initialised. */
#include <math.h>
#include <petscmat.h>
#include <time.h>
#include "CReference.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static inline void stiffness(double A[3][3], const double *x[3]) {
  double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
  double gx[3] = {(x[1][1] - x[2][1]) / det, (x[2][1] - x[0][1]) / det, (x[0][1] - x[1][1]) / det};
  double gy[3] = {(x[2][0] - x[1][0]) / det, (x[0][0] - x[2][0]) / det, (x[1][0] - x[0][0]) / det};
  double area = 0.5 * fabs(det);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) A[i][j] = area * (gx[i] * gx[j] + gy[i] * gy[j]);
}

double creference_p1_assembly(long ncells, long nnodes, const int *c2n, const double *x, const int *rowptr,
                              const int *colidx, int repeats, double *frobenius) {
  PetscBool up = PETSC_FALSE;
  PetscInitialized(&up);
  if (!up) return -1;
  Mat A;
  if (MatCreate(PETSC_COMM_SELF, &A) || MatSetSizes(A, nnodes, nnodes, nnodes, nnodes) || MatSetType(A, MATSEQAIJ) ||
      MatSeqAIJSetPreallocationCSR(A, rowptr, colidx, NULL) || MatSetOption(A, MAT_NEW_NONZERO_LOCATION_ERR, PETSC_TRUE))
    return -1;
  double best = INFINITY;
  for (int r = 0; r < repeats; r++) {
    if (MatZeroEntries(A)) return -1;
    double t = now();
    for (long e = 0; e < ncells; e++) {
      const int *rows = c2n + 3 * e;
      const double *xe[3] = {x + 2 * rows[0], x + 2 * rows[1], x + 2 * rows[2]};
      double Ae[3][3];
      stiffness(Ae, xe);
      if (MatSetValues(A, 3, rows, 3, rows, &Ae[0][0], ADD_VALUES)) return -1;
    }
    if (MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY) || MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY)) return -1;
    t = now() - t;
    if (t < best) best = t;
  }
  PetscReal norm = 0;
  MatNorm(A, NORM_FROBENIUS, &norm);
  *frobenius = norm;
  MatDestroy(&A);
  return best;
}
