import Foundation
public import OP2

/// −Δu = f on a triangle mesh with u = 0 on the boundary, by P1 finite elements on swift-op2:
/// the stiffness matrix and load vector are assembled by `parLoop`s into a PETSc ``Mat`` and a
/// ``Dat``, boundary rows are zeroed (symmetrically, so CG and GAMG apply), and a ``Solver``
/// solves. The right-hand side is that of the manufactured solution `u = sin(πx) sin(πy)`, so the
/// L2 error of the discrete solution is known: it falls as h² on the unit square.
///
/// Under `mpirun` every rank declares the whole mesh and the problem partitions it
/// (``OP2/partition(primary:map:method:)``) before the Sparsity and Mat are built, so assembly,
/// boundary conditions, the solve and the error all run in parallel (PETSc MPIAIJ).
public struct PoissonProblem: Sendable {
  /// The mesh.
  public var mesh: TriangleMesh

  /// What a solve produced and what it cost.
  public struct Solution: Sendable {
    /// The nodal values of the discrete solution, in the mesh's node order (gathered from every
    /// rank under MPI).
    public var u: [Double]
    /// ‖u_h − u‖ in L2 over the mesh (7-point quadrature).
    public var l2Error: Double
    /// The solver's report.
    public var solve: Solver.Report
    /// The KSP type used, such as `cg`.
    public var kspType: String
    /// The PC type used, such as `gamg`.
    public var pcType: String
    /// Seconds to create the sets, maps, Sparsity and Mat (and start PETSc, the first time).
    public var setupSeconds: Double
    /// Seconds to assemble the matrix and load vector (both loops and PETSc's assembly; includes
    /// compiling the wrappers unless they are cached).
    public var assemblySeconds: Double
    /// Seconds to apply the boundary conditions (MatZeroRowsColumns).
    public var boundarySeconds: Double
    /// Seconds to solve (PC set-up included).
    public var solveSeconds: Double
    /// Seconds to compute the L2 error.
    public var errorSeconds: Double
    /// Nonzeros of the matrix (over all ranks).
    public var nonzeros: Int
  }

  /// A problem on `mesh`.
  public init(mesh: TriangleMesh) { self.mesh = mesh }

  /// Assembles and solves.
  ///
  /// - Parameters:
  ///   - options: PETSc options for the ``Solver``; defaults: CG, GAMG, rtol 1e-10.
  ///     The options database (`PETSC_OPTIONS`, ``Solver/insertOptions(_:)``) overrides them.
  ///   - partitioner: How to split the mesh over MPI ranks (nothing happens on one rank).
  /// - Throws: ``OP2Error`` from the loops, partitioning, PETSc or a solve that does not converge.
  public func solve(options: [String: String] = [:], partitioner: OP2.PartitionMethod = .automatic) throws(OP2Error) -> Solution {
    var laps = Laps()
    func lap() -> Double { laps.next() }
    let (nodes, cells, cellToNode, x) = try mesh.declare(vertices: "nodes", triangles: "cells", map: "cell2node", coordinates: "x")
    let boundaryMarks = try mesh.boundaryMarks(on: nodes, name: "on_boundary")
    try OP2.partition(primary: cells, map: cellToNode, method: partitioner)
    let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode, name: "P1"), name: "A")
    let b = Dat<Double>(nodes ** 1, name: "b")
    let u = Dat<Double>(nodes ** 1, name: "u")
    let setup = lap()

    try parLoop(PoissonKernels.stiffness, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
    try parLoop(PoissonKernels.load, over: cells, b(.inc, cellToNode), x(.read, cellToNode))
    try A.assemble()
    OP2.flush()  // runs the load loop
    let assembly = lap()

    // u = 0 on the boundary: zero rows and columns, 1 on the diagonal, b = 0 there (each rank
    // names its own boundary nodes, in local numbering).
    let ownedMarks = boundaryMarks.data
    let boundaryNodes = ownedMarks.indices.filter { ownedMarks[$0] == 1 }
    try A.zeroRows(boundaryNodes, diagonal: 1, symmetric: true, solution: u, rhs: b)
    let boundary = lap()

    var all = ["ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": "1e-10"]
    all.merge(options) { $1 }
    let solver = try Solver(options: all, name: "poisson")
    let result = try solver.solve(A, solution: u, rhs: b)
    let solveTime = lap()
    let types = try solver.types()

    let error = Global<Double>(value: 0, name: "l2_error")
    try parLoop(PoissonKernels.l2Error, over: cells, u(.read, cellToNode), x(.read, cellToNode), error(.inc))
    let l2 = error.value[0].squareRoot()
    let errorTime = lap()
    return Solution(u: u.gatheredData(), l2Error: l2, solve: result, kspType: types.ksp, pcType: types.pc,
                    setupSeconds: setup, assemblySeconds: assembly, boundarySeconds: boundary,
                    solveSeconds: solveTime, errorSeconds: errorTime,
                    nonzeros: Int(OP2.sumOverRanks(Double(A.sparsity.blockNonzeroCount))))
  }
}
