/// A PETSc Krylov solver (KSP) with its preconditioner (PC), configured from a dictionary of
/// PETSc options and from PETSc's options database.
///
/// Options use PETSc's names without the leading dash: `ksp_type` (`cg`, `gmres`, `preonly`, …),
/// `pc_type` (`gamg`, `jacobi`, `ilu`, `lu`, `none`, …), `ksp_rtol`, `ksp_atol`, `ksp_max_it`,
/// `ksp_monitor` (value `""`). The dictionary is applied first; then the options database —
/// `PETSC_OPTIONS`, `~/.petscrc` and ``insertOptions(_:)`` — under `optionsPrefix`, overrides it,
/// so `-ksp_type gmres` given at run time wins over code.
///
/// ```swift
/// let solver = try Solver(options: ["ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": "1e-10"])
/// let result = try solver.solve(A, solution: u, rhs: b)
/// print(result.iterations, result.residualNorm)
/// ```
///
/// Solving forces the queued loops that write the Mat and the right-hand side and those that use
/// the solution. A solve that stops without converging throws
/// ``OP2Error/solverDiverged(solver:reason:iterations:residual:)`` with PETSc's
/// `KSPConvergedReason`. The KSP is destroyed (`KSPDestroy`) with the solver.
///
/// **MPI.** With a distributed ``Mat`` the KSP lives on the Mat's communicator (it is made there
/// on the first solve) and every rank calls ``solve(_:solution:rhs:)-(_,Dat<T>,_)`` together. The right-hand
/// side and solution are the Dats' owned values (`VecCreateMPIWithArray`, no copy); the solve
/// writes the owned values of the solution and marks its halo stale, so the next loop that reads
/// it through a map exchanges the halo first. Iteration counts and residuals are global, the
/// same on every rank. Every preconditioner PETSc runs in parallel works, GAMG included (which
/// is why block Mats are AIJ with a block size rather than BAIJ); `ilu` and `icc` are
/// sequential-only in PETSc — use `bjacobi` (block Jacobi with ILU(0) per rank, PETSc's parallel
/// default) instead.
///
/// The corresponding PyOP2 class is `op2.Solver` (a `petsc4py` KSP with `parameters`).
public final class Solver: CustomStringConvertible, @unchecked Sendable {
  /// Why a Krylov solve stopped: PETSc's `KSPConvergedReason` (positive: converged; negative:
  /// diverged).
  public struct ConvergedReason: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The raw `KSPConvergedReason` value.
    public let rawValue: Int32
    /// Creates a reason from its raw value.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `KSP_CONVERGED_RTOL`: the residual fell by `ksp_rtol`.
    public static let relativeTolerance = ConvergedReason(rawValue: 2)
    /// `KSP_CONVERGED_ATOL`: the residual fell below `ksp_atol`.
    public static let absoluteTolerance = ConvergedReason(rawValue: 3)
    /// `KSP_CONVERGED_ITS`: a fixed iteration count was done (`preonly`).
    public static let iterations = ConvergedReason(rawValue: 4)
    /// `KSP_DIVERGED_ITS`: `ksp_max_it` iterations without converging.
    public static let divergedIterations = ConvergedReason(rawValue: -3)
    /// `KSP_DIVERGED_DTOL`: the residual grew by `ksp_divtol`.
    public static let divergedTolerance = ConvergedReason(rawValue: -4)
    /// `KSP_DIVERGED_BREAKDOWN`: the method broke down.
    public static let divergedBreakdown = ConvergedReason(rawValue: -5)
    /// `KSP_DIVERGED_INDEFINITE_PC`: CG met an indefinite preconditioner.
    public static let divergedIndefinitePreconditioner = ConvergedReason(rawValue: -8)
    /// `KSP_DIVERGED_NANORINF`: a NaN or infinity appeared.
    public static let divergedNaNOrInfinity = ConvergedReason(rawValue: -9)
    /// `KSP_DIVERGED_INDEFINITE_MAT`: CG met an indefinite matrix.
    public static let divergedIndefiniteMatrix = ConvergedReason(rawValue: -10)

