import Foundation
import Numerics
import OP2
import PoissonKit
import Testing

/// The P1 Poisson demo: convergence, gmsh input, backends, and the built `poisson` command.
@Suite("Poisson (P1 finite elements on PETSc)")
struct PoissonTests {
  @Test("the L2 error falls as h² over 4 refinements of the unit square")
  func convergence() throws {
    let errors = try [8, 16, 32, 64].map { n in
      try OP2.withConfiguration(.init()) { try PoissonProblem(mesh: .unitSquare(n: n)).solve().l2Error }
    }
    let rates = zip(errors, errors.dropFirst()).map { log2($0 / $1) }
    for rate in rates { #expect(abs(rate - 2) < 0.1, "errors \(errors), rates \(rates)") }
    #expect(errors[0] < 0.03 && errors[3] < 4e-4, "errors \(errors)")
  }

  @Test("the threaded and OpenCL backends give the sequential solution", arguments: Backend.available.filter { $0 != .sequential })
  func threaded(backend: Backend) throws {
    let mesh = TriangleMesh.unitSquare(n: 24)
    let options = ["pc_type": "jacobi"]
    var sequential = OP2.Configuration()
    sequential.backend = .sequential
    var threaded = OP2.Configuration()
    threaded.backend = backend
    let a = try OP2.withConfiguration(sequential) { try PoissonProblem(mesh: mesh).solve(options: options) }
    let b = try OP2.withConfiguration(threaded) { try PoissonProblem(mesh: mesh).solve(options: options) }
    // The matrix is assembled identically (one thread, on the host); the load vector's INC loop
    // is coloured, which reorders its sums: equal to rounding.
    let worst = zip(a.u, b.u).enumerated().max { abs($0.element.0 - $0.element.1) < abs($1.element.0 - $1.element.1) }!
    #expect(abs(worst.element.0 - worst.element.1) < 1e-12, "node \(worst.offset): \(worst.element.0) vs \(worst.element.1)")
    #expect(abs(a.solve.iterations - b.solve.iterations) <= 1)
    #expect(a.l2Error.isApproximatelyEqual(to: b.l2Error, relativeTolerance: 1e-9))
  }

  /// The built-in n × n mesh written as gmsh 4.1 with shuffled node tags and clockwise triangles.
  static func gmsh41(n: Int) -> String {
    let mesh = TriangleMesh.unitSquare(n: n)
    let tags = (0..<mesh.nodeCount).map { ($0 * 7919) % mesh.nodeCount + 1 }  // a permutation: 7919 is prime
    var text = "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 \(mesh.nodeCount) 1 \(mesh.nodeCount)\n2 1 0 \(mesh.nodeCount)\n"
    for t in tags { text += "\(t)\n" }
    for i in 0..<mesh.nodeCount { text += "\(mesh.coordinates[2 * i]) \(mesh.coordinates[2 * i + 1]) 0\n" }
    text += "$EndNodes\n$Elements\n1 \(mesh.triangleCount) 1 \(mesh.triangleCount)\n2 1 2 \(mesh.triangleCount)\n"
    for c in 0..<mesh.triangleCount {
      let v = (0..<3).map { tags[Int(mesh.triangles[3 * c + $0])] }
      text += "\(c + 1) \(v[0]) \(v[2]) \(v[1])\n"
    }
    return text + "$EndElements\n"
  }

  @Test("a gmsh mesh gives the built-in mesh's error")
  func gmshMesh() throws {
    let read = TriangleMesh(try GmshReader.parse(Self.gmsh41(n: 16)))
    #expect(read.nodeCount == 289 && read.triangleCount == 512 && read.boundaryNodes.count == 64)
    let fromFile = try OP2.withConfiguration(.init()) { try PoissonProblem(mesh: read).solve().l2Error }
    let builtIn = try OP2.withConfiguration(.init()) { try PoissonProblem(mesh: .unitSquare(n: 16)).solve().l2Error }
    #expect(fromFile.isApproximatelyEqual(to: builtIn, relativeTolerance: 1e-6))
  }

  /// The built executable, next to the test bundle.
  static let poisson: String? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("poisson").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }()

  @Test("the poisson command solves, reports and writes VTK, from the built-in mesh and a .msh file",
        .enabled(if: poisson != nil, "the poisson executable was not built"))
  func command() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poisson-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let vtk = folder.appendingPathComponent("u.vtu").path
    let output = try run(Self.poisson!, ["--n", "32", "--pc", "jacobi", "--vtk", vtk, "--max-error", "2e-3"])
    #expect(output.contains("solver: cg + jacobi:"), "output:\n\(output)")
    // The printed error is the library's: solve the same problem here and compare.
    let expected32 = try OP2.withConfiguration(.init()) { try PoissonProblem(mesh: .unitSquare(n: 32)).solve().l2Error }
    #expect(try Self.printedError(output).isApproximatelyEqual(to: expected32, relativeTolerance: 1e-4), "output:\n\(output)")
    #expect(try String(contentsOfFile: vtk, encoding: .utf8).contains("Name=\"u_exact\""))
    let msh = folder.appendingPathComponent("square.msh").path
    try Self.gmsh41(n: 8).write(toFile: msh, atomically: true, encoding: .utf8)
    let fromFile = try run(Self.poisson!, ["--mesh", msh, "--max-error", "3e-2"])
    #expect(fromFile.contains("81 nodes, 128 triangles, 32 boundary nodes"), "output:\n\(fromFile)")
    let expected8 = try OP2.withConfiguration(.init()) {
      try PoissonProblem(mesh: TriangleMesh(try GmshReader.parse(Self.gmsh41(n: 8)))).solve().l2Error
    }
    #expect(try Self.printedError(fromFile).isApproximatelyEqual(to: expected8, relativeTolerance: 1e-4), "output:\n\(fromFile)")
  }

  @Test("poisson --stokes prints the convergence study of the block system, nest and aij alike",
        .enabled(if: poisson != nil, "the poisson executable was not built"))
  func stokesCommand() throws {
    for format in ["nest", "aij"] {
      let output = try run(Self.poisson!, ["--stokes", "--n", "16", "--convergence", "2", "--block-format", format, "--max-error", "1e-2"])
      #expect(output.contains("block format \(format)") && output.contains("fieldsplit"), "output:\n\(output)")
      let orders = try #require(output.split(separator: "\n").last { $0.contains("orders") }, "output:\n\(output)")
      let velocityOrder = try #require(Double(orders.split(separator: " ").dropLast().last ?? ""))
      #expect(velocityOrder > 1.8, "output:\n\(output)")
    }
  }

  /// The value of the command's `L2 error: <value>` line.
  static func printedError(_ output: String) throws -> Double {
    let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("L2 error: ") })
    return try #require(Double(line.dropFirst("L2 error: ".count).trimmingCharacters(in: .whitespaces)))
  }
}
