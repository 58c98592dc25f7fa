/// Per-loop counts, times and bytes moved, gathered as loops run; the data behind
/// ``OP2/timingReport()`` (OP2's `op_timing_output`).
package struct LoopTimings: Sendable {
  package struct Entry: Sendable, Equatable {
    package var name: String
    package var count = 0
    package var seconds = 0.0
    package var bytes = 0
    package var planSeconds = 0.0
    package var colours = 0
    package var blocks = 0
    /// Time spent packing, posting, waiting for and unpacking halo exchanges.
    package var haloSeconds = 0.0
    /// Bytes this rank sent in halo exchanges.
    package var haloBytes = 0
    /// Halo exchanges (one per Dat per loop run).
    package var haloExchanges = 0
  }
  package private(set) var entries: [Entry] = []
  private var index: [String: Int] = [:]

  package mutating func record(name: String, seconds: Double, bytes: Int) {
    let i = slot(name)
    entries[i].count += 1
    entries[i].seconds += seconds
    entries[i].bytes += bytes
  }

  package mutating func recordHalo(name: String, seconds: Double, bytes: Int, exchanges: Int) {
    let i = slot(name)
    entries[i].haloSeconds += seconds
    entries[i].haloBytes += bytes
    entries[i].haloExchanges += exchanges
  }

  package mutating func recordPlan(name: String, seconds: Double, colours: Int, blocks: Int) {
    let i = slot(name)
    entries[i].planSeconds += seconds
    entries[i].colours = max(entries[i].colours, colours)
    entries[i].blocks = max(entries[i].blocks, blocks)
  }

  package mutating func reset() { entries = []; index = [:] }

  private mutating func slot(_ name: String) -> Int {
    if let i = index[name] { return i }
    entries.append(Entry(name: name))
    index[name] = entries.count - 1
    return entries.count - 1
  }
}
