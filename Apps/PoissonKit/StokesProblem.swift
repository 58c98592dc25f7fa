import Foundation
public import OP2

/// A Stokes-like 2×2 block system on swift-op2's mixed spaces: stabilised P1/P1
/// (Brezzi–Pitkäranta) for −Δu + ∇p = f, ∇·u = 0 on a triangle mesh of the unit square, with
/// `u` equal to the manufactured solution on the boundary (see ``StokesKernels``).
///
/// Velocity (`nodes ** 2`) and pressure (`nodes ** 1`) form a ``MixedDataSet``; the cells reach
/// both through one ``MixedMap``. The block ``Mat`` over the mixed ``Sparsity`` is assembled
/// block by block (`A[0, 0]` by one loop, `A[0, 1]`, `A[1, 0]` and `A[1, 1]` by another), the
/// load goes into a ``MixedDat`` by a mixed INC loop, Dirichlet rows are zeroed in the velocity
/// blocks, one pressure node is pinned (the pressure is otherwise defined up to a constant), and
/// a ``Solver`` with PETSc's fieldsplit preconditioner (a Schur complement factorisation by
/// default) solves. The pressure error is measured after removing the mean.
public struct StokesProblem: Sendable {
  /// The mesh.
  public var mesh: TriangleMesh

  /// What a solve produced.
  public struct Solution: Sendable {
    /// ‖u_h − u‖ in L2.
    public var velocityError: Double
    /// ‖(p_h − p) − mean(p_h − p)‖ in L2.
    public var pressureError: Double
    /// The solver's report.
    public var solve: Solver.Report
    /// The PC type used (`fieldsplit`).
    public var pcType: String
    /// Seconds to assemble (loops and PETSc assembly; wrapper compilation included unless cached).
    public var assemblySeconds: Double
    /// Seconds to solve (fieldsplit set-up included).
    public var solveSeconds: Double
  }

  /// A problem on `mesh` (a unit-square mesh: the manufactured solution is for the unit square).
  public init(mesh: TriangleMesh) { self.mesh = mesh }

  /// The default solver options: FGMRES around an upper-triangular Schur-complement fieldsplit,
  /// one GAMG V-cycle for the velocity block and Jacobi on PETSc's `selfp` approximation of the
  /// Schur complement. (Exact inner solves — LU on the velocity block, GMRES to 1e-12 on the
  /// Schur complement — take 3 outer iterations but 50× longer at n = 128; see BENCHMARKS.md.)
  public static let defaultOptions = [
    "ksp_type": "fgmres", "ksp_rtol": "1e-10", "ksp_max_it": "1000",
    "pc_type": "fieldsplit", "pc_fieldsplit_type": "schur",
    "pc_fieldsplit_schur_fact_type": "upper", "pc_fieldsplit_schur_precondition": "selfp",
    "fieldsplit_0_ksp_type": "preonly", "fieldsplit_0_pc_type": "gamg",
    "fieldsplit_1_ksp_type": "preonly", "fieldsplit_1_pc_type": "jacobi",
  ]

  /// Assembles and solves.
  /// - Parameters:
  ///   - options: PETSc options merged over ``defaultOptions``; the options database
  ///     (`PETSC_OPTIONS`) overrides both.
  ///   - blockFormat: How PETSc sees the block Mat: `MATNEST` or an AIJ copy.
  /// - Throws: ``OP2Error`` from the loops, PETSc or a solve that does not converge.
  public func solve(options: [String: String] = [:], blockFormat: BlockFormat = .nest) throws(OP2Error) -> Solution {
    var laps = Laps()
    func lap() -> Double { laps.next() }
    let (nodes, cells, cellToNode, x) = try mesh.declare(vertices: "nodes", triangles: "cells", map: "cell2node", coordinates: "x")
    let space = try MixedSet([nodes, nodes], name: "velocity_pressure")
    let shape = try space ** [2, 1]
    let cellToSpace = try MixedMap([cellToNode, cellToNode], name: "cell2space")
    let A = try Mat<Double>(try Sparsity(shape, map: cellToSpace, name: "stokes"), name: "A")
    A.blockFormat = blockFormat
    let b = MixedDat<Double>(shape, name: "b")
    let up = MixedDat<Double>(shape, name: "up")
    let exact = MixedDat<Double>(shape, name: "exact")

    try parLoop(StokesKernels.viscous, over: cells, A[0, 0](.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
    try parLoop(StokesKernels.coupling, over: cells,
                A[0, 1](.inc, rows: cellToNode, cols: cellToNode), A[1, 0](.inc, rows: cellToNode, cols: cellToNode),
                A[1, 1](.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
    try parLoop(StokesKernels.load, over: cells, b(.inc, cellToSpace), x(.read, cellToNode))
    try parLoop(StokesKernels.exact, over: nodes, exact(.write), x(.read))
    try A.assemble()
    let assembly = lap()

    // u = exact on the boundary: rows of A[0, 0] get 1 on the diagonal and b_u = u there, rows
    // of A[0, 1] are zeroed. One pressure node (the first) is pinned to the exact value.
    let boundary = mesh.boundaryNodes
    try A[0, 0].zeroRows(boundary, diagonal: 1, solution: exact[0], rhs: b[0])
    try A[0, 1].zeroRows(boundary, diagonal: 0)
    try A[1, 1].zeroRows([0], diagonal: 1, solution: exact[1], rhs: b[1])
    try A[1, 0].zeroRows([0], diagonal: 0)

    var all = Self.defaultOptions
    all.merge(options) { $1 }
    let solver = try Solver(options: all, name: "stokes")
    let report = try solver.solve(A, solution: up, rhs: b)
    let solveTime = lap()

    let e = try Global<Double>(dim: 4, value: [0, 0, 0, 0], name: "stokes_error")
    try parLoop(StokesKernels.error, over: cells, up(.read, cellToSpace), x(.read, cellToNode), e(.inc))
    let v = e.value
    return Solution(velocityError: v[0].squareRoot(), pressureError: max(v[1] - v[2] * v[2] / v[3], 0).squareRoot(),
                    solve: report, pcType: try solver.types().pc, assemblySeconds: assembly, solveSeconds: solveTime)
  }
}
