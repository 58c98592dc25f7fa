import Foundation

/// The report as files: JSON (everything in it) and CSV (one row per loop), like OP2's
/// `op_timing_output` written with `op_timings_to_csv`, or PyOP2's `summary()` of its
/// `timed_region`s, but machine-readable.
extension TimingReport: Codable {
  /// A file format the report can be written in, chosen by the output path's extension.
  public enum Format: String, Sendable, CaseIterable {
    /// Everything in the report, as one JSON object (see ``TimingReport/json()``).
    case json
    /// One row per loop (see ``TimingReport/csv()``).
    case csv

    /// The extensions this type recognises, with their dots: `[".json", ".csv"]`.
    public static var extensions: [String] { allCases.map { "." + $0.rawValue } }

    /// The format named by `path`'s extension, `.json` or `.csv` (in any letter case).
    ///
    /// ```swift
    /// let format = try TimingReport.Format(path: "out.json")   // .json
    /// ```
    ///
    /// - Parameter path: An output path.
    /// - Throws: ``OP2Error/unsupportedFileFormat(path:format:expected:)`` for any other
    ///   extension, or none.
    public init(path: String) throws(OP2Error) {
      let name = path.split(separator: "/").last.map(String.init) ?? ""
      let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
      let found = dot.map { String(name[$0...]) } ?? ""
      guard let format = Format(rawValue: String(found.dropFirst()).lowercased()) else {
        throw .unsupportedFileFormat(path: path, format: found, expected: Self.extensions)
      }
      self = format
    }
  }

  private enum CodingKeys: String, CodingKey {
    case ranks, device, compileSeconds, deviceCompileSeconds, totalSeconds, loops, transfers, notes
  }

  /// Decodes a report written by ``json()``.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(rows: try c.decode([Row].self, forKey: .loops), compileSeconds: try c.decode(Double.self, forKey: .compileSeconds),
              ranks: try c.decode(Int.self, forKey: .ranks))
    device = try c.decodeIfPresent(String.self, forKey: .device)
    deviceCompileSeconds = try c.decodeIfPresent(Double.self, forKey: .deviceCompileSeconds) ?? 0
    transfers = try c.decodeIfPresent([Transfer].self, forKey: .transfers) ?? []
    notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
  }

  /// Encodes the report: `ranks`, `compileSeconds`, `totalSeconds` (the rows' `seconds` summed),
  /// `loops` (the rows), `transfers`, `notes`, and on a device backend `device` and
  /// `deviceCompileSeconds`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(ranks, forKey: .ranks)
    try c.encodeIfPresent(device, forKey: .device)
    try c.encode(compileSeconds, forKey: .compileSeconds)
    if device != nil { try c.encode(deviceCompileSeconds, forKey: .deviceCompileSeconds) }
    try c.encode(totalSeconds, forKey: .totalSeconds)
    try c.encode(rows, forKey: .loops)
    try c.encode(transfers, forKey: .transfers)
    try c.encode(notes, forKey: .notes)
  }

  /// The seconds of every row, summed: the time spent executing loops.
  public var totalSeconds: Double { rows.reduce(0) { $0 + $1.seconds } }

  /// The report as a JSON object, pretty-printed with sorted keys.
  ///
  /// The object holds `ranks`, `compileSeconds` (this process's wrapper compiles; under MPI the
  /// slowest rank's), `totalSeconds`, `notes`, and two arrays:
  /// - `loops`, one object per row in order of first execution, with ``Row``'s properties by
  ///   name: `name`, `count`, `seconds` (and `averageSeconds` over ranks in a gathered report),
  ///   `compileSeconds`, `planSeconds`, `colours`, `blocks`, `haloSeconds`, `haloExchanges`,
  ///   `haloBytes`, `bytes`;
  /// - `transfers`, a device backend's host↔device copies per object (`kind`, `name`,
  ///   `uploads`, `uploadBytes`, `downloads`, `downloadBytes`), with `device` and
  ///   `deviceCompileSeconds` beside them.
  ///
  /// A non-finite number (a report built by hand) is written as the string `"nan"`, `"inf"` or
  /// `"-inf"`. `JSONDecoder().decode(TimingReport.self, from:)` reads the text back.
  public func json() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    // Strings, integers and (with the strategy above) every Double encode: this cannot fail.
    guard let data = try? encoder.encode(self) else { preconditionFailure("TimingReport: JSON encoding failed") }
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// The column names of ``csv()``, in order.
  public static let csvColumns = [
    "loop", "count", "seconds", "average_seconds", "microseconds_per_call", "compile_seconds", "plan_seconds",
    "colours", "blocks", "halo_seconds", "halo_exchanges", "halo_bytes", "bytes", "gigabytes_per_second",
  ]

  /// The loops as comma-separated values: a header of ``csvColumns``, then one line per row in
  /// order of first execution (RFC 4180; a name with a comma or quote is quoted).
  ///
  /// Times are in seconds, except `microseconds_per_call` (`seconds / count`, 0 for no calls);
  /// `average_seconds` is the average over ranks in a gathered report and `seconds` otherwise.
  /// Numbers are written as Swift prints them: the shortest text that reads back as the same
  /// `Double` (`0.25`, `1e-05`). Transfers and the report's totals are in ``json()`` only.
  public func csv() -> String {
    var lines = [Self.csvColumns.joined(separator: ",")]
    for r in rows {
      let fields: [String] = [
        Self.csvField(r.name), "\(r.count)", "\(r.seconds)", "\(r.averageSeconds ?? r.seconds)",
        "\(r.count > 0 ? r.seconds / Double(r.count) * 1e6 : 0)", "\(r.compileSeconds)", "\(r.planSeconds)",
        "\(r.colours)", "\(r.blocks)", "\(r.haloSeconds)", "\(r.haloExchanges)", "\(r.haloBytes)", "\(r.bytes)",
        "\(r.gigabytesPerSecond)",
      ]
      lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The report's text in `format`.
  public func text(_ format: Format) -> String {
    switch format {
    case .json: json()
    case .csv: csv()
    }
  }

  /// Writes the report to `path` in the format its extension names, through ``OutputFile``
  /// (atomically; a symbolic link is followed).
  ///
  /// Under MPI, gather first and write on one rank:
  /// ```swift
  /// let report = OP2.gatheredTimingReport()          // every rank
  /// if OP2.rank == 0 { try report.write(to: "timings.json") }
  /// ```
  ///
  /// - Parameter path: A `.json` or `.csv` path.
  /// - Throws: ``OP2Error/unsupportedFileFormat(path:format:expected:)`` for another extension
  ///   (nothing is written), or ``OP2Error/fileError(path:reason:)`` when the file cannot be
  ///   written. Call `TimingReport.Format(path:)` and ``OutputFile/checkWritable(_:)`` before a
  ///   long run to find either problem first.
  public func write(to path: String) throws(OP2Error) {
    try OutputFile.write(text(try Format(path: path)), to: path)
  }

  /// A field as CSV needs it: quoted, with quotes doubled, when it holds a comma, quote or line end.
  private static func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
