import Foundation
import OP2
import PoissonKit
import Testing

/// `--timings` and `--plot` of the built apps: the files they write hold the run's loops and
/// series, and a bad path or extension stops the app before it runs.
@Suite("Timing export and plots of the apps", .serialized)
struct TimingPlotAppTests {
  static let airfoil = builtExecutable("airfoil")
  static let poisson = builtExecutable("poisson")

  /// The kernels of a loop name as the report writes it: `update+save_soln×2` is update once and
  /// save_soln twice.
  static func kernels(of name: String) -> [String: Int] {
    var result: [String: Int] = [:]
    for part in name.split(separator: "+") {
      let pieces = part.split(separator: "×")
      result[String(pieces[0]), default: 0] += pieces.count > 1 ? Int(pieces[1])! : 1
    }
    return result
  }

  @Test("airfoil --timings t.json --plot dir: every kernel's calls, one rms point per printed rms, one bar per loop",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func airfoilFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timing-airfoil-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let plots = dir + "/plots/new"  // missing, with a missing parent: created
    let output = try run(Self.airfoil!, ["--cells", "2400", "--iterations", "250", "--quiet",
                                         "--timings", dir + "/t.json", "--plot", plots + "/"])
    // JSON: OP2's airfoil runs save_soln once and adt_calc, res_calc, bres_calc, update twice per
    // iteration; fused groups share those calls out by name.
    let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/t.json"))) as? [String: Any])
    let loops = try #require(object["loops"] as? [[String: Any]])
    var calls: [String: Int] = [:]
    for loop in loops {
      let count = try #require(loop["count"] as? Int)
      for (kernel, times) in Self.kernels(of: try #require(loop["name"] as? String)) { calls[kernel, default: 0] += count * times }
    }
    #expect(calls == ["save_soln": 250, "adt_calc": 500, "res_calc": 500, "bres_calc": 500, "update": 500])

    // The rms chart: iterations 100, 200 and the last, 250, with the values printed
    // ("  100  4.12345e-04" lines, and "final rms" to 16 digits).
    let rmsXML = ParsedXML(try String(contentsOfFile: plots + "/airfoil-rms.svg", encoding: .utf8))
    #expect(rmsXML.error == nil)
    let circles = rmsXML.all("circle")
    #expect(circles.map { Double($0.attributes["data-x"]!)! } == [100, 200, 250])
    let printed = [number(after: "  100", in: output), number(after: "  200", in: output), number(after: "final rms", in: output)]
    for (circle, value) in zip(circles, printed) {
      let y = Double(circle.attributes["data-y"]!)!
      #expect(abs(y - value!) <= 1e-5 * value!, "\(y) against the printed \(value!)")
    }
    #expect(try #require(rmsXML.all("polyline").first).attributes["points"]!.split(separator: " ").count == 3)

    // The time chart: the report's loops, in its order.
    let timesXML = ParsedXML(try String(contentsOfFile: plots + "/airfoil-timings.svg", encoding: .utf8))
    #expect(timesXML.error == nil)
    #expect(timesXML.all("g", class: "bar").map { $0.attributes["data-label"]! } == loops.map { $0["name"] as! String })
    #expect(output.contains("wrote \(dir)/t.json"))
  }

  @Test("under mpirun, rank 0 alone writes the report gathered over the ranks, with res_calc's halo exchanges",
        .enabled(if: airfoil != nil && mpirunPath != nil, "airfoil or mpirun is missing"))
  func airfoilMPI() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timing-mpi-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (status, output, _) = try runMPI(2, Self.airfoil!, ["--cells", "2400", "--iterations", "20", "--quiet",
                                                            "--timings", dir + "/t.json", "--plot", dir], seconds: 300)
    #expect(status == 0, "\(output)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["airfoil-rms.svg", "airfoil-timings.svg", "t.json"])
    let report = try JSONDecoder().decode(TimingReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/t.json")))
    #expect(report.ranks == 2)
    var calls: [String: Int] = [:]
    for row in report.rows {
      for (kernel, times) in Self.kernels(of: row.name) { calls[kernel, default: 0] += row.count * times }
    }
    #expect(calls == ["save_soln": 20, "adt_calc": 40, "res_calc": 40, "bres_calc": 40, "update": 40])
    // res_calc increments through edge→cell maps: its halo is exchanged when it runs.
    let resCalc = try #require(report.rows.first { Self.kernels(of: $0.name)["res_calc"] != nil })
    #expect(resCalc.haloExchanges > 0 && resCalc.haloBytes > 0, "\(resCalc)")
  }

  @Test("airfoil --timings t.csv: a header and one line per loop",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func airfoilCSV() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("timing-\(getpid()).csv").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    _ = try run(Self.airfoil!, ["--cells", "2400", "--iterations", "10", "--quiet", "--timings", path])
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    #expect(lines.first == TimingReport.csvColumns.joined(separator: ","))
    var calls: [String: Int] = [:]
    for line in lines.dropFirst() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      #expect(fields.count == TimingReport.csvColumns.count)
      for (kernel, times) in Self.kernels(of: String(fields[0])) { calls[kernel, default: 0] += Int(fields[1])! * times }
    }
    #expect(calls == ["save_soln": 10, "adt_calc": 20, "res_calc": 20, "bres_calc": 20, "update": 20])
  }

