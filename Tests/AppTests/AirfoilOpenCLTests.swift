import AirfoilKit
import Foundation
import Numerics
import OP2
import Testing

/// Airfoil on the opencl backend: the rms of the sequential run, and data that crosses between
/// host and device at most once per direction.
@Suite("Airfoil on OpenCL", .enabled(if: Backend.available.contains(.opencl()), "no OpenCL platform: apt-get install ocl-icd-opencl-dev pocl-opencl-icd"))
struct AirfoilOpenCLTests {
  @Test("every Dat goes up once and down at most once; the rms Global comes down only when read")
  func transfers() throws {
    let grid = try AirfoilMesh.generate(cells: 2400)
    var config = OP2.Configuration()
    config.backend = .opencl()
    let reads = 20
    try OP2.withConfiguration(config) {
      let sim = try AirfoilSimulation(grid: grid)
      for _ in 0..<reads { _ = try sim.iterate() }
      _ = sim.q.data
      let report = OP2.timingReport()
      let dats = report.transfers.filter { $0.kind == "Dat" }
      #expect(Swift.Set(dats.map(\.name)) == ["p_x", "p_q", "p_qold", "p_adt", "p_res", "p_bound"], "\(report)")
      for t in dats { #expect(t.uploads == 1 && t.downloads <= 1, "\(t)") }
      #expect(dats.first { $0.name == "p_q" }?.downloads == 1)
      let rms = report.transfers.first { $0.kind == "Global" && $0.name == "rms" }
      #expect(rms?.uploads == 0 && rms?.downloads == reads, "\(String(describing: rms))")
      #expect(report.transfers.filter { $0.kind == "Map" }.allSatisfy { $0.uploads == 1 && $0.downloads == 0 })
    }
  }

  @Test("the built airfoil prints the sequential rms table on --backend opencl",
        .enabled(if: AirfoilAppTests.airfoil != nil, "the airfoil executable was not built"))
  func executable() throws {
    let sequential = try run(AirfoilAppTests.airfoil!, ["--iterations", "200", "--quiet", "--backend", "sequential"])
    let opencl = try run(AirfoilAppTests.airfoil!, ["--iterations", "200", "--quiet", "--backend", "opencl"])
    func table(_ output: String) -> [String] {
      output.split(separator: "\n").filter { $0.split(separator: " ").first.flatMap { Int($0) } != nil }.map(String.init)
    }
    #expect(table(sequential).count == 2 && table(opencl) == table(sequential), "\(opencl)")
    let a = number(after: "final rms", in: opencl), b = number(after: "final rms", in: sequential)
    #expect(a != nil && b != nil && abs(a! - b!) <= 1e-12 * abs(b!), "\(String(describing: a)) vs \(String(describing: b))")
  }

  @Test("without an OpenCL platform the backend names the packages to install",
        .enabled(if: AirfoilAppTests.airfoil != nil, "the airfoil executable was not built"))
  func noPlatform() throws {
    // The ICD loader reads its drivers from OCL_ICD_VENDORS: an empty folder means none.
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-icd-\(getpid())")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: empty) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: AirfoilAppTests.airfoil!)
    process.arguments = ["--iterations", "1", "--backend", "opencl"]
    var environment = inheritableEnvironment()
    environment["OCL_ICD_VENDORS"] = empty.path
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    #expect(text.contains("OpenCL backend: no OpenCL platform is installed. Install an OpenCL driver and the ICD loader: "
      + "apt-get install ocl-icd-opencl-dev pocl-opencl-icd"), "\(text)")
  }
}
