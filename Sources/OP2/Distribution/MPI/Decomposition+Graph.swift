extension Decomposition {
  /// The primary set's graph, distributed in its blocks: two elements are adjacent when the
  /// primary map sends them to a common element (cells that share a node), as OP2's
  /// `op_partition_ptscotch` builds it. With `coordinates`, each vertex also gets a point: the
  /// coordinates themselves on the primary set, or the mean of its targets' coordinates when they
  /// live on the primary map's target set (a cell's centroid).
  ///
  /// Two all-to-all rounds: every (target, element) incidence goes to the target's block owner,
  /// which pairs up the elements of each target and sends each pair to the first element's
  /// block owner.
  func primaryGraph(coordinates: Dat<Double>?) -> DistributedGraph {
    let p = pieces[primary], m = primaryMap, target = pieces[m.to]
    let arity = m.arity, start = p.block.local.lowerBound, count = p.block.local.count
    // Global numbers travel as Int32: every set is smaller than 2³¹ (map entries are Int32).
    var incidences = [[Int32]](repeating: [], count: ranks)
    for i in 0..<count {
      for k in 0..<arity {
        let t = m.blockRows[i * arity + k]
        let q = target.block.owner(of: Int(t))
        incidences[q].append(t)
        incidences[q].append(Int32(start + i))
      }
    }
    // The elements of each target of this rank's block (counting sort by target).
    let targetStart = target.block.local.lowerBound
    let (byTarget, members) = Self.rows(communicator.alltoall(incidences), count: target.block.local.count, first: targetStart)
    // Every ordered pair of elements sharing a target, to the first element's block owner.
    var pairs = [[Int32]](repeating: [], count: ranks)
    for t in 0..<(byTarget.count - 1) {
      let lower = byTarget[t], upper = byTarget[t + 1]
      for a in lower..<upper {
        let q = p.block.owner(of: Int(members[a]))
        for b in lower..<upper where members[a] != members[b] {
          pairs[q].append(members[a])
          pairs[q].append(members[b])
        }
      }
    }
    let (offsets, listed) = Self.rows(communicator.alltoall(pairs), count: count, first: start)
    // Each vertex's neighbours, sorted, without repeats.
    var adjacencyOffsets = [Int](repeating: 0, count: count + 1)
    var adjacency = [Int]()
    adjacency.reserveCapacity(listed.count / 2)
    var row: [Int32] = []
    for v in 0..<count {
      row.removeAll(keepingCapacity: true)
      row.append(contentsOf: listed[offsets[v]..<offsets[v + 1]])
      row.sort()
      var last: Int32 = -1
      for w in row where w != last { adjacency.append(Int(w)); last = w }
      adjacencyOffsets[v + 1] = adjacency.count
    }
    var points: [Double] = []
    var dimension = 0
    if let coordinates {
      dimension = coordinates.dataSet.dim
      points = centroids(of: coordinates, dimension: dimension)
    }
    return DistributedGraph(vertexOffset: start, globalVertexCount: p.block.globalSize, adjacencyOffsets: adjacencyOffsets,
                            adjacency: adjacency, coordinates: points, coordinateDimension: dimension)
  }

  /// `(key, value)` pairs (interleaved, keys in `first ..< first + count`) grouped by key:
  /// `values[offsets[k] ..< offsets[k + 1]]` are key `first + k`'s values, in arrival order.
  static func rows(_ lists: [[Int32]], count: Int, first: Int) -> (offsets: [Int], values: [Int32]) {
    var offsets = [Int](repeating: 0, count: count + 1)
    for list in lists { for j in stride(from: 0, to: list.count, by: 2) { offsets[Int(list[j]) - first + 1] += 1 } }
    for k in 0..<count { offsets[k + 1] += offsets[k] }
    var next = offsets
    var values = [Int32](repeating: 0, count: offsets[count])
    for list in lists {
      for j in stride(from: 0, to: list.count, by: 2) {
        let k = Int(list[j]) - first
        values[next[k]] = list[j + 1]
        next[k] += 1
      }
    }
    return (offsets, values)
  }

  /// One point per element of the primary block: its own coordinates, or its targets' mean.
  private func centroids(of coordinates: Dat<Double>, dimension: Int) -> [Double] {
    guard let piece = dats.first(where: { $0.dat === coordinates }) else { return [] }
    let values = piece.blockBytes.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    if piece.set == primary { return values }
    let m = primaryMap, target = pieces[m.to]
    let rows = target.block.fetch(values, width: dimension, keys: m.blockRows.map { Int($0) }, on: communicator)
    let count = m.blockRows.count / m.arity
    var out = [Double](repeating: 0, count: count * dimension)
    for i in 0..<count {
      for k in 0..<m.arity {
        for c in 0..<dimension { out[i * dimension + c] += rows[(i * m.arity + k) * dimension + c] }
      }
      for c in 0..<dimension { out[i * dimension + c] /= Double(m.arity) }
    }
    return out
  }
}
