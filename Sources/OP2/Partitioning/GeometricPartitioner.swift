/// Recursive coordinate bisection (RCB): parts from the vertices' coordinates alone, computed by
/// all ranks together without any rank holding more than its own block.
///
/// A subdomain that must become `k` parts is cut across the longest side of its bounding box
/// into a lower side of ⌊k/2⌋ parts and an upper side of ⌈k/2⌉ parts, then each side is cut
/// again, until every subdomain is one part. Vertices are ordered along the cut axis by
/// coordinate and, between equal coordinates, by global number, so that the cut falls at an
/// exact vertex even on structured grids where whole rows share a coordinate. The cut of each
/// subdomain gives its lower side exactly its share of vertices, so part `p` ends with exactly
/// `⌊(p + 1)·N/parts⌋ − ⌊p·N/parts⌋` of the `N` vertices: part sizes differ by at most one.
///
/// The cut is found by bisection: on the bit patterns of the coordinate along the axis (at most
/// 64 steps), then on global numbers among the vertices at the cut coordinate (at most
/// log₂ N steps). Each step counts, on every rank, the vertices below the trial cut with a binary
/// search in a sorted copy of its vertices, and adds the counts of all subdomains of the level
/// with one `MPI_Allreduce`. The whole partition costs O(n log n · log parts) work per rank for
/// its `n` vertices and about (64 + log₂ N) · ⌈log₂ parts⌉ small allreduces; the edges are not
/// read, so the edge cut is whatever the geometry gives (about optimal on structured grids,
/// larger than a graph partitioner's on irregular meshes).
///
/// This plays the part of OP2-Common's `op_partition("PARMETIS", "GEOM", …)`, which calls
/// ParMETIS's `ParMETIS_V3_PartGeom` (a space-filling-curve method with approximate balance);
/// here it needs no library and the balance is exact.
enum GeometricPartitioner {
  /// A set of parts still to be cut: parts `firstPart ..< firstPart + partCount`.
  private struct Domain {
    var firstPart: Int
    var partCount: Int
  }

  /// Where the bisection of one subdomain's cut stands. The cut is the vertex of rank `target`
  /// in (coordinate key, global number) order; everything before it goes to the lower side.
  private enum Search {
    /// The smallest key whose count of vertices at or below it exceeds the target is in `low...high`.
    case key(low: UInt64, high: UInt64)
    /// The key is known; the smallest global number with the same property is in `low...high`.
    case number(key: UInt64, low: Int, high: Int)
    /// The cut vertex is (`key`, `number`).
    case found(key: UInt64, number: Int)
    /// The lower side takes every vertex (the subdomain is empty or needs no upper side).
    case everything

    var isSearching: Bool {
      switch self {
      case .key, .number: true
      case .found, .everything: false
      }
    }
  }

