import Foundation
import Numerics
import OP2
import PoissonKit
import Testing

/// The extruded-mesh demo: P1 prisms on the unit cube, its convergence, backends, and the command.
@Suite("Extruded Poisson (P1 prisms on an extruded mesh)")
struct ExtrudedPoissonTests {
  @Test("the L2 error falls as h² when the base mesh and the layers are refined together")
  func convergence() throws {
    // Linear elements: ‖u − u_h‖ = O(h²) for a smooth solution; h halves at each step.
    let errors = try [4, 8, 16].map { n in
      try OP2.withConfiguration(.init()) { try ExtrudedPoissonProblem(base: .unitSquare(n: n), layers: n).solve().l2Error }
    }
    let rates = zip(errors, errors.dropFirst()).map { log2($0 / $1) }
    for rate in rates { #expect(abs(rate - 2) < 0.2, "errors \(errors), rates \(rates)") }
    #expect(rates.last.map { abs($0 - 2) < 0.1 } == true, "errors \(errors), rates \(rates)")
    #expect(errors[2] < 2.0 / 256, "errors \(errors)")  // about 1.6 h²
  }

  @Test("the threaded backend gives the sequential solution")
  func threaded() throws {
    var sequential = OP2.Configuration()
    sequential.backend = .sequential
    var threaded = OP2.Configuration()
    threaded.backend = .threaded(threads: 3)
    threaded.blockSize = 8  // many blocks and colours of columns
    let problem = ExtrudedPoissonProblem(base: .unitSquare(n: 6), layers: 5)
    let a = try OP2.withConfiguration(sequential) { try problem.solve(options: ["pc_type": "jacobi"]) }
    let b = try OP2.withConfiguration(threaded) { try problem.solve(options: ["pc_type": "jacobi"]) }
    // The matrix is assembled on one thread; the load vector's INC loop is coloured by columns,
    // which reorders its sums: equal to rounding.
    for (x, y) in zip(a.u, b.u) { #expect(abs(x - y) < 1e-12) }
    #expect(a.prismLayers == b.prismLayers && a.prismLayers.count == 72 * 5)
    #expect(a.l2Error.isApproximatelyEqual(to: b.l2Error, relativeTolerance: 1e-9))
    // 7 × 7 vertex columns of 6 nodes.
    #expect(a.u.count == 49 * 6)
  }

  static let command: String? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("extruded-poisson").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }()

  @Test("the command solves, checks h² and writes wedge cells to VTK",
        .enabled(if: command != nil, "the extruded-poisson executable was not built"))
  func runCommand() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("extruded-poisson-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let vtk = folder.appendingPathComponent("u.vtu").path
    let output = try run(Self.command!, ["--n", "4", "--convergence", "2", "--vtk", vtk])
    #expect(output.contains("PASSED"), "output:\n\(output)")
    #expect(output.contains("order "), "output:\n\(output)")
    let expected = try OP2.withConfiguration(.init()) { try ExtrudedPoissonProblem(base: .unitSquare(n: 4), layers: 4).solve().l2Error }
    let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("L2 error: ") })
    let printed = try #require(Double(line.dropFirst("L2 error: ".count)))
    #expect(printed.isApproximatelyEqual(to: expected, relativeTolerance: 1e-4), "output:\n\(output)")
    let xml = ParsedXML(try String(contentsOfFile: vtk, encoding: .utf8))
    #expect(xml.error == nil)
    let piece = try #require(xml.all("Piece").first)
    // 25 vertex columns of 5 nodes; 32 triangles × 4 layers.
    #expect(piece.attributes["NumberOfPoints"] == "125" && piece.attributes["NumberOfCells"] == "128")
    let types = try #require(xml.all("DataArray").first { $0.attributes["Name"] == "types" })
    #expect(types.text.split(whereSeparator: \.isWhitespace) == Array(repeating: "13", count: 128))
    let layer = try #require(xml.all("DataArray").first { $0.attributes["Name"] == "layer" })
    #expect(layer.text.split(whereSeparator: \.isWhitespace).prefix(4).map { Double($0) } == [0, 1, 2, 3])
    // Invalid options are refused before anything runs.
    let bad = try runStatus(Self.command!, ["--n", "6", "--convergence", "3"])
    #expect(bad.status != 0 && bad.output.contains("multiple of 4"), "output:\n\(bad.output)")
  }
}
