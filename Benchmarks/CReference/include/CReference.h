#ifndef CREFERENCE_H
#define CREFERENCE_H
/// Plain C loops measured beside the generated ones in the same run.
void creference_triad(long n, double *restrict a, const double *restrict b, const double *restrict c, double s);
#endif
