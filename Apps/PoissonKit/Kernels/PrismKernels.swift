public import OP2

/// The kernels of the P1 prism Poisson problem (``ExtrudedPoissonProblem``): each prism is a base
/// triangle times a layer `[z0, z0 + h]`, its six nodes the triangle's three at the bottom (slots
/// 0–2) then at the top (slots 3–5). The shape functions are `λᵢ(x, y) ψₐ(z)` with the
/// triangle's barycentric `λᵢ` and `ψ₀ = 1 − t`, `ψ₁ = t`, `t = (z − z0)/h`, so every integral
/// factors into a triangle part and a layer part.
public enum PrismKernels {
  /// Shared C: the triangle's area and gradients, the layer's thickness.
  static let geometry = """
    static void prism_geometry(const double *x[6], double *area, double gx[3], double gy[3], double *h) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      gx[0] = (x[1][1] - x[2][1]) / det; gx[1] = (x[2][1] - x[0][1]) / det; gx[2] = (x[0][1] - x[1][1]) / det;
      gy[0] = (x[2][0] - x[1][0]) / det; gy[1] = (x[0][0] - x[2][0]) / det; gy[2] = (x[1][0] - x[0][0]) / det;
      *area = 0.5 * fabs(det);
      *h = x[3][2] - x[0][2];
    }
    """

  /// The element stiffness matrix `∫ ∇φ_{ia}·∇φ_{jb}` = `K^T_ij M^z_ab + M^T_ij K^z_ab` with the
  /// triangle's stiffness `K^T_ij = |T| ∇λᵢ·∇λⱼ` and mass `M^T_ij = |T|(1 + δᵢⱼ)/12`, and the
  /// layer's mass `M^z_ab = h(1 + δₐᵦ)/6` and stiffness `K^z_ab = ±1/h` — exact, no quadrature.
  public static let stiffness = Kernel(code: geometry + """

    void prism_stiffness(double A[6][6], const double *x[6]) {
      double area, gx[3], gy[3], h;
      prism_geometry(x, &area, gx, gy, &h);
      for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++)
        for (int b = 0; b < 2; b++) for (int j = 0; j < 3; j++) {
          double kt = area * (gx[i] * gx[j] + gy[i] * gy[j]), mt = area * (i == j ? 2.0 : 1.0) / 12.0;
          double mz = h * (a == b ? 2.0 : 1.0) / 6.0, kz = (a == b ? 1.0 : -1.0) / h;
          A[3 * a + i][3 * b + j] = kt * mz + mt * kz;
        }
    }
    """, name: "prism_stiffness")

  /// The load vector `b_I = Σ_J M_IJ f(x_J)`: the prism's mass matrix times the nodal values of
  /// `f = 3π² sin(πx) sin(πy) sin(πz)`, the right-hand side of `u = sin(πx) sin(πy) sin(πz)`.
  public static let load = Kernel(code: geometry + """

    void prism_load(double *b[6], const double *x[6]) {
      double area, gx[3], gy[3], h;
      prism_geometry(x, &area, gx, gy, &h);
      double f[6];
      for (int n = 0; n < 6; n++) f[n] = 3.0 * M_PI * M_PI * sin(M_PI * x[n][0]) * sin(M_PI * x[n][1]) * sin(M_PI * x[n][2]);
      for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++)
        for (int b2 = 0; b2 < 2; b2++) for (int j = 0; j < 3; j++)
          b[3 * a + i][0] += area * (i == j ? 2.0 : 1.0) / 12.0 * h * (a == b2 ? 2.0 : 1.0) / 6.0 * f[3 * b2 + j];
    }
    """, name: "prism_load")

  /// `‖u_h − u‖²` over the prism, added to `e`: the triangle's edge-midpoint rule (degree 2) times
  /// 2-point Gauss in z (degree 3).
  public static let l2Error = Kernel(code: geometry + """

    void prism_l2_error(const double *u[6], const double *x[6], double *e) {
      double area, gx[3], gy[3], h;
      prism_geometry(x, &area, gx, gy, &h);
      const double mid[3][3] = {{0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}, {0.5, 0.0, 0.5}};
      const double gauss[2] = {0.5 - 0.5 / sqrt(3.0), 0.5 + 0.5 / sqrt(3.0)};
      for (int q = 0; q < 3; q++) for (int g = 0; g < 2; g++) {
        double t = gauss[g], psi[2] = {1.0 - t, t}, uh = 0, px = 0, py = 0;
        for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++) uh += mid[q][i] * psi[a] * u[3 * a + i][0];
        for (int i = 0; i < 3; i++) { px += mid[q][i] * x[i][0]; py += mid[q][i] * x[i][1]; }
        double pz = x[0][2] + t * h;
        double d = uh - sin(M_PI * px) * sin(M_PI * py) * sin(M_PI * pz);
        e[0] += d * d * area / 3.0 * h / 2.0;
      }
    }
    """, name: "prism_l2_error")

  /// Marks the bottom triangle's nodes (slots 0–2), run over ``IterationRegion/onBottom``.
  public static let markBottom = Kernel(code: "void mark_bottom(int *m[6]) { m[0][0] = 1; m[1][0] = 1; m[2][0] = 1; }", name: "mark_bottom")
  /// Marks the top triangle's nodes (slots 3–5), run over ``IterationRegion/onTop``.
  public static let markTop = Kernel(code: "void mark_top(int *m[6]) { m[3][0] = 1; m[4][0] = 1; m[5][0] = 1; }", name: "mark_top")
  /// Each prism's layer, from the layer argument: a cell field for the VTK output.
  public static let layerIndex = Kernel(code: "void layer_index(double *l, int layer) { l[0] = layer; }", name: "layer_index")
}
