/// Orderings of mesh entities for locality: reverse Cuthill–McKee on an adjacency graph.
///
/// Loops over an unstructured mesh gather and scatter through maps; when neighbouring elements
/// have nearby numbers, those accesses hit cache lines and pages that were just used. Reverse
/// Cuthill–McKee (RCM) numbers a graph breadth-first from a peripheral vertex, which keeps every
/// vertex's neighbours close to it (a small *bandwidth*).
///
/// An ordering is returned as `order[new] = old`. ``OP2Grid/renumbered(_:)`` applies one to a
/// whole grid.
///
/// The corresponding OP2 facility is `op_renumber` (which calls Scotch/METIS orderings); PyOP2
/// leaves renumbering to Firedrake's mesh layer.
public enum Renumbering {
  /// The reverse Cuthill–McKee ordering of a graph given in compressed form: the neighbours of
  /// vertex `v` are `neighbours[offsets[v] ..< offsets[v + 1]]`.
  ///
  /// Each connected component is numbered breadth-first from a pseudo-peripheral vertex (found by
  /// repeated breadth-first searches from a vertex of least degree), visiting neighbours in order
  /// of increasing degree; the whole order is then reversed.
  ///
  /// - Precondition: `offsets` has `vertexCount + 1` non-decreasing entries starting at 0 and
  ///   ending at `neighbours.count`; every neighbour is in `0..<vertexCount`.
  /// - Returns: `order[new] = old`, a permutation of `0..<vertexCount`.
  public static func reverseCuthillMcKee(offsets: [Int], neighbours: [Int32]) -> [Int32] {
    let n = offsets.count - 1
    precondition(n >= 0 && offsets.first == 0 && offsets.last == neighbours.count,
                 "reverseCuthillMcKee: offsets must start at 0 and end at neighbours.count")
    let degree = (0..<n).map { offsets[$0 + 1] - offsets[$0] }
    var visited = [Bool](repeating: false, count: n)
    var order: [Int32] = []
    order.reserveCapacity(n)
    // Vertices by increasing degree: each new component starts from its least-degree vertex.
    let byDegree = (0..<n).sorted { (degree[$0], $0) < (degree[$1], $1) }
    var scratch = [Int](repeating: -1, count: n)  // BFS levels of the peripheral search
    for seed in byDegree where !visited[seed] {
      let start = peripheralVertex(from: seed, offsets: offsets, neighbours: neighbours, degree: degree, level: &scratch)
      var head = order.count
      visited[start] = true
      order.append(Int32(start))
      var next: [Int] = []
      while head < order.count {
        let v = Int(order[head])
        head += 1
        next.removeAll(keepingCapacity: true)
        for k in offsets[v]..<offsets[v + 1] {
          let w = Int(neighbours[k])
          if !visited[w] { visited[w] = true; next.append(w) }
        }
        next.sort { (degree[$0], $0) < (degree[$1], $1) }
        order.append(contentsOf: next.map(Int32.init))
      }
    }
    return order.reversed()
  }

  /// A vertex far from `seed` in its component: breadth-first searches, each from a least-degree
  /// vertex of the previous search's last level, while the depth grows (George and Liu).
  private static func peripheralVertex(from seed: Int, offsets: [Int], neighbours: [Int32], degree: [Int],
                                       level: inout [Int]) -> Int {
    var root = seed
    var depth = -1
    for _ in 0..<8 {
      var queue = [root]
      var touched = [root]
      level[root] = 0
      var head = 0
      while head < queue.count {
        let v = queue[head]
        head += 1
        for k in offsets[v]..<offsets[v + 1] {
          let w = Int(neighbours[k])
          if level[w] < 0 { level[w] = level[v] + 1; queue.append(w); touched.append(w) }
        }
      }
      let last = level[queue[queue.count - 1]]
      let candidate = queue.filter { level[$0] == last }.min { (degree[$0], $0) < (degree[$1], $1) }!
      for v in touched { level[v] = -1 }
      guard last > depth else { break }
      depth = last
      root = candidate
    }
    return root
  }

