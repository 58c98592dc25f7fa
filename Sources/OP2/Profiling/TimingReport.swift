/// A table of per-loop timings, like OP2's `op_timing_output`: loop name, number of calls, total
/// time, time per call and the achieved bandwidth from the bytes each loop moves at least once
/// (each Dat read and/or written once, each map read once; PyOP2 and OP2 count the same way).
public struct TimingReport: Sendable, CustomStringConvertible {
  /// One loop's row.
  public struct Row: Sendable, Equatable {
    /// The kernel's name.
    public var name: String
    /// Number of executions.
    public var count: Int
    /// Total seconds spent executing (plans excluded).
    public var seconds: Double
    /// Total bytes moved, by the estimate above.
    public var bytes: Int
    /// Seconds spent building execution plans for this loop (threaded backend).
    public var planSeconds: Double
    /// Colours of the largest plan built for this loop (0: no plan).
    public var colours: Int
    /// Blocks of the largest plan built for this loop.
    public var blocks: Int
    /// Seconds spent in halo exchanges (packing, posting, waiting, unpacking); 0 without MPI.
    public var haloSeconds: Double = 0
    /// Bytes this rank sent in halo exchanges.
    public var haloBytes: Int = 0
    /// Halo exchanges (one per Dat per loop run).
    public var haloExchanges: Int = 0
    /// Achieved bandwidth in GB/s (10^9 bytes per second).
    public var gigabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e9 : 0 }
  }

  /// The rows, in order of first execution.
  public var rows: [Row]
  /// Seconds spent compiling wrappers in this process.
  public var compileSeconds: Double

  /// The table as text.
  public var description: String {
    func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
      s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count) : String(repeating: " ", count: n - s.count) + s)
    }
    func fixed(_ v: Double, _ digits: Int) -> String {
      let scale = (0..<digits).reduce(1.0) { r, _ in r * 10 }
      let r = (v * scale).rounded() / scale
      var s = String(r)
      if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
      } else { s += "." + String(repeating: "0", count: digits) }
      return s
    }
    // Fused groups have long names ("update+save_soln+adt_calc"): the first column fits them.
    let width = max(16, (rows.map(\.name.count).max() ?? 0) + 1)
    let rule = String(repeating: "-", count: width + 60)
    var lines = [pad("loop", width, left: true) + pad("count", 8) + pad("time (s)", 12) + pad("µs/call", 12) + pad("GB/s", 9) + pad("plan (s)", 10) + pad("colours", 9)]
    lines.append(rule)
    for r in rows {
      lines.append(pad(r.name, width, left: true) + pad("\(r.count)", 8) + pad(fixed(r.seconds, 4), 12)
                   + pad(fixed(r.count > 0 ? r.seconds / Double(r.count) * 1e6 : 0, 1), 12)
                   + pad(fixed(r.gigabytesPerSecond, 2), 9) + pad(fixed(r.planSeconds, 4), 10)
                   + pad(r.colours > 0 ? "\(r.colours)" : "-", 9))
    }
    let total = rows.reduce(0) { $0 + $1.seconds }
    lines.append(rule)
    lines.append(pad("total", width, left: true) + pad("", 8) + pad(fixed(total, 4), 12))
    lines.append("compile time: \(fixed(compileSeconds, 3)) s")
    return lines.joined(separator: "\n")
  }
}
