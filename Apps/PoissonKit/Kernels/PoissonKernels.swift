import OP2

/// The Poisson demo's C kernels, one per file as in OP2's airfoil (`Kernels/`).
///
/// Quadrature is the 7-point, degree-5 rule on triangles (Strang and Fix; Dunavant's rule 5),
/// exact for the P1 load with a smooth right-hand side up to O(h⁶) per element, so the measured
/// L2 error is the discretisation error and not a quadrature artefact.
public enum PoissonKernels {
  /// The rule's barycentric points and weights (summing to 1), as C declarations. Kernels index
  /// them (`poisson_qp[q][i]`) rather than point into them, so that they also build for OpenCL,
  /// where file-scope tables live in `__constant` memory.
  static let quadrature = """
    static const double poisson_qp[7][3] = {
      {0.333333333333333333, 0.333333333333333333, 0.333333333333333333},
      {0.101286507323456339, 0.101286507323456339, 0.797426985353087322},
      {0.101286507323456339, 0.797426985353087322, 0.101286507323456339},
      {0.797426985353087322, 0.101286507323456339, 0.101286507323456339},
      {0.470142064105115090, 0.470142064105115090, 0.059715871789769820},
      {0.470142064105115090, 0.059715871789769820, 0.470142064105115090},
      {0.059715871789769820, 0.470142064105115090, 0.470142064105115090}};
    static const double poisson_qw[7] = {0.225, 0.125939180544827153, 0.125939180544827153, 0.125939180544827153,
                                         0.132394152788506181, 0.132394152788506181, 0.132394152788506181};
    """
}