  /// The largest `|new(v) - new(w)|` over the edges of the graph, numbered by `order`
  /// (`order[new] = old`; `nil` means the identity): how far apart neighbours are.
  public static func bandwidth(offsets: [Int], neighbours: [Int32], order: [Int32]? = nil) -> Int {
    let n = offsets.count - 1
    let newIndex = order.map(inverse) ?? (0..<Int32(n)).map { $0 }
    var result = 0
    for v in 0..<n {
      for k in offsets[v]..<offsets[v + 1] { result = max(result, Int(abs(newIndex[v] - newIndex[Int(neighbours[k])]))) }
    }
    return result
  }

  /// The inverse of a permutation: `inverse(order)[old] = new` for `order[new] = old`.
  static func inverse(_ order: [Int32]) -> [Int32] {
    var newIndex = [Int32](repeating: 0, count: order.count)
    for (new, old) in order.enumerated() { newIndex[Int(old)] = Int32(new) }
    return newIndex
  }

  /// The graph on `count` vertices with an edge between the two entries of each pair in `pairs`
  /// (`pairs[2i]`, `pairs[2i + 1]`), in compressed form; self-loops are left out.
  public static func graph(count: Int, pairs: [Int32]) -> (offsets: [Int], neighbours: [Int32]) {
    var offsets = [Int](repeating: 0, count: count + 1)
    for i in stride(from: 0, to: pairs.count - 1, by: 2) where pairs[i] != pairs[i + 1] {
      offsets[Int(pairs[i]) + 1] += 1
      offsets[Int(pairs[i + 1]) + 1] += 1
    }
    for v in 0..<count { offsets[v + 1] += offsets[v] }
    var fill = offsets
    var neighbours = [Int32](repeating: 0, count: offsets[count])
    for i in stride(from: 0, to: pairs.count - 1, by: 2) where pairs[i] != pairs[i + 1] {
      let a = Int(pairs[i]), b = Int(pairs[i + 1])
      neighbours[fill[a]] = Int32(b); fill[a] += 1
      neighbours[fill[b]] = Int32(a); fill[b] += 1
    }
    return (offsets, neighbours)
  }
}

extension OP2Grid {
  /// How ``renumbered(_:)`` orders a grid.
  public enum Ordering: Sendable, Hashable {
    /// Cells by reverse Cuthill–McKee on the graph of cells sharing an interior edge; nodes in the
    /// order the renumbered cells first use them; edges and boundary edges by their cells.
    case reverseCuthillMcKee
    /// Cells, nodes, edges and boundary edges each in a random order (the worst case for
    /// locality; for experiments). The same seed gives the same grid.
    case shuffled(seed: UInt64)
  }

  /// The graph of cells that share an interior edge, in the compressed form of ``Renumbering``.
  public var cellGraph: (offsets: [Int], neighbours: [Int32]) { Renumbering.graph(count: cellCount, pairs: edgeCells) }

  /// The largest difference between the numbers of two cells that share an interior edge: small
  /// when the grid is numbered with locality.
  public var cellBandwidth: Int {
    let graph = cellGraph
    return Renumbering.bandwidth(offsets: graph.offsets, neighbours: graph.neighbours)
  }

  /// The same grid with its cells, nodes, edges and boundary edges numbered in another order.
  ///
  /// Only numbers change: every cell keeps its nodes in counter-clockwise order and every edge its
  /// node and cell order, so the airfoil kernels compute the same fluxes.
  public func renumbered(_ ordering: Ordering) -> OP2Grid {
    switch ordering {
    case .reverseCuthillMcKee:
      let graph = cellGraph
      let cells = Renumbering.reverseCuthillMcKee(offsets: graph.offsets, neighbours: graph.neighbours)
      return permuted(cellOrder: cells)
    case .shuffled(let seed):
      var rng = SeededGenerator(seed: seed)
      func shuffle(_ count: Int) -> [Int32] { (0..<Int32(count)).shuffled(using: &rng) }
      return permuted(cells: shuffle(cellCount), nodes: shuffle(nodeCount), edges: shuffle(edgeCount),
                      bedges: shuffle(bedgeCount))
    }
  }