  @Test("a bad --timings extension or an unusable --plot directory stops the app before the run",
        .enabled(if: airfoil != nil && poisson != nil, "the airfoil or poisson executable was not built"))
  func badPaths() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timing-bad-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (app, extra) in [(Self.airfoil!, ["--iterations", "1"]), (Self.poisson!, ["--n", "4"])] {
      let (status, output) = try runStatus(app, extra + ["--timings", dir + "/t.txt"])
      #expect(status == 1, "\(output)")
      #expect(output.contains("\(dir)/t.txt: the format is chosen by the extension, .json or .csv; \".txt\" is not one of them"), "\(output)")
      #expect(!output.contains("airfoil:") && !output.contains("poisson:"), "nothing ran: \(output)")
    }
    try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
    let (status, output) = try runStatus(Self.airfoil!, ["--iterations", "1", "--plot", dir + "/file"])
    #expect(status == 1 && output.contains("\(dir)/file: exists and is not a directory") && !output.contains("airfoil:"), "\(output)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["file"])
  }

  @Test("poisson --convergence 3 --plot dir: the L2 error against h = 1/8, 1/16, 1/32, as the solver gives it in this process",
        .enabled(if: poisson != nil, "the poisson executable was not built"))
  func poissonConvergence() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("timing-poisson-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = try run(Self.poisson!, ["--n", "32", "--convergence", "3", "--plot", dir, "--timings", dir + "/t.json"])
    let xml = ParsedXML(try String(contentsOfFile: dir + "/poisson-convergence.svg", encoding: .utf8))
    #expect(xml.error == nil)
    #expect(xml.all("g", class: "series").map { $0.attributes["data-name"] } == ["L2 error", "h² (through the finest)"])
    let measured = xml.all("circle").prefix(3)
    let hs: [Double] = measured.map { Double($0.attributes["data-x"]!)! }
    let expectedH: [Double] = [1.0 / 8, 1.0 / 16, 1.0 / 32]
    #expect(hs == expectedH)
    // The same solves here, with the app's default solver options.
    let expected = try [8, 16, 32].map { n in
      try OP2.withConfiguration(.init()) {
        try PoissonProblem(mesh: .unitSquare(n: n)).solve(options: ["ksp_type": "cg", "pc_type": "gamg", "ksp_rtol": "1e-10"]).l2Error
      }
    }
    for (circle, error) in zip(measured, expected) {
      #expect(abs(Double(circle.attributes["data-y"]!)! - error) <= 1e-6 * error)
    }
    #expect(FileManager.default.fileExists(atPath: dir + "/poisson-timings.svg"))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/t.json"))) as? [String: Any])
    #expect(((object["loops"] as? [[String: Any]]) ?? []).isEmpty == false)
  }

  @Test("poisson --convergence needs the built-in mesh and an n it can halve",
        .enabled(if: poisson != nil, "the poisson executable was not built"))
  func poissonConvergenceOptions() throws {
    let (status, output) = try runStatus(Self.poisson!, ["--n", "30", "--convergence", "3"])
    #expect(status == 64 && output.contains("--convergence 3 halves n 2 times: --n must be a multiple of 4, not 30"), "\(output)")
    let (status2, output2) = try runStatus(Self.poisson!, ["--mesh", "square.msh", "--convergence", "2"])
    #expect(status2 == 64 && output2.contains("--convergence refines the built-in unit square: it cannot be used with --mesh"), "\(output2)")
  }
}
