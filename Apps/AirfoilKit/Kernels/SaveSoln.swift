public import OP2

extension AirfoilKernels {
  /// `qold = q` for one cell.
  public static let saveSoln = Kernel(code: """
    void save_soln(const double *q, double *qold) {
      for (int n = 0; n < 4; n++) qold[n] = q[n];
    }
    """, name: "save_soln")
}