  /// The grid with cells in `cellOrder` (`order[new] = old`) and everything else following them:
  /// nodes in order of first use by the renumbered cells (unused nodes last), edges by their
  /// lower then higher new cell, boundary edges by their new cell.
  private func permuted(cellOrder: [Int32]) -> OP2Grid {
    let newCell = Renumbering.inverse(cellOrder)
    var nodeOrder: [Int32] = []
    nodeOrder.reserveCapacity(nodeCount)
    var seen = [Bool](repeating: false, count: nodeCount)
    for old in cellOrder {
      for k in 0..<4 {
        let node = cellNodes[4 * Int(old) + k]
        if !seen[Int(node)] { seen[Int(node)] = true; nodeOrder.append(node) }
      }
    }
    for node in 0..<nodeCount where !seen[node] { nodeOrder.append(Int32(node)) }
    let edgeKeys = (0..<edgeCount).map { e -> (Int32, Int32) in
      let a = newCell[Int(edgeCells[2 * e])], b = newCell[Int(edgeCells[2 * e + 1])]
      return (min(a, b), max(a, b))
    }
    let edgeOrder = (0..<Int32(edgeCount)).sorted { (edgeKeys[Int($0)].0, edgeKeys[Int($0)].1, $0) < (edgeKeys[Int($1)].0, edgeKeys[Int($1)].1, $1) }
    let bedgeOrder = (0..<Int32(bedgeCount)).sorted { (newCell[Int(bedgeCells[Int($0)])], $0) < (newCell[Int(bedgeCells[Int($1)])], $1) }
    return permuted(cells: cellOrder, nodes: nodeOrder, edges: edgeOrder, bedges: bedgeOrder)
  }

  /// The grid with every entity numbered by its order (`order[new] = old`, each a permutation).
  private func permuted(cells: [Int32], nodes: [Int32], edges: [Int32], bedges: [Int32]) -> OP2Grid {
    let newNode = Renumbering.inverse(nodes), newCell = Renumbering.inverse(cells)
    /// Rows of `values` (`width` per entity) in `order`, each entry relabelled by `relabel`.
    func rows(_ values: [Int32], width: Int, order: [Int32], relabel: [Int32]?) -> [Int32] {
      var out = [Int32]()
      out.reserveCapacity(values.count)
      for old in order {
        for k in 0..<width {
          let v = values[width * Int(old) + k]
          out.append(relabel.map { $0[Int(v)] } ?? v)
        }
      }
      return out
    }
    var x = [Double]()
    x.reserveCapacity(self.x.count)
    for old in nodes { x.append(self.x[2 * Int(old)]); x.append(self.x[2 * Int(old) + 1]) }
    return OP2Grid(
      nodeCount: nodeCount, cellCount: cellCount, edgeCount: edgeCount, bedgeCount: bedgeCount, x: x,
      cellNodes: rows(cellNodes, width: 4, order: cells, relabel: newNode),
      edgeNodes: rows(edgeNodes, width: 2, order: edges, relabel: newNode),
      edgeCells: rows(edgeCells, width: 2, order: edges, relabel: newCell),
      bedgeNodes: rows(bedgeNodes, width: 2, order: bedges, relabel: newNode),
      bedgeCells: rows(bedgeCells, width: 1, order: bedges, relabel: newCell),
      bound: rows(bound, width: 1, order: bedges, relabel: nil))
  }
}

/// SplitMix64: a small seeded generator, so that a shuffle (or a failing random test case) can be
/// replayed from its seed.
package struct SeededGenerator: RandomNumberGenerator {
  package var state: UInt64
  package init(seed: UInt64) { state = seed }
  package mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
