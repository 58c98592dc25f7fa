/// The graph of the primary set, distributed in consecutive blocks: this rank holds vertices
/// `vertexOffset ..< vertexOffset + localVertexCount` (global numbers, rank 0's block first).
///
/// This is the input of ``GraphPartitioning/partition(_:parts:method:communicator:)``, the
/// counterpart of what OP2-Common's `op_partition` hands to PT-Scotch (`SCOTCH_dgraphBuild`) or
/// ParMETIS (`ParMETIS_V3_PartKway`): a compressed sparse row (CSR) adjacency per rank whose
/// neighbour numbers are global. Blocks are consecutive in rank order, so rank `r`'s
/// `vertexOffset` is the sum of the `localVertexCount`s of the ranks below it.
///
/// The adjacency must be symmetric (if `u` lists `v`, `v` lists `u`), with no self loops and no
/// repeated neighbours; `partition` checks all of this collectively before it calls a library.
///
/// A path 0 – 1 – 2 – 3 on two ranks:
///
///     // rank 0                                   // rank 1
///     DistributedGraph(vertexOffset: 0,           DistributedGraph(vertexOffset: 2,
///       globalVertexCount: 4,                       globalVertexCount: 4,
///       adjacencyOffsets: [0, 1, 3],                adjacencyOffsets: [0, 2, 3],
///       adjacency: [1, 0, 2])                       adjacency: [1, 3, 2])
package struct DistributedGraph: Sendable, Equatable {
  /// The global number of this rank's first vertex: the number of vertices on lower ranks.
  package var vertexOffset: Int
  /// The number of vertices on all ranks together; the same on every rank.
  package var globalVertexCount: Int
  /// localVertexCount + 1 offsets into adjacency
  package var adjacencyOffsets: [Int]
  /// Global numbers of the neighbours of each local vertex: symmetric, no self loops, no repeats.
  package var adjacency: [Int]
  /// Optional coordinates (`coordinateDimension` values per local vertex) for geometric partitioning.
  package var coordinates: [Double]
  /// The number of coordinates per vertex (2 or 3 for a mesh; 0 without coordinates).
  package var coordinateDimension: Int
  /// The number of vertices this rank holds.
  package var localVertexCount: Int { adjacencyOffsets.count - 1 }

  /// A graph block from its CSR arrays and, for ``GraphPartitioning/Method/geometric``, its
  /// vertices' coordinates (`coordinateDimension` values per local vertex, vertex after vertex).
  ///
  /// Nothing is checked here: ``GraphPartitioning/partition(_:parts:method:communicator:)``
  /// validates the whole distributed graph, on every rank together.
  package init(vertexOffset: Int, globalVertexCount: Int, adjacencyOffsets: [Int], adjacency: [Int],
               coordinates: [Double] = [], coordinateDimension: Int = 0) {
    self.vertexOffset = vertexOffset
    self.globalVertexCount = globalVertexCount
    self.adjacencyOffsets = adjacencyOffsets
    self.adjacency = adjacency
    self.coordinates = coordinates
    self.coordinateDimension = coordinateDimension
  }

  /// The global numbers of local vertex `vertex`'s neighbours.
  ///
  /// - Precondition: `vertex` is in `0..<localVertexCount`.
  package func neighbours(of vertex: Int) -> ArraySlice<Int> {
    adjacency[adjacencyOffsets[vertex]..<adjacencyOffsets[vertex + 1]]
  }

  /// The global number of local vertex `vertex`.
  package func globalNumber(of vertex: Int) -> Int { vertexOffset + vertex }

  /// The number of edges with at least one end on this rank, counting an edge between two local
  /// vertices twice: the length of `adjacency`.
  package var localArcCount: Int { adjacency.count }
}

extension DistributedGraph {
  /// The block of `count` vertices starting at global number `first` from a graph every rank
  /// holds whole: a helper for tests and for meshes read on every rank.
  ///
  /// Costs O(edges of the block).
  ///
  /// - Parameters:
  ///   - offsets: The whole graph's CSR offsets (`globalVertexCount + 1` entries).
  ///   - adjacency: The whole graph's neighbour lists, global numbers.
  ///   - coordinates: The whole graph's coordinates (`dimension` per vertex), or empty.
  ///   - dimension: Coordinates per vertex (0 without coordinates).
  ///   - first: The block's first global vertex.
  ///   - count: The block's number of vertices.
  package init(slicing offsets: [Int], adjacency: [Int], coordinates: [Double] = [], dimension: Int = 0,
               first: Int, count: Int) {
    let start = offsets[first], end = offsets[first + count]
    self.init(vertexOffset: first, globalVertexCount: offsets.count - 1,
              adjacencyOffsets: offsets[first...(first + count)].map { $0 - start },
              adjacency: Array(adjacency[start..<end]),
              coordinates: dimension > 0 ? Array(coordinates[(first * dimension)..<((first + count) * dimension)]) : [],
              coordinateDimension: dimension)
  }

  /// The first global vertex of each of `ranks` even blocks of `count` vertices, and `count` at
  /// the end: block `r` is `bounds[r] ..< bounds[r + 1]`, and block sizes differ by at most one.
  ///
  /// This is also the block of parts `p` for ``GraphPartitioning/Method/block`` and the target
  /// size of each part for ``GraphPartitioning/Method/geometric``.
  package static func evenBlockBounds(count: Int, blocks: Int) -> [Int] {
    (0...blocks).map { evenBlockStart(count: count, blocks: blocks, block: $0) }
  }

  /// `floor(block × count / blocks)`: where block `block` of `blocks` even blocks starts.
  package static func evenBlockStart(count: Int, blocks: Int, block: Int) -> Int {
    let product = block.multipliedFullWidth(by: count)
    return Int(truncatingIfNeeded: blocks.dividingFullWidth((product.high, product.low)).quotient)
  }
}
