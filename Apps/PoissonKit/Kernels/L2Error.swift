public import OP2

extension PoissonKernels {
  /// Adds `∫_T (u_h − u)²` to `error`, with `u = sin(πx) sin(πy)` the exact solution.
  public static let l2Error = Kernel(code: quadrature + """

    void poisson_l2_error(const double *u[3], const double *x[3], double *error) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      double area = 0.5 * fabs(det);
      for (int q = 0; q < 7; q++) {
        double l[3] = {poisson_qp[q][0], poisson_qp[q][1], poisson_qp[q][2]};
        double px = l[0] * x[0][0] + l[1] * x[1][0] + l[2] * x[2][0];
        double py = l[0] * x[0][1] + l[1] * x[1][1] + l[2] * x[2][1];
        double uh = l[0] * u[0][0] + l[1] * u[1][0] + l[2] * u[2][0];
        double e = uh - sin(M_PI * px) * sin(M_PI * py);
        *error += poisson_qw[q] * area * e * e;
      }
    }
    """, name: "poisson_l2_error")
}
