public import OP2

extension PoissonKernels {
  /// The P1 element stiffness matrix `A[i][j] = |T| ∇λᵢ·∇λⱼ` of triangle `x[0..2]`
  /// (either orientation). `A` is the local element matrix of a `Mat` argument, row-major.
  public static let stiffness = Kernel(code: """
    void poisson_stiffness(double A[3][3], const double *x[3]) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      double gx[3] = {(x[1][1] - x[2][1]) / det, (x[2][1] - x[0][1]) / det, (x[0][1] - x[1][1]) / det};
      double gy[3] = {(x[2][0] - x[1][0]) / det, (x[0][0] - x[2][0]) / det, (x[1][0] - x[0][0]) / det};
      double area = 0.5 * fabs(det);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) A[i][j] = area * (gx[i] * gx[j] + gy[i] * gy[j]);
    }
    """, name: "poisson_stiffness")
}