  /// The part, in `0..<parts`, of each local vertex of `graph`.
  ///
  /// Collective over `communicator`; `graph` must have passed
  /// ``DistributedGraph/validate(parts:method:communicator:)`` with `.geometric`.
  static func partition(_ graph: DistributedGraph, parts: Int, communicator: Communicator) -> [Int32] {
    let n = graph.localVertexCount, dimension = graph.coordinateDimension
    let total = graph.globalVertexCount
    var domains = [Domain(firstPart: 0, partCount: parts)]
    var domainOf = [Int](repeating: 0, count: n)

    while true {
      let active = domains.indices.filter { domains[$0].partCount > 1 }
      if active.isEmpty { break }
      var slotOf = [Int](repeating: -1, count: domains.count)
      for (slot, d) in active.enumerated() { slotOf[d] = slot }

      // The bounding box of every active subdomain, in one allreduce: the maximum of −min and max.
      var extremes = [Double](repeating: -.infinity, count: 2 * dimension * active.count)
      for v in 0..<n where slotOf[domainOf[v]] >= 0 {
        let base = 2 * dimension * slotOf[domainOf[v]]
        for a in 0..<dimension {
          let x = graph.coordinates[v * dimension + a]
          extremes[base + a] = max(extremes[base + a], -x)
          extremes[base + dimension + a] = max(extremes[base + dimension + a], x)
        }
      }
      extremes = communicator.allreduce(extremes, .max)
      let axes = active.indices.map { slot in
        let base = 2 * dimension * slot
        let extents = (0..<dimension).map { extremes[base + dimension + $0] + extremes[base + $0] }
        return extents.indices.max { extents[$0] < extents[$1] || (extents[$0] == extents[$1] && $0 > $1) }!
      }

      // Each subdomain's vertices on this rank, sorted by (key along its axis, global number).
      var sortedVertices = [[(key: UInt64, number: Int)]](repeating: [], count: active.count)
      for v in 0..<n where slotOf[domainOf[v]] >= 0 {
        let slot = slotOf[domainOf[v]]
        sortedVertices[slot].append((Self.key(graph.coordinates[v * dimension + axes[slot]]), graph.globalNumber(of: v)))
      }
      for slot in active.indices { sortedVertices[slot].sort { ($0.key, $0.number) < ($1.key, $1.number) } }

      // Targets: the lower side of parts [p, p + k) takes ⌊(p + ⌊k/2⌋)·N/P⌋ − ⌊p·N/P⌋ vertices.
      let targets = active.map { d in
        let p = domains[d].firstPart, lower = domains[d].partCount / 2
        return DistributedGraph.evenBlockStart(count: total, blocks: parts, block: p + lower)
          - DistributedGraph.evenBlockStart(count: total, blocks: parts, block: p)
      }
      let sizes = active.map { d in
        let p = domains[d].firstPart, k = domains[d].partCount
        return DistributedGraph.evenBlockStart(count: total, blocks: parts, block: p + k)
          - DistributedGraph.evenBlockStart(count: total, blocks: parts, block: p)
      }
      var searches: [Search] = active.indices.map { slot in
        let base = 2 * dimension * slot, a = axes[slot]
        if targets[slot] >= sizes[slot] { return .everything }
        return .key(low: Self.key(-extremes[base + a]), high: Self.key(extremes[base + dimension + a]))
      }

      // Bisection, all subdomains of the level together: one allreduce of counts per step.
      while searches.contains(where: \.isSearching) {
        var counts = [Int](repeating: 0, count: active.count)
        var trials = [(key: UInt64, number: Int)](repeating: (0, 0), count: active.count)
        for slot in active.indices {
          switch searches[slot] {
          case let .key(low, high): trials[slot] = (low + (high - low) / 2, Int.max)
          case let .number(key, low, high): trials[slot] = (key, low + (high - low) / 2)
          case .found, .everything: continue
          }
          counts[slot] = Self.countAtOrBelow(trials[slot], in: sortedVertices[slot])
        }
        counts = communicator.allreduce(counts, .sum)
        for slot in active.indices {
          let above = counts[slot] > targets[slot]  // the cut vertex is at or below the trial
          switch searches[slot] {
          case let .key(low, high):
            let (l, h) = above ? (low, trials[slot].key) : (trials[slot].key + 1, high)
            searches[slot] = l == h ? .number(key: l, low: 0, high: total - 1) : .key(low: l, high: h)
          case let .number(key, low, high):
            let (l, h) = above ? (low, trials[slot].number) : (trials[slot].number + 1, high)
            searches[slot] = l == h ? .found(key: key, number: l) : .number(key: key, low: l, high: h)
          case .found, .everything: break
          }
        }
      }

      // Split: the lower side keeps index d, the upper side is appended.
      var upperOf = [Int](repeating: -1, count: domains.count)
      for d in active {
        let k = domains[d].partCount, lower = k / 2
        upperOf[d] = domains.count
        domains.append(Domain(firstPart: domains[d].firstPart + lower, partCount: k - lower))
        domains[d].partCount = lower
      }
      for v in 0..<n where slotOf[domainOf[v]] >= 0 {
        let slot = slotOf[domainOf[v]]
        let goesUp: Bool
        switch searches[slot] {
        case let .found(key, number):
          let mine = (key: Self.key(graph.coordinates[v * dimension + axes[slot]]), number: graph.globalNumber(of: v))
          goesUp = !(mine < (key, number))
        default:
          goesUp = false
        }
        if goesUp { domainOf[v] = upperOf[domainOf[v]] }
      }
    }
    return domainOf.map { Int32(domains[$0].firstPart) }
  }

  /// A key whose unsigned order is the order of the coordinates (−0 and +0 alike): the bit
  /// pattern with the sign bit flipped for non-negative values and all bits flipped for negative
  /// ones. Coordinates are finite (validation checks it).
  static func key(_ x: Double) -> UInt64 {
    let bits = (x == 0 ? 0.0 : x).bitPattern
    return bits >> 63 == 1 ? ~bits : bits | (1 << 63)
  }

  /// The number of entries of the sorted `vertices` at or below `trial` (a binary search).
  private static func countAtOrBelow(_ trial: (key: UInt64, number: Int), in vertices: [(key: UInt64, number: Int)]) -> Int {
    var low = 0, high = vertices.count
    while low < high {
      let middle = (low + high) / 2
      if (vertices[middle].key, vertices[middle].number) <= trial { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
