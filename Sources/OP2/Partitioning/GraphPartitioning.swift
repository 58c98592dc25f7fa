/// Partitions the graph of the primary set over the ranks: OP2's `op_partition`.
///
/// Every rank passes its block of a ``DistributedGraph`` and receives the part of each of its
/// vertices. The parts then decide which rank owns which elements when the sets are
/// redistributed. Four methods are offered, with different costs and guarantees:
///
/// | method | library | data on one rank | balance | edge cut |
/// |---|---|---|---|---|
/// | ``Method/ptscotch`` | PT-Scotch, parallel | own block | within 1 % | small |
/// | ``Method/metis`` | METIS, on rank 0 | whole graph on rank 0 | within 3 % | small |
/// | ``Method/geometric`` | none (RCB) | own block | exact (±1 vertex) | geometric |
/// | ``Method/block`` | none | own block | as given | as given |
///
/// `partition` is collective: every rank calls it with the same `parts` and `method`, and it
/// never leaves a rank waiting. The graph is validated on all ranks together first (see
/// ``DistributedGraph/validate(parts:method:communicator:)``), and every library call's status is
/// agreed on before the next step, so a problem found on one rank becomes the same thrown
/// ``OP2Error`` on every rank.
///
///     let graph = DistributedGraph(vertexOffset: first, globalVertexCount: total,
///                                  adjacencyOffsets: offsets, adjacency: neighbours)
///     let parts = try GraphPartitioning.partition(graph, parts: world.size, method: .ptscotch,
///                                                 communicator: world)
///     // parts[i] is the rank that will own local vertex i
///
/// Results are deterministic: the same graph, on the same number of ranks, with the same method
/// and parts, gives the same parts (seeds are fixed, ties are broken by global number).
package enum GraphPartitioning {
  /// How to partition: OP2's `lib_name` and `lib_routine` arguments of `op_partition`.
  package enum Method: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// PT-Scotch's parallel multilevel partitioner (`SCOTCH_dgraphPart`), run on the distributed
    /// graph: scales to graphs no rank could hold. OP2's `"PTSCOTCH"`/`"KWAY"`.
    case ptscotch
    /// METIS's serial multilevel k-way partitioner (`METIS_PartGraphKway`), on the whole graph
    /// gathered on rank 0: for graphs that fit on one rank. OP2's `"PARMETIS"`/`"KWAY"`, serially.
    case metis
    /// Recursive coordinate bisection on the vertices' coordinates, computed in parallel with
    /// exact balance; needs no library and ignores the edges. In OP2, `"PARMETIS"`/`"GEOM"`.
    case geometric
    /// Each rank's own block is its part (`parts == ranks`); otherwise consecutive global
    /// numbers in even blocks. No communication, no improvement of the cut: OP2's "trivial block
    /// partitioning", what `op_partition` falls back to without a library.
    case block

    package var description: String {
      switch self {
      case .ptscotch: "PT-Scotch"
      case .metis: "METIS"
      case .geometric: "geometric (RCB)"
      case .block: "block"
      }
    }
  }

  /// The part, in `0..<parts`, of each of this rank's vertices.
  ///
  /// Collective over `communicator`: every rank calls it with its own block and the same `parts`
  /// and `method`. `parts` need not equal the number of ranks. With `parts == 1` every vertex is
  /// in part 0 and no library is called.
  ///
  /// Costs the validation (O(arcs · log degree) per rank and one all-to-all of the arcs) plus
  /// the method's cost: see each ``Method`` case.
  ///
  /// - Parameters:
  ///   - graph: This rank's block of the graph; blocks are consecutive in rank order.
  ///   - parts: The number of parts, at least 1.
  ///   - method: The partitioner.
  ///   - communicator: The ranks that hold the graph's blocks.
  /// - Returns: `graph.localVertexCount` part numbers.
  /// - Throws: The same error on every rank:
  ///   ``OP2Error/invalidPartitionInput(rank:reason:)`` when any rank's block is malformed (with
  ///   the lowest such rank), ``OP2Error/partitionerFailed(method:reason:)`` when a library fails.
  ///   - symmetricByConstruction: Skip the symmetry check (one all-to-all of every arc) for a
  ///     graph its builder made symmetric, such as the primary set's graph built by partitioning.
  package static func partition(_ graph: DistributedGraph, parts: Int, method: Method, communicator: Communicator,
                                symmetricByConstruction: Bool = false) throws(OP2Error) -> [Int32] {
    let summary = try graph.validate(parts: parts, method: method, communicator: communicator,
                                     checkSymmetry: !symmetricByConstruction)
    if parts == 1 { return [Int32](repeating: 0, count: graph.localVertexCount) }
    switch method {
    case .ptscotch:
      return try PTScotch.partition(graph, parts: parts, summary: summary, communicator: communicator)
    case .metis:
      return try METIS.partition(graph, parts: parts, summary: summary, communicator: communicator)
    case .geometric:
      return GeometricPartitioner.partition(graph, parts: parts, communicator: communicator)
    case .block:
      return block(graph, parts: parts, communicator: communicator)
    }
  }

  /// ``Method/block``: `rank` for every vertex when `parts` equals the number of ranks; otherwise
  /// part `p` is the global numbers `⌊p·N/parts⌋ ..< ⌊(p+1)·N/parts⌋`. O(local vertices), no
  /// communication.
  static func block(_ graph: DistributedGraph, parts: Int, communicator: Communicator) -> [Int32] {
    if parts == communicator.size {
      return [Int32](repeating: Int32(communicator.rank), count: graph.localVertexCount)
    }
    guard graph.localVertexCount > 0 else { return [] }
    let bounds = DistributedGraph.evenBlockBounds(count: graph.globalVertexCount, blocks: parts)
    // The first vertex's part by binary search (the last p with bounds[p] <= it), then walk on.
    var p = 0, high = parts
    while high - p > 1 {
      let middle = (p + high) / 2
      if bounds[middle] <= graph.vertexOffset { p = middle } else { high = middle }
    }
    var result = [Int32](repeating: 0, count: graph.localVertexCount)
    for v in 0..<graph.localVertexCount {
      while bounds[p + 1] <= graph.globalNumber(of: v) { p += 1 }
      result[v] = Int32(p)
    }
    return result
  }
}
