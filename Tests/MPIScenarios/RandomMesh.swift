import OP2

/// A random mesh with locality, the same on every rank: cells map to 3 nodes near their own index
/// (plus an occasional far one), edges map to 2 cells and 2 nodes.
struct RandomMesh {
  var nodeCount: Int
  var cellCount: Int
  var edgeCount: Int
  var cellNodes: [Int32]
  var edgeCells: [Int32]
  var edgeNodes: [Int32]
  var x: [Double]
  var q: [Double]
  var s: [Double]

  init(cells: Int, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let nodeCount = cells / 2 + 7, edgeCount = cells + cells / 3
    self.cellCount = cells
    self.nodeCount = nodeCount
    self.edgeCount = edgeCount
    func near(_ i: Int, _ count: Int) -> Int32 {
      if Int.random(in: 0..<40, using: &rng) == 0 { return Int32(Int.random(in: 0..<count, using: &rng)) }
      let centre = i * count / max(cells, 1)
      return Int32(min(count - 1, max(0, centre + Int.random(in: -4...4, using: &rng))))
    }
    cellNodes = (0..<cells).flatMap { i in (0..<3).map { _ in near(i, nodeCount) } }
    edgeCells = (0..<edgeCount).flatMap { e in [near(e * cells / edgeCount, cells), near(e * cells / edgeCount + 1, cells)] }
    edgeNodes = (0..<edgeCount).flatMap { e in [near(e * cells / edgeCount, nodeCount), near(e * cells / edgeCount, nodeCount)] }
    x = (0..<(2 * nodeCount)).map { _ in Double.random(in: -1...1, using: &rng) }
    q = (0..<(2 * cells)).map { _ in Double.random(in: -1...1, using: &rng) }
    s = (0..<cells).map { _ in Double.random(in: 0.5...1.5, using: &rng) }
  }

  /// A random rank for each cell.
  func randomPartArray(ranks: Int, seed: UInt64) -> [Int] {
    var rng = SeededGenerator(seed: seed)
    return (0..<cellCount).map { _ in Int.random(in: 0..<ranks, using: &rng) }
  }
}

/// The mesh declared as OP2 objects, with the Dats the differential loops use.
final class MeshObjects {
  let nodes, cells, edges: Set
  let cellToNode, edgeToCell, edgeToNode: Map
  let x, v, q, s, g, r: Dat<Double>
  let count: Dat<Int32>
  let sum, minimum, maximum: Global<Double>

  /// The mesh declared whole (every rank the same), or — `inBlocks` — each rank declaring only
  /// its even block of every set, with map rows in global indices (the large-mesh path).
  init(_ mesh: RandomMesh, inBlocks: Bool = false) throws {
    if inBlocks {
      nodes = try Set(globalSize: mesh.nodeCount, name: "nodes")
      cells = try Set(globalSize: mesh.cellCount, name: "cells")
      edges = try Set(globalSize: mesh.edgeCount, name: "edges")
    } else {
      nodes = Set(size: mesh.nodeCount, name: "nodes")
      cells = Set(size: mesh.cellCount, name: "cells")
      edges = Set(size: mesh.edgeCount, name: "edges")
    }
    /// This rank's rows of `values` (`width` per element of `set`).
    func mine<T>(_ values: [T], _ set: Set, _ width: Int) -> [T] {
      let first = set.globalIndices.first ?? 0
      return Array(values[(first * width)..<((first + set.size) * width)])
    }
    cellToNode = try Map(from: cells, to: nodes, arity: 3, values: mine(mesh.cellNodes, cells, 3), name: "cell2node")
    edgeToCell = try Map(from: edges, to: cells, arity: 2, values: mine(mesh.edgeCells, edges, 2), name: "edge2cell")
    edgeToNode = try Map(from: edges, to: nodes, arity: 2, values: mine(mesh.edgeNodes, edges, 2), name: "edge2node")
    x = try Dat(nodes ** 2, values: mine(mesh.x, nodes, 2), name: "x")
    v = Dat(nodes ** 2, name: "v")
    q = try Dat(cells ** 2, values: mine(mesh.q, cells, 2), name: "q")
    s = try Dat(cells ** 1, values: mine(mesh.s, cells, 1), name: "s")
    g = Dat(cells ** 2, name: "g")
    r = Dat(cells ** 1, name: "r")
    count = Dat(nodes ** 1, name: "count")
    sum = Global(value: 0.25, name: "sum")
    minimum = Global(value: 10, name: "minimum")
    maximum = Global(value: -10, name: "maximum")
  }

  static let scale = Kernel(code: "void scale(double *q, const double *s) { q[0] = q[0] * s[0] + 0.125; q[1] = q[1] - 0.5 * s[0]; }", name: "scale")
  static let gather = Kernel(code: """
    void gather3(double *out, double *x[3]) {
      out[0] = x[0][0] + 2.0 * x[1][0] + 3.0 * x[2][0];
      out[1] = x[0][1] * x[1][1] - x[2][1];
    }
    """, name: "gather3")
  static let spread = Kernel(code: """
    void spread(double *v[3], const double *q) {
      for (int k = 0; k < 3; k++) { v[k][0] += q[0] * (k + 1); v[k][1] += q[1]; }
    }
    """, name: "spread")
  static let move = Kernel(code: "void move(double *x, const double *v) { x[0] += 0.01 * v[0]; x[1] -= 0.01 * v[1]; }", name: "move")
  static let flux = Kernel(code: """
    void flux(const double *qa, const double *qb, const double *xa, double *ra, double *rb) {
      double f = qa[0] - qb[1] + xa[0];
      ra[0] += f;
      rb[0] -= 0.5 * f;
    }
    """, name: "flux")
  static let stats = Kernel(code: """
    void stats(const double *q, const double *r, double *sum, double *mn, double *mx) {
      sum[0] += q[0] + r[0];
      if (q[1] < mn[0]) mn[0] = q[1];
      if (q[1] > mx[0]) mx[0] = q[1];
    }
    """, name: "stats")
  static let tally = Kernel(code: "void tally(int *c[3]) { c[0][0] += 1; c[1][0] += 2; c[2][0] += 3; }", name: "tally")

  /// A chain of loops with every access mode; data written in one iteration is read through
  /// maps in the next, so halos go stale and must be refreshed. `scale` and `spread` share `q`
  /// directly and fuse; `spread` writes through a map, so the fused pair runs on the exec halo.
  func run(iterations: Int) throws {
    for _ in 0..<iterations {
      try parLoop(Self.scale, over: cells, q(.rw), s(.read))
      try parLoop(Self.spread, over: cells, v(.inc, cellToNode), q(.read))
      try parLoop(Self.gather, over: cells, g(.write), x(.read, cellToNode))
      try parLoop(Self.move, over: nodes, x(.rw), v(.read))
      try parLoop(Self.flux, over: edges, q(.read, edgeToCell[0]), q(.read, edgeToCell[1]), x(.read, edgeToNode[1]),
                  r(.inc, edgeToCell[0]), r(.inc, edgeToCell[1]))
      try parLoop(Self.stats, over: cells, q(.read), r(.read), sum(.inc), minimum(.min), maximum(.max))
      try parLoop(Self.tally, over: cells, count(.rw, cellToNode))
    }
  }

  /// Every result, gathered in the declared numbering.
  func results() -> (dats: [String: [Double]], globals: [Double]) {
    var dats: [String: [Double]] = [:]
    for d in [x, v, q, s, g, r] { dats[d.name] = d.gatheredData() }
    dats["count"] = count.gatheredData().map(Double.init)
    return (dats, [sum.value[0], minimum.value[0], maximum.value[0]])
  }
}
