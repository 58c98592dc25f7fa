/// A table of per-loop timings, like OP2's `op_timing_output`: loop name, number of calls, total
/// time, time per call and the achieved bandwidth from the bytes each loop moves at least once
/// (each Dat read and/or written once, each map read once; PyOP2 and OP2 count the same way).
///
/// Under MPI, ``OP2/timingReport()`` is this rank's, and ``OP2/gatheredTimingReport()`` combines
/// every rank's: per loop the slowest rank's time (what the loop costs the job), the average over
/// ranks, the bytes of all ranks, and the halo exchanges' time (slowest rank) and bytes (all ranks).
public struct TimingReport: Sendable, CustomStringConvertible {
  /// One loop's row.
  public struct Row: Sendable, Equatable, Codable {
    /// The kernel's name.
    public var name: String
    /// Number of executions.
    public var count: Int
    /// Total seconds spent executing (plans excluded); in a report gathered over ranks, the
    /// slowest rank's.
    public var seconds: Double
    /// Total bytes moved, by the estimate above.
    public var bytes: Int
    /// Seconds spent building execution plans for this loop (threaded backend).
    public var planSeconds: Double
    /// Seconds spent obtaining this loop's compiled wrappers: generating and compiling them, or
    /// loading them from the disk cache (0 when every run found them in memory). A fused group's
    /// row has the sum of its loops'. In a report gathered over ranks, the slowest rank's.
    public var compileSeconds: Double = 0
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
    /// The average over ranks of the seconds spent executing (`seconds` on one rank).
    public var averageSeconds: Double? = nil
    /// Achieved bandwidth in GB/s (10^9 bytes per second).
    public var gigabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1e9 : 0 }
  }

  /// Host↔device transfers of one object (a device backend's report; see the OpenCL article).
  public struct Transfer: Sendable, Equatable, Codable {
    /// `Dat`, `Global`, `Map`, `Const` or `Plan`.
    public var kind: String
    /// The object's name (a plan's: its loop and array).
    public var name: String
    /// Copies to the device, and their bytes.
    public var uploads = 0
    public var uploadBytes = 0
    /// Copies back to the host, and their bytes.
    public var downloads = 0
    public var downloadBytes = 0

    public init(kind: String, name: String) {
      self.kind = kind
      self.name = name
    }
  }

  /// The rows, in order of first execution.
  public var rows: [Row]
  /// Host↔device transfers, per object in order of first transfer (empty on host backends).
  public var transfers: [Transfer] = []
  /// The device loops ran on (`nil` on host backends).
  public var device: String? = nil
  /// Seconds a device backend spent building programs (beside ``compileSeconds``, the C wrappers').
  public var deviceCompileSeconds: Double = 0
  /// Remarks on how loops ran, such as loops a device backend left on the host.
  public var notes: [String] = []
  /// Seconds spent compiling wrappers in this process.
  public var compileSeconds: Double
  /// The ranks the report covers: 1 for one process's report.
  public var ranks: Int = 1

  /// A report of `rows`.
  public init(rows: [Row], compileSeconds: Double, ranks: Int = 1) {
    self.rows = rows
    self.compileSeconds = compileSeconds
    self.ranks = ranks
  }

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
    let distributed = ranks > 1 || rows.contains { $0.haloExchanges > 0 }
    let rule = String(repeating: "-", count: width + 60 + (distributed ? 36 : 0))
    var header = pad("loop", width, left: true) + pad("count", 8) + pad(ranks > 1 ? "max (s)" : "time (s)", 12)
    if distributed { header += pad("avg (s)", 12) }
    header += pad("µs/call", 12) + pad("GB/s", 9) + pad("plan (s)", 10) + pad("colours", 9)
    if distributed { header += pad("halo (s)", 10) + pad("halo KB/call", 14) }
    var lines = [header]
    lines.append(rule)
    for r in rows {
      var line = pad(r.name, width, left: true) + pad("\(r.count)", 8) + pad(fixed(r.seconds, 4), 12)
      if distributed { line += pad(fixed(r.averageSeconds ?? r.seconds, 4), 12) }
      line += pad(fixed(r.count > 0 ? r.seconds / Double(r.count) * 1e6 : 0, 1), 12)
        + pad(fixed(r.gigabytesPerSecond, 2), 9) + pad(fixed(r.planSeconds, 4), 10)
        + pad(r.colours > 0 ? "\(r.colours)" : "-", 9)
      if distributed {
        let perCall = r.count > 0 ? Double(r.haloBytes) / Double(r.count) / Double(ranks) / 1e3 : 0
        line += pad(r.haloExchanges > 0 ? fixed(r.haloSeconds, 4) : "-", 10) + pad(r.haloExchanges > 0 ? fixed(perCall, 1) : "-", 14)
      }
      lines.append(line)
    }
    let total = rows.reduce(0) { $0 + $1.seconds }
    lines.append(rule)
    lines.append(pad("total", width, left: true) + pad("", 8) + pad(fixed(total, 4), 12))
    lines.append("compile time: \(fixed(compileSeconds, 3)) s" + (ranks > 1 ? "; \(ranks) ranks (halo KB/call: sent per rank)" : ""))
    if let device {
      lines.append("device: \(device); program build time: \(fixed(deviceCompileSeconds, 3)) s")
    }
    if !transfers.isEmpty {
      let nameWidth = max(16, (transfers.map { $0.kind.count + 1 + $0.name.count }.max() ?? 0) + 1)
      lines.append(pad("transfers", nameWidth, left: true) + pad("up", 6) + pad("up MB", 11) + pad("down", 6) + pad("down MB", 11))
      for t in transfers {
        lines.append(pad("\(t.kind) \(t.name)", nameWidth, left: true) + pad("\(t.uploads)", 6)
          + pad(fixed(Double(t.uploadBytes) / 1e6, 3), 11) + pad("\(t.downloads)", 6) + pad(fixed(Double(t.downloadBytes) / 1e6, 3), 11))
      }
    }
    for note in notes { lines.append("note: " + note) }
    return lines.joined(separator: "\n")
  }
}
