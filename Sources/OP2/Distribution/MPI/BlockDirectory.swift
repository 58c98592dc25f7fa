/// A set's elements in consecutive blocks over the ranks — rank 0's block first — as declared
/// (or as a whole set is cut before partitioning), and the distributed lookups partitioning
/// needs: every per-element fact lives on the rank whose block holds the element, and any rank
/// can ask for it with one all-to-all exchange (a distributed directory, as in OP2's
/// `op_mpi_part_core.c`).
package struct BlockDirectory: Sendable {
  /// `starts[r] ..< starts[r + 1]` is rank `r`'s block; `starts.last` is the global size.
  package let starts: [Int]
  /// This rank.
  package let rank: Int

  package init(starts: [Int], rank: Int) {
    self.starts = starts
    self.rank = rank
  }

  /// The even split of `globalSize` elements over `ranks` ranks.
  package init(evenSplitOf globalSize: Int, ranks: Int, rank: Int) {
    self.init(starts: (0...ranks).map { globalSize * $0 / ranks }, rank: rank)
  }

  /// The blocks of the given sizes, in rank order.
  package init(blockSizes: [Int], rank: Int) {
    var starts = [0]
    for s in blockSizes { starts.append(starts.last! + s) }
    self.init(starts: starts, rank: rank)
  }

  package var globalSize: Int { starts.last! }
  package var ranks: Int { starts.count - 1 }
  /// This rank's block.
  package var local: Range<Int> { starts[rank]..<starts[rank + 1] }

  /// The rank whose block holds global element `g` (binary search).
  @inline(__always)
  package func owner(of g: Int) -> Int {
    var low = 0, high = ranks - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if starts[mid] <= g { low = mid } else { high = mid - 1 }
    }
    return low
  }

  /// For each key (a global element), the `width` values `table[(key - start) * width ..< …]`
  /// stored by the key's block owner: requests go out in one all-to-all, answers come back in
  /// another. The result holds `keys.count * width` values, in the order of `keys`.
  package func fetch<V: BitwiseCopyable>(_ table: [V], width: Int = 1, keys: [Int], on communicator: Communicator) -> [V] {
    let (requests, positions) = route(keys)
    let start = local.lowerBound
    let incoming = communicator.alltoall(requests)
    let answers = communicator.alltoall(incoming.map { wanted in
      var rows = [V]()
      rows.reserveCapacity(wanted.count * width)
      for key in wanted {
        let base = (key - start) * width
        rows.append(contentsOf: table[base..<(base + width)])
      }
      return rows
    })
    let total = keys.count * width
    return [V](unsafeUninitializedCapacity: total) { buffer, initialized in
      for (q, list) in answers.enumerated() {
        for (k, position) in positions[q].enumerated() {
          for c in 0..<width { buffer[position * width + c] = list[k * width + c] }
        }
      }
      initialized = total
    }
  }

  /// The smallest value sent for each element of this rank's block (`fallback` where none was):
  /// every rank sends `(key, value)` pairs to the keys' block owners.
  package func minimum(of pairs: [(key: Int, value: Int32)], fallback: Int32, on communicator: Communicator) -> [Int32] {
    var outgoing = [[Int]](repeating: [], count: ranks)
    for (key, value) in pairs {
      let q = owner(of: key)
      outgoing[q].append(key)
      outgoing[q].append(Int(value))
    }
    var result = [Int32](repeating: fallback, count: local.count)
    var seen = [Bool](repeating: false, count: local.count)
    let start = local.lowerBound
    for list in communicator.alltoall(outgoing) {
      var i = 0
      while i < list.count {
        let slot = list[i] - start, value = Int32(list[i + 1])
        if !seen[slot] || value < result[slot] { result[slot] = value; seen[slot] = true }
        i += 2
      }
    }
    return result
  }

  /// The keys grouped by block owner, and where each came from in `keys`.
  package func route(_ keys: [Int]) -> (requests: [[Int]], positions: [[Int]]) {
    var requests = [[Int]](repeating: [], count: ranks)
    var positions = [[Int]](repeating: [], count: ranks)
    for (i, key) in keys.enumerated() {
      let q = owner(of: key)
      requests[q].append(key)
      positions[q].append(i)
    }
    return (requests, positions)
  }
}
