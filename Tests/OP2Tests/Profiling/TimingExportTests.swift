import Foundation
import Testing
@testable import OP2

/// The timing report as JSON and CSV files, and the compile time it now keeps per loop.
@Suite("Timing export")
struct TimingExportTests {
  /// Two loops run by hand: `spread` three times, `scale` twice.
  static func runLoops() throws -> TimingReport {
    let nodes = Set(size: 10, name: "nodes"), edges = Set(size: 4, name: "edges")
    let e2n = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3, 3, 4], name: "e2n")
    let x = Dat<Double>(nodes ** 2, name: "x"), w = Dat<Double>(edges ** 1, name: "w")
    let spread = Kernel(code: "void spread(double *w, double **x) { x[0][0] += *w; x[1][0] += *w; }", name: "spread")
    let scale = Kernel(code: "void scale(double *x) { x[0] *= 2.0; x[1] *= 2.0; }", name: "scale")
    for _ in 0..<3 { try parLoop(spread, over: edges, w(.read), x(.inc, e2n)) }
    for _ in 0..<2 { try parLoop(scale, over: nodes, x(.rw)) }
    return OP2.timingReport()
  }

  @Test("JSON holds every loop with its count, bytes and compile time, and decodes back to the report")
  func json() throws {
    try OP2.withConfiguration(.testing(lazy: false)) {
      let report = try Self.runLoops()
      let text = report.json()
      let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      let loops = try #require(object["loops"] as? [[String: Any]])
      #expect(loops.map { $0["name"] as? String } == ["spread", "scale"])
      #expect(loops.map { $0["count"] as? Int } == [3, 2])
      // spread: w read once (4 × 8), x read and written (min(10, 4 × 2) × 2 × 8 × 2), the map
      // read (4 × 2 × 4), per call; scale: x read and written (10 × 2 × 8 × 2) per call.
      #expect(loops.map { $0["bytes"] as? Int } == [3 * (32 + 256 + 32), 2 * 320])
      // Each wrapper was obtained once (compiled or loaded from the disk cache): some time, per loop.
      for loop in loops { #expect((loop["compileSeconds"] as? Double ?? 0) > 0, "\(loop)") }
      #expect(object["ranks"] as? Int == 1)
      let total = try #require(object["totalSeconds"] as? Double)
      #expect(abs(total - report.rows.reduce(0) { $0 + $1.seconds }) < 1e-12)
      #expect(try JSONDecoder().decode(TimingReport.self, from: Data(text.utf8)).rows == report.rows)
    }
  }

  @Test("CSV has a header and one row per loop; derived columns are computed from the row")
  func csv() throws {
    var a = TimingReport.Row(name: "adt_calc", count: 4, seconds: 2, bytes: 4_000_000_000, planSeconds: 0.5, colours: 3, blocks: 7)
    a.compileSeconds = 0.25
    a.haloSeconds = 0.125
    a.haloBytes = 1024
    a.haloExchanges = 8
    // A name with a comma and a quote (not a kernel name, but a hand-built report may hold one).
    let b = TimingReport.Row(name: "odd, \"name\"", count: 0, seconds: 0, bytes: 0, planSeconds: 0, colours: 0, blocks: 0)
    let text = TimingReport(rows: [a, b], compileSeconds: 1).csv()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 4 && lines[3].isEmpty, "a header, two rows, and a final line end")
    #expect(lines[0].split(separator: ",").map(String.init) == TimingReport.csvColumns)
    let fields = lines[1].split(separator: ",").map(String.init)
    let column = { (name: String) in fields[TimingReport.csvColumns.firstIndex(of: name)!] }
    #expect(fields.count == TimingReport.csvColumns.count)
    #expect(column("loop") == "adt_calc" && column("count") == "4")
    #expect(Double(column("seconds")) == 2 && Double(column("average_seconds")) == 2)
    #expect(Double(column("microseconds_per_call")) == 500_000)  // 2 s / 4 calls
    #expect(Double(column("gigabytes_per_second")) == 2)  // 4e9 bytes / 2 s
    #expect(Double(column("compile_seconds")) == 0.25 && Double(column("plan_seconds")) == 0.5)
    #expect(Double(column("halo_seconds")) == 0.125 && column("halo_bytes") == "1024" && column("halo_exchanges") == "8")
    #expect(column("colours") == "3" && column("blocks") == "7" && column("bytes") == "4000000000")
    // RFC 4180: quoted, quotes doubled; no calls gives 0 µs per call.
    #expect(lines[2].hasPrefix("\"odd, \"\"name\"\"\",0,0.0,0.0,0.0,"))
  }

  @Test("the format comes from the extension, in any case; another extension is a typed error naming the path",
        arguments: [("run/t.json", TimingReport.Format.json), ("t.CSV", .csv), ("a.b/t.Json", .json)])
  func format(path: String, expected: TimingReport.Format) throws {
    #expect(try TimingReport.Format(path: path) == expected)
  }

  @Test("a bad extension, or none, is refused before anything is written")
  func badExtension() throws {
    expectError(.unsupportedFileFormat(path: "out.txt", format: ".txt", expected: [".json", ".csv"]),
                message: "out.txt: the format is chosen by the extension, .json or .csv; \".txt\" is not one of them") { () throws(OP2Error) in
      _ = try TimingReport.Format(path: "out.txt")
    }
    expectError(.unsupportedFileFormat(path: "dir.d/.json", format: "", expected: [".json", ".csv"]),
                message: "dir.d/.json: the format is chosen by the extension, .json or .csv; it has no extension") { () throws(OP2Error) in
      _ = try TimingReport.Format(path: "dir.d/.json")
    }
    let dir = temporaryDirectory("timing-ext")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let report = TimingReport(rows: [], compileSeconds: 0)
    #expect(throws: OP2Error.unsupportedFileFormat(path: dir + "/t.xml", format: ".xml", expected: [".json", ".csv"])) {
      try report.write(to: dir + "/t.xml")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    try report.write(to: dir + "/t.csv")
    #expect(try String(contentsOfFile: dir + "/t.csv", encoding: .utf8) == TimingReport.csvColumns.joined(separator: ",") + "\n")
  }

  @Test("on OpenCL the JSON holds the device and each object's transfers",
        .enabled(if: OpenCLExecutor.isAvailable, "no OpenCL platform"))
  func openCLTransfers() throws {
    try OP2.withConfiguration(.testing(.opencl())) {
      let s = Set(size: 1000, name: "s")
      let u = try Dat<Double>(s ** 2, values: (0..<2000).map(Double.init), name: "u")
      let step = Kernel(code: "void step(double *u) { u[0] += 1; }", name: "step")
      for _ in 0..<3 { try parLoop(step, over: s, u(.rw)) }
      _ = u.data  // runs the loops: u goes up once and comes back once, 1000 × 2 × 8 bytes each way
      let object = try #require(try JSONSerialization.jsonObject(with: Data(OP2.timingReport().json().utf8)) as? [String: Any])
      #expect(object["device"] is String)
      let transfers = try #require(object["transfers"] as? [[String: Any]])
      let entry = try #require(transfers.first { $0["kind"] as? String == "Dat" && $0["name"] as? String == "u" })
      #expect(entry["uploads"] as? Int == 1 && entry["uploadBytes"] as? Int == 16000)
      #expect(entry["downloads"] as? Int == 1 && entry["downloadBytes"] as? Int == 16000)
      let loops = try #require(object["loops"] as? [[String: Any]])
      // Three calls of step, whether run one by one or fused as "step×3" (count 1, three loops).
      let calls = loops.reduce(0) { total, loop in
        let name = loop["name"] as? String ?? "", count = loop["count"] as? Int ?? 0
        return total + count * (name.split(separator: "×").dropFirst().first.flatMap { Int($0) } ?? 1)
      }
      #expect(calls == 3, "\(loops)")
    }
  }

  @Test("a fused group's compile time is the sum of its distinct kernels'")
  func fusedCompileTime() {
    var timings = LoopTimings()
    timings.recordCompile(kernel: "a", seconds: 0.5)
    timings.recordCompile(kernel: "b", seconds: 0.25)
    timings.recordCompile(kernel: "c", seconds: 4)
    timings.record(name: "a+b×2", seconds: 1, bytes: 0)
    timings.record(name: "c", seconds: 1, bytes: 0)
    #expect(timings.rowsWithCompileTimes.map(\.compileSeconds) == [0.75, 4])
  }

  @Test("OutputFile.createDirectory makes missing parents, accepts an existing directory, refuses a file")
  func createDirectory() throws {
    let dir = temporaryDirectory("plot-dir")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try OutputFile.createDirectory(dir + "/a/b/")
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: dir + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
    try OutputFile.createDirectory(dir + "/a/b")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/a/b").isEmpty, "the write test leaves nothing behind")
    try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
    expectError(.fileError(path: dir + "/file", reason: "exists and is not a directory"),
                message: "\(dir)/file: exists and is not a directory") { () throws(OP2Error) in try OutputFile.createDirectory(dir + "/file") }
    expectError(.fileError(path: dir + "/file/sub", reason: "\(dir)/file is not a directory"),
                message: "\(dir)/file/sub: \(dir)/file is not a directory") { () throws(OP2Error) in try OutputFile.createDirectory(dir + "/file/sub") }
    #expect(OutputFile.file(named: "rms.svg", in: "plots/") == "plots/rms.svg")
    #expect(OutputFile.file(named: "rms.svg", in: "plots") == "plots/rms.svg")
  }
}
