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
/// Under `mpirun` the base mesh is partitioned first and the extruded sets follow it
/// (see ``solve(options:partitioner:)``).
public struct ExtrudedPoissonProblem: Sendable {
  /// The base mesh.
  public var base: TriangleMesh
  /// Prism layers (cells per column); the columns have `layers + 1` node layers.
  public var layers: Int

  /// What a solve produced.
  public struct Solution: Sendable {
    /// Nodal values, column by column (`v * (layers + 1) + k`), gathered from every rank under MPI.
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
    /// Nonzero blocks of the matrix (over all ranks).
    public var nonzeros: Int
  }

  /// A problem on `base` extruded into `layers` layers (at least 1).
  public init(base: TriangleMesh, layers: Int) {
    self.base = base
    self.layers = layers
  }

  /// Assembles and solves.
  ///
  /// Under `mpirun` every rank declares the whole base mesh and the problem partitions it
  /// (``OP2/partition(primary:map:method:)``) before extruding it, so that the prisms and nodes
  /// follow the triangles' and vertices' partition: the loops, the Mat (each rank owns its owned
  /// vertex columns' nodes) and the solve are distributed, and ``Solution/u`` and
  /// ``Solution/prismLayers`` are gathered back in the declared order.
  /// - Parameters:
  ///   - options: PETSc options for the ``Solver``; defaults: CG, GAMG, rtol 1e-10.
  ///   - partitioner: How to split the base mesh over MPI ranks (nothing happens on one rank).
  /// - Throws: ``OP2Error`` from the loops, partitioning, PETSc or a solve that does not converge.
  public func solve(options: [String: String] = [:], partitioner: OP2.PartitionMethod = .automatic) throws(OP2Error) -> Solution {
    let nodeLayers = layers + 1, L = Int32(nodeLayers)
    let (vertices, triangles, tri2vert, xy) = try base.declare(vertices: "vertices", triangles: "triangles", map: "tri2vert", coordinates: "xy")
    let onSide = try base.boundaryMarks(on: vertices, name: "on_side")
    try OP2.partition(primary: triangles, map: tri2vert, method: partitioner)
    // Extruded after partitioning: the columns follow the base's partition.
    let prisms = try ExtrudedSet(triangles, layers: nodeLayers, name: "prisms")
    let nodes = try ExtrudedSet(vertices, layers: nodeLayers, name: "nodes")
    // Layer 0's bottom nodes are v·L, its top nodes v·L + 1; each layer up adds 1 to every slot.
    // From the base map's rows as this rank holds them (local after partitioning: owned and
    // exec-halo triangles).
    let baseRows = tri2vert.values
    var values = [Int32]()
    values.reserveCapacity(2 * baseRows.count)
    for t in 0..<(baseRows.count / 3) {
      let v = baseRows[(3 * t)..<(3 * t + 3)]
      values += v.map { $0 * L } + v.map { $0 * L + 1 }
    }
    let prism2node = try Map(from: prisms, to: nodes, arity: 6, values: values, offset: Array(repeating: 1, count: 6), name: "prism2node")
    // This rank's vertex columns (all of them in one process), column by column.
    let ownedXY = xy.data, ownedSides = onSide.data
    var localXYZ = [Double](), marks = [Int32]()
    localXYZ.reserveCapacity(3 * vertices.size * nodeLayers)
    for v in 0..<vertices.size {
      for k in 0..<nodeLayers {
        localXYZ += [ownedXY[2 * v], ownedXY[2 * v + 1], Double(k) / Double(layers)]
        marks.append(ownedSides[v])  // side walls: every layer of a boundary column
      }
    }
    let x = try Dat<Double>(nodes ** 3, values: localXYZ, name: "x")
    // Bottom and top: region loops below.
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
    // For output, in the declared order: prism (c, k)'s nodes (the base triangle's vertices'
    // columns at layers k and k + 1) and layer, and every node's coordinates.
    var cells = [Int32]()
    cells.reserveCapacity(6 * base.triangleCount * layers)
    var prismLayers = [Double]()
    let layerValues = layerOfPrism.gatheredData()
    for c in 0..<base.triangleCount {
      let v = base.triangles[(3 * c)..<(3 * c + 3)]
      for k in 0..<layers {
        cells += v.map { $0 * L + Int32(k) } + v.map { $0 * L + Int32(k) + 1 }
        prismLayers.append(layerValues[c * nodeLayers + k])
      }
    }
    var xyz = [Double]()
    xyz.reserveCapacity(3 * base.nodeCount * nodeLayers)
    for v in 0..<base.nodeCount {
      for k in 0..<nodeLayers { xyz += [base.coordinates[2 * v], base.coordinates[2 * v + 1], Double(k) / Double(layers)] }
    }
    let l2Error = error.value[0].squareRoot()
    return Solution(u: u.gatheredData(), coordinates: xyz, prisms: cells, prismLayers: prismLayers,
                    l2Error: l2Error, solve: report,
                    nonzeros: Int(OP2.sumOverRanks(Double(A.sparsity.blockNonzeroCount))))
  }
}
