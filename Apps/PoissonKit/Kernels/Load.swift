public import OP2

extension PoissonKernels {
  /// The P1 load vector `b[i] += ∫_T f λᵢ` for `f = 2π² sin(πx) sin(πy)`, the right-hand side
  /// of the manufactured solution `u = sin(πx) sin(πy)`.
  public static let load = Kernel(code: quadrature + """

    void poisson_load(double *b[3], const double *x[3]) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      double area = 0.5 * fabs(det);
      for (int q = 0; q < 7; q++) {
        double l[3] = {poisson_qp[q][0], poisson_qp[q][1], poisson_qp[q][2]};
        double px = l[0] * x[0][0] + l[1] * x[1][0] + l[2] * x[2][0];
        double py = l[0] * x[0][1] + l[1] * x[1][1] + l[2] * x[2][1];
        double f = 2.0 * M_PI * M_PI * sin(M_PI * px) * sin(M_PI * py);
        for (int i = 0; i < 3; i++) b[i][0] += poisson_qw[q] * area * f * l[i];
      }
    }
    """, name: "poisson_load")
}
