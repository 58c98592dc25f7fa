/// Per-loop counts, times and bytes moved, gathered as loops run; the data behind
/// ``OP2/timingReport()`` (OP2's `op_timing_output`).
package struct LoopTimings: Sendable {
  /// One row per loop (or fused group), in order of first execution.
  package private(set) var entries: [TimingReport.Row] = []
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

  /// Seconds spent obtaining each kernel's wrappers, by kernel name: kept apart from the rows so
  /// that a loop compiled but never run (or only run fused) adds no row.
  package private(set) var compileSeconds: [String: Double] = [:]

  package mutating func recordCompile(kernel: String, seconds: Double) {
    compileSeconds[kernel, default: 0] += seconds
  }

  /// The rows with their compile times: a row's own kernel's, or — for a fused group named
  /// `a+b×2+c` (kernel names are C identifiers) — the sum of its distinct kernels'.
  package var rowsWithCompileTimes: [TimingReport.Row] {
    entries.map { row in
      var row = row
      row.compileSeconds = compileSeconds[row.name]
        ?? row.name.split(separator: "+").reduce(0) { $0 + (compileSeconds[String($1.prefix { $0 != "×" })] ?? 0) }
      return row
    }
  }

  package mutating func reset() { entries = []; index = [:]; compileSeconds = [:]; last = nil }

  /// The last name looked up and its row: a loop run again and again (the usual case) compares
  /// one string, usually the same storage, instead of hashing it.
  private var last: (name: String, slot: Int)?

  private mutating func slot(_ name: String) -> Int {
    if let last, last.name == name { return last.slot }
    if let i = index[name] {
      last = (name, i)
      return i
    }
    entries.append(TimingReport.Row(name: name, count: 0, seconds: 0, bytes: 0, planSeconds: 0, colours: 0, blocks: 0))
    index[name] = entries.count - 1
    last = (name, entries.count - 1)
    return entries.count - 1
  }
}
