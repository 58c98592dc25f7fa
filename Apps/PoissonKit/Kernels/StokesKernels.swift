public import OP2

/// The Stokes demo's C kernels: P1/P1 elements with Brezzi–Pitkäranta stabilisation for
/// −Δu + ∇p = f, ∇·u = 0, assembled into a 2×2 block Mat
/// `[[A, Bᵀ], [B, −C]]` with `A` the vector Laplacian, `B` the divergence and
/// `C = β h_T² (∇p, ∇q)` the stabilisation (`h_T² = 2 |T|`, the squared leg of the unit
/// square's right triangles).
///
/// The manufactured solution is `u = (sin πx cos πy, −cos πx sin πy)` (divergence-free) and
/// `p = cos πx cos πy` (zero mean), so `f = ((2π² − π) sin πx cos πy, −(2π² + π) cos πx sin πy)`.
public enum StokesKernels {
  /// The stabilisation parameter β.
  public static let beta = 0.1

  static let geometry = """
    double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
    double gx[3] = {(x[1][1] - x[2][1]) / det, (x[2][1] - x[0][1]) / det, (x[0][1] - x[1][1]) / det};
    double gy[3] = {(x[2][0] - x[1][0]) / det, (x[0][0] - x[2][0]) / det, (x[1][0] - x[0][0]) / det};
    double area = 0.5 * fabs(det);
  """

  /// Block (0, 0): `A[2i+a][2j+b] = δ_ab |T| ∇λᵢ·∇λⱼ` (velocity nodes have two values).
  public static let viscous = Kernel(code: """
    void stokes_viscous(double A[6][6], const double *x[3]) {
    \(geometry)
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
          double k = area * (gx[i] * gx[j] + gy[i] * gy[j]);
          A[2 * i][2 * j] = k; A[2 * i][2 * j + 1] = 0.0;
          A[2 * i + 1][2 * j] = 0.0; A[2 * i + 1][2 * j + 1] = k;
        }
    }
    """, name: "stokes_viscous")

  /// Blocks (0, 1), (1, 0) and (1, 1) in one loop, each through its own block argument:
  /// `Bᵀ[2i+a][j] = −(|T|/3) ∂ₐλᵢ`, `B = (Bᵀ)ᵀ`, `−C[i][j] = −β h_T² |T| ∇λᵢ·∇λⱼ`.
  public static let coupling = Kernel(code: """
    void stokes_coupling(double Bt[6][3], double B[3][6], double C[3][3], const double *x[3]) {
    \(geometry)
      double h2 = 2.0 * area;
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
          Bt[2 * i][j] = -area / 3.0 * gx[i];
          Bt[2 * i + 1][j] = -area / 3.0 * gy[i];
          B[j][2 * i] = -area / 3.0 * gx[i];
          B[j][2 * i + 1] = -area / 3.0 * gy[i];
          C[i][j] = -\(beta) * h2 * area * (gx[i] * gx[j] + gy[i] * gy[j]);
        }
    }
    """, name: "stokes_coupling")

  /// The load through a mixed map: `bu[i][a] += ∫_T fₐ λᵢ` (velocity component of the mixed
  /// right-hand side); the pressure component `bp` gets no load (∇·u = 0).
  public static let load = Kernel(code: PoissonKernels.quadrature + """

    void stokes_load(double *bu[3], double *bp[3], const double *x[3]) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      double area = 0.5 * fabs(det);
      for (int q = 0; q < 7; q++) {
        double l[3] = {poisson_qp[q][0], poisson_qp[q][1], poisson_qp[q][2]};
        double px = l[0] * x[0][0] + l[1] * x[1][0] + l[2] * x[2][0];
        double py = l[0] * x[0][1] + l[1] * x[1][1] + l[2] * x[2][1];
        double f0 = (2.0 * M_PI * M_PI - M_PI) * sin(M_PI * px) * cos(M_PI * py);
        double f1 = -(2.0 * M_PI * M_PI + M_PI) * cos(M_PI * px) * sin(M_PI * py);
        for (int i = 0; i < 3; i++) {
          bu[i][0] += poisson_qw[q] * area * f0 * l[i];
          bu[i][1] += poisson_qw[q] * area * f1 * l[i];
          bp[i][0] += 0.0;
        }
      }
    }
    """, name: "stokes_load")

  /// The exact solution at the nodes (for the boundary values and the pressure pin), direct on
  /// both components of a mixed Dat.
  public static let exact = Kernel(code: """
    void stokes_exact(double *u, double *p, const double *x) {
      u[0] = sin(M_PI * x[0]) * cos(M_PI * x[1]);
      u[1] = -cos(M_PI * x[0]) * sin(M_PI * x[1]);
      p[0] = cos(M_PI * x[0]) * cos(M_PI * x[1]);
    }
    """, name: "stokes_exact")

  /// `e += (∫|u_h − u|², ∫(p_h − p)², ∫(p_h − p), |T|)` by 7-point quadrature, reading the mixed
  /// solution through the mixed map.
  public static let error = Kernel(code: PoissonKernels.quadrature + """

    void stokes_error(const double *u[3], const double *p[3], const double *x[3], double *e) {
      double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
      double area = 0.5 * fabs(det);
      for (int q = 0; q < 7; q++) {
        double l[3] = {poisson_qp[q][0], poisson_qp[q][1], poisson_qp[q][2]};
        double px = l[0] * x[0][0] + l[1] * x[1][0] + l[2] * x[2][0];
        double py = l[0] * x[0][1] + l[1] * x[1][1] + l[2] * x[2][1];
        double u0 = l[0] * u[0][0] + l[1] * u[1][0] + l[2] * u[2][0] - sin(M_PI * px) * cos(M_PI * py);
        double u1 = l[0] * u[0][1] + l[1] * u[1][1] + l[2] * u[2][1] + cos(M_PI * px) * sin(M_PI * py);
        double ep = l[0] * p[0][0] + l[1] * p[1][0] + l[2] * p[2][0] - cos(M_PI * px) * cos(M_PI * py);
        double w = poisson_qw[q] * area;
        e[0] += w * (u0 * u0 + u1 * u1);
        e[1] += w * ep * ep;
        e[2] += w * ep;
        e[3] += w;
      }
    }
    """, name: "stokes_error")
}
