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
    var incidences = [[Int]](repeating: [], count: ranks)
    for i in 0..<count {
      for k in 0..<arity {
        let t = Int(m.blockRows[i * arity + k])
        let q = target.block.owner(of: t)
        incidences[q].append(t)
        incidences[q].append(start + i)
      }
    }
    // Pairs (t, e) for the targets of this rank's block, grouped by target.
    var pairs: [(t: Int, e: Int)] = []
    for list in communicator.alltoall(incidences) {
      var j = 0
      while j < list.count { pairs.append((list[j], list[j + 1])); j += 2 }
    }
    pairs.sort { $0.t != $1.t ? $0.t < $1.t : $0.e < $1.e }
    var edges = [[Int]](repeating: [], count: ranks)
    var lower = 0
    while lower < pairs.count {
      var upper = lower + 1
      while upper < pairs.count, pairs[upper].t == pairs[lower].t { upper += 1 }
      for a in lower..<upper {
        for b in lower..<upper where pairs[a].e != pairs[b].e {
          let q = p.block.owner(of: pairs[a].e)
          edges[q].append(pairs[a].e)
          edges[q].append(pairs[b].e)
        }
      }
      lower = upper
    }
    var neighbours = [[Int]](repeating: [], count: count)
    for list in communicator.alltoall(edges) {
      var j = 0
      while j < list.count { neighbours[list[j] - start].append(list[j + 1]); j += 2 }
    }
    var offsets = [0]
    offsets.reserveCapacity(count + 1)
    var adjacency: [Int] = []
    for var list in neighbours {
      list.sort()
      var last = -1
      for v in list where v != last { adjacency.append(v); last = v }
      offsets.append(adjacency.count)
    }
    var points: [Double] = []
    var dimension = 0
    if let coordinates {
      dimension = coordinates.dataSet.dim
      points = centroids(of: coordinates, dimension: dimension)
    }
    return DistributedGraph(vertexOffset: start, globalVertexCount: p.block.globalSize, adjacencyOffsets: offsets,
                            adjacency: adjacency, coordinates: points, coordinateDimension: dimension)
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
