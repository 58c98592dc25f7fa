import AirfoilKit
import Foundation
import OP2
import Testing

/// The apps' command lines and files as a new user meets them: every bad input a clear error
/// before anything runs, no output lost or clobbered, and a verdict at the end of a run.
@Suite("Command lines, output paths and verdicts", .serialized)
struct CommandLineTests {
  static let airfoil = builtExecutable("airfoil")
  static let poisson = builtExecutable("poisson")

  /// Runs `executable`, expecting exit status `status` and every one of `contains` in its output.
  @discardableResult
  static func expectRun(_ executable: String?, _ arguments: [String], environment: [String: String] = [:],
                        status: Int32, contains: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let (code, output) = try runStatus(executable!, arguments, environment: environment)
    #expect(code == status, "\(arguments): status \(code)\n\(output)", sourceLocation: sourceLocation)
    for text in contains {
      #expect(output.contains(text), "\(arguments): no \"\(text)\" in\n\(output)", sourceLocation: sourceLocation)
    }
    return output
  }

  @Test("--cells must be a positive whole number, and a size that cannot fit in memory is refused with the estimate before allocating",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func cells() throws {
    try Self.expectRun(Self.airfoil, ["--cells", "-5"], status: 64, contains: ["--cells must be positive, not -5"])
    try Self.expectRun(Self.airfoil, ["generate-grid", "--cells", "-5"], status: 64, contains: ["--cells must be positive, not -5"])
    // 64 MB + 320 bytes per cell: 3.2e14 bytes for 10^12 cells, 3.0e21 for Int.max.
    try Self.expectRun(Self.airfoil, ["--cells", "1e12"], status: 64,
                       contains: ["--cells 1000000000000 needs about 320 TB of memory (64 MB + 320 bytes per cell), more than the"])
    try Self.expectRun(Self.airfoil, ["--cells", "9223372036854775807"], status: 64,
                       contains: ["--cells 9223372036854775807 needs about", "of memory (64 MB + 320 bytes per cell)"])
    try Self.expectRun(Self.airfoil, ["generate-grid", "--cells", "1e12", "-o", "/dev/null"], status: 64,
                       contains: ["--cells 1000000000000 needs about 320 TB of memory"])
    try Self.expectRun(Self.airfoil, ["--cells", "abc"], status: 64, contains: ["--cells must be a whole number, not \"abc\""])
  }

  @Test("poisson: --n is checked the same way, and --petsc-options takes a value that starts with \"-\" as documented",
        .enabled(if: poisson != nil, "the poisson executable was not built"))
  func poissonOptions() throws {
    try Self.expectRun(Self.poisson, ["--n", "-5"], status: 64, contains: ["--n must be positive, not -5"])
    // 150 MB + 1 kB per node: (50001)² nodes is 2.5e12 bytes.
    try Self.expectRun(Self.poisson, ["--n", "50000"], status: 64,
                       contains: ["--n 50000 needs about 2.5 TB of memory (150 MB + 1 kB per node), more than the"])
    // PETSc's -ksp_monitor prints "<k> KSP Residual norm <r>" per iteration.
    try Self.expectRun(Self.poisson, ["--n", "8", "--petsc-options", "-ksp_monitor"], status: 0,
                       contains: ["0 KSP Residual norm", "PASSED"])
    try Self.expectRun(Self.poisson, ["--n", "8", "--petsc-options", "-ksp_monitor -ksp_converged_reason"], status: 0,
                       contains: ["KSP Residual norm", "solve converged due to CONVERGED_RTOL"])
  }

  @Test("--grid /dev/zero, --mesh /dev/zero and a quads-only mesh stop at once with what is wrong",
        .enabled(if: airfoil != nil && poisson != nil, "the airfoil or poisson executable was not built"))
  func badMeshes() throws {
    try Self.expectRun(Self.airfoil, ["--grid", "/dev/zero"], status: 1, contains: ["/dev/zero: not a text file: byte 0 is NUL"])
    try Self.expectRun(Self.poisson, ["--mesh", "/dev/zero"], status: 1, contains: ["/dev/zero: not a text file: byte 0 is NUL"])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-mesh-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // One quadrangle (type 3), no triangles: once read as an empty mesh with "L2 error 0".
    let quads = "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 1 1 0\n4 0 1 0\n$EndNodes\n"
      + "$Elements\n1\n1 3 2 0 1 1 2 3 4\n$EndElements\n"
    try quads.write(toFile: dir + "/quads.msh", atomically: true, encoding: .utf8)
    let output = try Self.expectRun(Self.poisson, ["--mesh", dir + "/quads.msh", "--max-error", "1e-12"], status: 1,
                                    contains: ["quads.msh:13: expected 3-node triangles (element type 2); points and lines are skipped, found 1 element of type 3 (4-node quadrangle)"])
    #expect(!output.contains("PASSED") && !output.contains("L2 error"))
  }

  @Test("a bad --backend names the flag; OP2_* variables are parsed alike and a bad one stops the app",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func configuration() throws {
    try Self.expectRun(Self.airfoil, ["--backend", "bogus", "--iterations", "1"], status: 1,
                       contains: ["--backend=\"bogus\" is invalid: expected sequential, threaded or opencl"])
    try Self.expectRun(Self.airfoil, ["--iterations", "1"], environment: ["OP2_THREADS": "abc"], status: 1,
                       contains: ["OP2_THREADS=\"abc\" is invalid: expected a positive integer"])
    try Self.expectRun(Self.airfoil, ["--iterations", "1"], environment: ["OP2_PLAN_CHECK": "maybe"], status: 1,
                       contains: ["OP2_PLAN_CHECK=\"maybe\" is invalid: expected 1 or 0 (or true/false, yes/no, on/off)"])
    try Self.expectRun(Self.poisson, ["--n", "4"], environment: ["OP2_LAZY": "perhaps"], status: 1,
                       contains: ["OP2_LAZY=\"perhaps\" is invalid"])
    try Self.expectRun(Self.airfoil, ["--iterations", "1", "--backend", "threaded", "--threads", "2"],
                       environment: ["OP2_PLAN_CHECK": "yes", "OP2_LAZY": "on"], status: 0, contains: ["final rms"])
  }

  @Test("an output path that cannot be written is refused before the run, not after it",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func outputCheckedFirst() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-out-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let output = try Self.expectRun(Self.airfoil, ["--iterations", "200", "--vtk", dir + "/typo/flow.vtu"], status: 1,
                                    contains: ["\(dir)/typo/flow.vtu: output file folder \(dir)/typo/ does not exist"])
    #expect(!output.contains("final rms") && !output.contains(" 100  "), "the run went ahead:\n\(output)")
    try Self.expectRun(Self.airfoil, ["generate-grid", "--cells", "32", "-o", dir], status: 1,
                       contains: ["\(dir): output file is a directory, not a file"])
    try Self.expectRun(Self.poisson, ["--n", "4", "--vtk", dir + "/typo/u.vtu"], status: 1,
                       contains: ["output file folder \(dir)/typo/ does not exist"])
  }

  @Test("generate-grid -o through a symbolic link writes the link's target and keeps a 0600 file 0600",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func generateGridThroughLink() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-link-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "old".write(toFile: dir + "/grid.dat", atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir + "/grid.dat")
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.dat", withDestinationPath: "grid.dat")
    try Self.expectRun(Self.airfoil, ["generate-grid", "--cells", "32", "-o", dir + "/link.dat"], status: 0, contains: ["wrote"])
    let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/grid.dat")
    #expect((try FileManager.default.attributesOfItem(atPath: dir + "/link.dat"))[.type] as? FileAttributeType == .typeSymbolicLink)
    #expect(attributes[.posixPermissions] as? Int == 0o600)
    let grid = try OP2GridReader.read(contentsOf: dir + "/link.dat")
    #expect(grid == (try AirfoilMesh.generate(cells: 32)))
  }

  @Test("a degenerate grid (every node at one point) stops with a non-zero status naming the loop and iteration of the first NaN",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func nanDetected() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-nan-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var grid = try AirfoilMesh.generate(cells: 200)
    grid.x = [Double](repeating: 0.5, count: grid.x.count)
    try OP2GridWriter.write(grid, to: dir + "/degenerate.dat")
    // adt_calc gives adt = 0 for a cell of zero size, so update's 1/adt is infinite and
    // del = inf * res = inf * 0 is NaN: update of the first stage of iteration 1 writes it into p_q.
    let cells = grid.cellCount
    try Self.expectRun(Self.airfoil, ["--grid", dir + "/degenerate.dat", "--iterations", "150", "--vtk", dir + "/flow.vtu"], status: 3,
                       contains: ["the rms of iteration 100 is nan: loop update (first stage) of iteration 1 wrote \(4 * cells) NaN or infinite values into p_q (of \(4 * cells))"])
    #expect(!FileManager.default.fileExists(atPath: dir + "/flow.vtu"), "NaN was written out")
  }

  @Test("a grid is recognized by content: the built-in grid read from a file gets its verdict, a changed coordinate none",
        .enabled(if: airfoil != nil, "the airfoil executable was not built"))
  func verdictByContent() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-verdict-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.expectRun(Self.airfoil, ["generate-grid", "--cells", "19200", "-o", dir + "/builtin.dat"], status: 0, contains: ["wrote"])
    // The file the reference was computed on (builtin-rms.md gives its md5).
    let md5 = try run("/usr/bin/md5sum", [dir + "/builtin.dat"])
    #expect(md5.hasPrefix("f78e5d469c699f799c12837d20a3a840"))
    for source in [["--grid", dir + "/builtin.dat"], []] {
      try Self.expectRun(Self.airfoil, source + ["--iterations", "200", "--quiet"], status: 0,
                         contains: [" 100  6.61561e-04", " 200  4.25716e-04",
                                    "the built-in grid (--cells 19200): rms of iterations 100–200 against OP2-Common's airfoil on this grid (builtin-rms.md)",
                                    "PASSED"])
    }
    var grid = try OP2GridReader.read(contentsOf: dir + "/builtin.dat")
    grid.x[0] += 1e-9
    try OP2GridWriter.write(grid, to: dir + "/moved.dat")
    try Self.expectRun(Self.airfoil, ["--grid", dir + "/moved.dat", "--iterations", "100", "--quiet"], status: 0,
                       contains: ["no reference rms for this grid"])
  }

  @Test("the built-in 720000-cell grid has OP2's counts but is not taken for OP2's file")
  func builtinIsNotOP2Grid() throws {
    let grid = try AirfoilMesh.generate(cells: 720_000)
    let counts = [grid.nodeCount, grid.cellCount, grid.edgeCount, grid.bedgeCount]
    #expect(counts == [721_801, 720_000, 1_438_600, 2800])
    #expect(AirfoilReferenceRMS.matching(counts: counts, x: grid.x)?.grid == "the built-in grid (--cells 720000)")
  }

  @Test("the verdict fails for a value off by more than 1e-10 and for NaN, and passes within it")
  func verdictTolerance() throws {
    let reference = AirfoilReferenceRMS.all[1]
    let exact = reference.rms
    #expect(reference.verdict(for: exact).passed)
    #expect(reference.verdict(for: exact.mapValues { $0 * (1 + 5e-11) }).passed)
    #expect(!reference.verdict(for: exact.mapValues { $0 * (1 + 2e-10) }).passed)
    var withNaN = exact
    withNaN[500] = .nan
    let verdict = reference.verdict(for: withNaN)
    #expect(!verdict.passed && verdict.worst?.iteration == 500)
    #expect(reference.verdict(for: [50: 1e-3]).compared.isEmpty)
  }
}