    /// Whether the solve converged.
    public var converged: Bool { rawValue > 0 }
    /// PETSc's name, such as `DIVERGED_ITS`.
    public var description: String { PETSc.reasonName(rawValue) }
  }

  /// What a converged solve reports.
  public struct Report: Hashable, Sendable {
    /// Krylov iterations done.
    public var iterations: Int
    /// The final (preconditioned, for most methods) residual norm PETSc reports.
    public var residualNorm: Double
    /// Why the solve stopped.
    public var reason: ConvergedReason
  }

  /// The name used in messages.
  public let name: String
  /// The options given in code (without leading dashes).
  public let options: [String: String]
  /// The options-database prefix that overrides ``options`` (empty: the plain `-ksp_type`, …).
  public let optionsPrefix: String
  private let handle: _KSPHandle

  /// Creates a solver.
  ///
  /// - Parameters:
  ///   - options: PETSc options without the leading `-`, such as `["ksp_type": "cg", "pc_type": "gamg"]`.
  ///   - optionsPrefix: The prefix of the options-database entries that override `options`.
  ///   - name: A name for messages.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` when PETSc cannot start.
  public init(options: [String: String] = [:], optionsPrefix: String = "", name: String = "solver") throws(OP2Error) {
    self.options = options
    self.optionsPrefix = optionsPrefix
    self.name = name
    handle = try _KSPHandle(name: name)
  }

  /// Solves `A x = b`, with `solution` as `x` and `rhs` as `b`, in place in the Dats' storage.
  ///
  /// Under MPI the call is collective and reads and writes the owned values only; `solution`'s
  /// halo is marked stale afterwards.
  ///
  /// The initial guess is zero unless the options say `ksp_initial_guess_nonzero`. The first solve
  /// with a Mat sets up the preconditioner (for GAMG, the costly part); later solves with the
  /// same Mat reuse the KSP but PETSc rebuilds the preconditioner if the Mat changed.
  ///
  /// - Parameters:
  ///   - matrix: The operator; its rows' DataSet is `rhs`'s, its columns' is `solution`'s.
  ///   - solution: Receives the solution.
  ///   - rhs: The right-hand side.
  /// - Returns: Iterations, residual norm and PETSc's reason.
  /// - Throws: ``OP2Error/solverDiverged(solver:reason:iterations:residual:)`` when the solve
  ///   stops without converging (the solution holds the last iterate);
  ///   ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for Dats on the wrong
  ///   DataSets; ``OP2Error/petsc(operation:_:)`` for a PETSc failure (an unknown `ksp_type`).
  @discardableResult
  public func solve<T: MatScalar>(_ matrix: Mat<T>, solution: Dat<T>, rhs: Dat<T>) throws(OP2Error) -> Report {
    let operation = "Solver \(name).solve"
    if matrix.blockMats != nil { throw matrix.blockMatrixError("solve (pass MixedDats)") }
    try matrix.check(solution, on: matrix.sparsity.cols, operation: operation)
    try matrix.check(rhs, on: matrix.sparsity.rows, operation: operation)
    matrix.forEachPending()
    Runtime.current.prepareHostAccess(to: rhs, writing: false)
    Runtime.current.prepareHostAccess(to: solution, writing: true)
    try matrix.handle.assemble()
    // Set the operator every time: PETSc notices a changed matrix and rebuilds the PC.
    try handle.configure(operator: matrix.handle, options: options, prefix: optionsPrefix)
    let outcome = try handle.solve(b: Mat.vec(rhs), x: Mat.vec(solution))
    solution.haloState.markStale()
    let reason = ConvergedReason(rawValue: outcome.reason)
    guard reason.converged else {
      throw .solverDiverged(solver: name, reason: reason, iterations: outcome.iterations, residual: outcome.residual)
    }
    return Report(iterations: outcome.iterations, residualNorm: outcome.residual, reason: reason)
  }

  /// Configures the KSP with a block Mat's nest (giving a fieldsplit PC its fields) and solves.
  /// With `monolithic`, the operator is that AIJ copy of the nest (fields still from the nest).
  package func solveBlock(_ nest: _MatHandle, monolithic: _MatHandle?, b: _VecStorage, x: _VecStorage) throws(OP2Error) -> (iterations: Int, residual: Double, reason: Int32) {
    try handle.configure(operator: monolithic ?? nest, options: options, prefix: optionsPrefix, fields: nest)
    return try handle.solve(b: b, x: x)
  }

  /// The KSP and PC types in effect after the last solve, such as `("cg", "gamg")`.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func types() throws(OP2Error) -> (ksp: String, pc: String) { try handle.types() }

  /// Adds options to PETSc's database, as if given on the command line, for example
  /// `"-ksp_monitor -pc_type jacobi"`. Solvers read the database on every solve.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` for text PETSc cannot parse.
  public static func insertOptions(_ text: String) throws(OP2Error) { try PETSc.insertOptions(text) }

  public var description: String { "Solver(\"\(name)\", \(options))" }
}

extension Mat {
  /// Runs the queued loops that write this Mat.
  func forEachPending() { Runtime.current.prepareHostAccess(to: self, writing: false) }
}
