import Foundation
public import OP2

/// −Δu = f on the unit cube with u = 0 on the boundary, by P1 prism elements on an extruded mesh:
/// a ``TriangleMesh`` of the unit square extruded into `layers` equal layers of prisms
/// (``ExtrudedSet``), nodes numbered column by column (node `(v, k)` at `v * (layers + 1) + k`),
/// one ``Map`` with offsets from prisms to nodes. The right-hand side is that of
/// `u = sin(πx) sin(πy) sin(πz)`, so the L2 error is known: it falls as h² when the base mesh and
/// the layers are refined together.
///
/// What runs as a loop: the stiffness matrix (a Mat argument through the offset map), the load
/// vector, the marks of the bottom and top boundary nodes (loops over the ``IterationRegion/onBottom``
/// and ``IterationRegion/onTop`` regions), each prism's layer (the layer argument), and the error.
/// One process only (extruded sets are not distributed yet).
public struct ExtrudedPoissonProblem: Sendable {
  /// The base mesh.
  public var base: TriangleMesh
  /// Prism layers (cells per column); the columns have `layers + 1` node layers.
  public var layers: Int

  /// What a solve produced.
  public struct Solution: Sendable {
    /// Nodal values, column by column (`v * (layers + 1) + k`).
    public var u: [Double]
    /// Node coordinates, `x, y, z` per node in the same order.
    public var coordinates: [Double]
    /// Prisms' nodes (6 per prism: bottom triangle, then top), prism `(c, k)` at `c * layers + k`.
    public var prisms: [Int32]
    /// Each prism's layer `k`, in the same order.
    public var prismLayers: [Double]
    /// ‖u_h − u‖ in L2 over the cube.
    public var l2Error: Double
    /// The solver's report.
    public var solve: Solver.Report
    /// Nonzero blocks of the matrix.
    public var nonzeros: Int
  }

  /// A problem on `base` extruded into `layers` layers (at least 1).
  public init(base: TriangleMesh, layers: Int) {
    self.base = base
    self.layers = layers
  }

  /// Assembles and solves.
  /// - Parameter options: PETSc options for the ``Solver``; defaults: CG, GAMG, rtol 1e-10.
  /// - Throws: ``OP2Error`` from the loops, PETSc or a solve that does not converge.
  public func solve(options: [String: String] = [:]) throws(OP2Error) -> Solution {
    let nodeLayers = layers + 1, L = Int32(nodeLayers)
    let triangles = Set(size: base.triangleCount, name: "triangles")
    let vertices = Set(size: base.nodeCount, name: "vertices")
    let prisms = try ExtrudedSet(triangles, layers: nodeLayers, name: "prisms")
    let nodes = try ExtrudedSet(vertices, layers: nodeLayers, name: "nodes")
    // Layer 0's bottom nodes are v·L, its top nodes v·L + 1; each layer up adds 1 to every slot.
    var values = [Int32]()
    values.reserveCapacity(6 * base.triangleCount)
    for t in 0..<base.triangleCount {
      let v = (0..<3).map { base.triangles[3 * t + $0] }
      values += v.map { $0 * L } + v.map { $0 * L + 1 }
    }
    let prism2node = try Map(from: prisms, to: nodes, arity: 6, values: values, offset: Array(repeating: 1, count: 6), name: "prism2node")
    var xyz = [Double]()
    xyz.reserveCapacity(3 * base.nodeCount * nodeLayers)
    for v in 0..<base.nodeCount {
      for k in 0..<nodeLayers { xyz += [base.coordinates[2 * v], base.coordinates[2 * v + 1], Double(k) / Double(layers)] }
    }
    let x = try Dat<Double>(nodes ** 3, values: xyz, name: "x")
    // Side walls: every layer of a boundary column; bottom and top: region loops below.
    var marks = [Int32](repeating: 0, count: base.nodeCount * nodeLayers)
    for v in base.boundaryNodes { for k in 0..<nodeLayers { marks[v * nodeLayers + k] = 1 } }
    let boundary = try Dat<Int32>(nodes ** 1, values: marks, name: "on_boundary")
    try parLoop(PrismKernels.markBottom, over: prisms, iterate: .onBottom, boundary(.write, prism2node))
    try parLoop(PrismKernels.markTop, over: prisms, iterate: .onTop, boundary(.write, prism2node))
    let layerOfPrism = Dat<Double>(prisms ** 1, name: "layer")
    try parLoop(PrismKernels.layerIndex, over: prisms, passLayer: true, layerOfPrism(.write))

    let A = try Mat<Double>(try Sparsity(nodes ** 1, map: prism2node, name: "P1_prisms"), name: "A")
    let b = Dat<Double>(nodes ** 1, name: "b")
    let u = Dat<Double>(nodes ** 1, name: "u")
    try parLoop(PrismKernels.stiffness, over: prisms, A(.inc, rows: prism2node, cols: prism2node), x(.read, prism2node))
    try parLoop(PrismKernels.load, over: prisms, b(.inc, prism2node), x(.read, prism2node))
    try A.assemble()
    let marked = boundary.data
    try A.zeroRows(marked.indices.filter { marked[$0] == 1 }, diagonal: 1, symmetric: true, solution: u, rhs: b)

    var all = ["ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": "1e-10"]
    all.merge(options) { $1 }
    let solver = try Solver(options: all, name: "extruded_poisson")
    let report = try solver.solve(A, solution: u, rhs: b)

    let error = Global<Double>(value: 0, name: "l2_error")
    try parLoop(PrismKernels.l2Error, over: prisms, u(.read, prism2node), x(.read, prism2node), error(.inc))
    // Prism (c, k)'s nodes, for output: the map's row plus k in every slot.
    var cells = [Int32]()
    cells.reserveCapacity(6 * base.triangleCount * layers)
    var prismLayers = [Double]()
    let layerValues = layerOfPrism.data
    for c in 0..<base.triangleCount {
      for k in 0..<layers {
        cells += values[(6 * c)..<(6 * c + 6)].map { $0 + Int32(k) }
        prismLayers.append(layerValues[c * nodeLayers + k])
      }
    }
    return Solution(u: u.data, coordinates: xyz, prisms: cells, prismLayers: prismLayers,
                    l2Error: error.value[0].squareRoot(), solve: report, nonzeros: A.sparsity.blockNonzeroCount)
  }
}
