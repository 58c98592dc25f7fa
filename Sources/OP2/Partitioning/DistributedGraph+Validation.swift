extension DistributedGraph {
  /// What validation learnt about the whole graph, the same on every rank.
  package struct Summary: Sendable, Equatable {
    /// The first global vertex of each rank's block, and the global vertex count at the end:
    /// rank `r` holds `blockStarts[r] ..< blockStarts[r + 1]`.
    package var blockStarts: [Int]
    /// The length of all ranks' `adjacency` together: twice the number of edges.
    package var globalArcCount: Int

    /// The rank whose block holds global vertex `vertex` (a binary search over `blockStarts`).
    ///
    /// - Precondition: `vertex` is in `0..<globalVertexCount`.
    package func owner(of vertex: Int) -> Int {
      var low = 0, high = blockStarts.count - 1  // invariant: blockStarts[low] <= vertex < blockStarts[high]
      while high - low > 1 {
        let middle = (low + high) / 2
        if blockStarts[middle] <= vertex { low = middle } else { high = middle }
      }
      return low
    }
  }

  /// Checks the distributed graph on every rank together, and throws the same error on every
  /// rank when any rank's block is invalid.
  ///
  /// Checked, in this order (each step is agreed on before the next, so a later step can rely on
  /// the earlier ones everywhere):
  /// 1. this block's shape: `parts` ≥ 1, `adjacencyOffsets` starts at 0, never decreases and ends
  ///    at `adjacency.count`; for ``GraphPartitioning/Method/geometric``, `coordinateDimension` ≥ 1
  ///    and `coordinateDimension × localVertexCount` finite coordinates;
  /// 2. agreement between ranks: the same `globalVertexCount`, `parts` and method everywhere, and
  ///    blocks that are consecutive in rank order and cover `0..<globalVertexCount`;
  /// 3. every neighbour in `0..<globalVertexCount`, no self loops, no repeated neighbours;
  /// 4. symmetry: for every arc `u → v`, the rank holding `v` lists `u` among `v`'s neighbours.
  ///
  /// Costs O(arcs × log(degree)) per rank, three small collectives and one all-to-all of two
  /// integers per arc (the symmetry check).
  ///
  /// - Parameters:
  ///   - parts: The number of parts asked for.
  ///   - method: The partitioner that will run.
  ///   - communicator: The ranks that hold the graph's blocks.
  /// - Returns: The block bounds and the global arc count, the same on every rank.
  /// - Throws: ``OP2Error/invalidPartitionInput(rank:reason:)`` naming the lowest rank with a
  ///   problem, on every rank.
  package func validate(parts: Int, method: GraphPartitioning.Method, communicator: Communicator,
                        checkSymmetry: Bool = true) throws(OP2Error) -> Summary {
    let rank = communicator.rank
    func problem(_ reason: String) -> OP2Error { .invalidPartitionInput(rank: rank, reason: reason) }

    // 1. This block's shape.
    try communicator.agree(shapeProblem(parts: parts, method: method).map(problem))

    // 2. Agreement between ranks; every rank computes the same verdict from the same table.
    let table = communicator.allgather([vertexOffset, localVertexCount, globalVertexCount, parts,
                                        GraphPartitioning.Method.allCases.firstIndex(of: method)!, adjacency.count])
    var blockStarts = [0]
    for (r, row) in table.enumerated() {
      let reason: String? =
        if row[2] != table[0][2] { "globalVertexCount is \(row[2]) on rank \(r) but \(table[0][2]) on rank 0" }
        else if row[3] != table[0][3] { "parts is \(row[3]) on rank \(r) but \(table[0][3]) on rank 0" }
        else if row[4] != table[0][4] { "the method differs between rank \(r) and rank 0" }
        else if row[0] != blockStarts[r] {
          "vertexOffset is \(row[0]) but the blocks of the ranks below hold \(blockStarts[r]) vertices; blocks must be consecutive in rank order"
        } else { nil }
      if let reason { throw OP2Error.invalidPartitionInput(rank: r, reason: reason) }
      blockStarts.append(row[0] + row[1])
    }
    if blockStarts.last! != globalVertexCount {
      throw OP2Error.invalidPartitionInput(
        rank: table.count - 1,
        reason: "the blocks hold \(blockStarts.last!) vertices but globalVertexCount is \(globalVertexCount)")
    }
    let summary = Summary(blockStarts: blockStarts, globalArcCount: table.reduce(0) { $0 + $1[5] })

    // 3. Neighbour numbers, self loops and repeats, on sorted copies of the rows.
    var sorted = adjacency
    var entryProblem: String?
    for v in 0..<localVertexCount where entryProblem == nil {
      let row = adjacencyOffsets[v]..<adjacencyOffsets[v + 1]
      sorted[row].sort()
      let u = globalNumber(of: v)
      if let bad = sorted[row].first(where: { !(0..<globalVertexCount).contains($0) }) {
        entryProblem = "vertex \(u) has neighbour \(bad), outside 0..<\(globalVertexCount)"
      } else if sorted[row].contains(u) {
        entryProblem = "vertex \(u) lists itself as a neighbour (self loops are not allowed)"
      } else if let i = row.dropFirst().first(where: { sorted[$0] == sorted[$0 - 1] }) {
        entryProblem = "vertex \(u) lists neighbour \(sorted[i]) twice"
      }
    }
    try communicator.agree(entryProblem.map(problem))

    // 4. Symmetry: each arc u → v is sent to v's owner as the pair (v, u), which looks for u in v's row.
    guard checkSymmetry else { return summary }
    var outgoing = [[Int]](repeating: [], count: communicator.size)
    for v in 0..<localVertexCount {
      for w in neighbours(of: v) {
        let owner = summary.owner(of: w)
        outgoing[owner].append(w)
        outgoing[owner].append(globalNumber(of: v))
      }
    }
    let incoming = communicator.alltoall(outgoing)
    var symmetryProblem: String?
    search: for pairs in incoming {
      for i in stride(from: 0, to: pairs.count, by: 2) {
        let v = pairs[i] - vertexOffset, u = pairs[i + 1]
        let row = sorted[adjacencyOffsets[v]..<adjacencyOffsets[v + 1]]
        if !Self.sortedSlice(row, contains: u) {
          symmetryProblem = "vertex \(u) lists \(pairs[i]) as a neighbour but \(pairs[i]) does not list \(u); the adjacency must be symmetric"
          break search
        }
      }
    }
    try communicator.agree(symmetryProblem.map(problem))
    return summary
  }

  /// Step 1 of ``validate(parts:method:communicator:)``: this rank's problem, if any.
  private func shapeProblem(parts: Int, method: GraphPartitioning.Method) -> String? {
    if parts < 1 || parts > Int(Int32.max) { return "parts is \(parts); it must be in 1...\(Int32.max)" }
    if globalVertexCount < 0 { return "globalVertexCount is \(globalVertexCount)" }
    guard let first = adjacencyOffsets.first else { return "adjacencyOffsets is empty; it needs localVertexCount + 1 entries" }
    if first != 0 { return "adjacencyOffsets starts at \(first), not 0" }
    if let i = adjacencyOffsets.indices.dropFirst().first(where: { adjacencyOffsets[$0] < adjacencyOffsets[$0 - 1] }) {
      return "adjacencyOffsets decreases at local vertex \(i - 1)"
    }
    if adjacencyOffsets.last! != adjacency.count {
      return "adjacencyOffsets ends at \(adjacencyOffsets.last!) but adjacency has \(adjacency.count) entries"
    }
    guard method == .geometric else { return nil }
    if coordinateDimension < 1 { return "geometric partitioning needs coordinates (coordinateDimension is \(coordinateDimension))" }
    if coordinates.count != coordinateDimension * localVertexCount {
      return "\(coordinates.count) coordinates for \(localVertexCount) vertices of dimension \(coordinateDimension)"
    }
    if let i = coordinates.firstIndex(where: { !$0.isFinite }) {
      return "vertex \(globalNumber(of: i / coordinateDimension)) has coordinate \(coordinates[i])"
    }
    return nil
  }

  /// Whether the ascending `row` contains `value` (binary search).
  private static func sortedSlice(_ row: ArraySlice<Int>, contains value: Int) -> Bool {
    var low = row.startIndex, high = row.endIndex
    while low < high {
      let middle = (low + high) / 2
      if row[middle] < value { low = middle + 1 } else { high = middle }
    }
    return low < row.endIndex && row[low] == value
  }
}
