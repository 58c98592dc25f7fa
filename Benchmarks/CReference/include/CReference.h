#ifndef CREFERENCE_H
#define CREFERENCE_H
/// Plain C loops measured beside the generated ones in the same run.
void creference_triad(long n, double *restrict a, const double *restrict b, const double *restrict c, double s);
/// P1 Laplacian assembly into a PETSc AIJ matrix with the given CSR pattern: best seconds of
/// `repeats` (element kernel + MatSetValues per triangle + final assembly); -1 on a PETSc error.
/// `frobenius` receives the assembled matrix's Frobenius norm. PETSc must be initialised.
double creference_p1_assembly(long ncells, long nnodes, const int *c2n, const double *x, const int *rowptr,
                              const int *colidx, int repeats, double *frobenius);
#endif
