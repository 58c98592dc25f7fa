public import OP2

extension AirfoilKernels {
  /// Counts the NaN and infinite values of a 4-component cell Dat into a sum (not one of OP2's
  /// airfoil kernels: used to find the loop where a diverging run first went wrong).
  public static let countNonFinite4 = Kernel(code: """
    void count_nonfinite4(const double *v, double *count) {
      for (int n = 0; n < 4; n++) {
        if (!isfinite(v[n])) *count += 1.0;
      }
    }
    """, name: "count_nonfinite4")

  /// As ``countNonFinite4`` for a 1-component cell Dat.
  public static let countNonFinite1 = Kernel(code: """
    void count_nonfinite1(const double *v, double *count) {
      if (!isfinite(v[0])) *count += 1.0;
    }
    """, name: "count_nonfinite1")
}
