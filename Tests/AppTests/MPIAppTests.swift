import AirfoilKit
import Foundation
import OP2
import Testing

/// The apps under `mpirun`, against the same apps in one process.
@Suite("apps under MPI", .serialized)
struct MPIAppTests {
  static let airfoil = builtExecutable("airfoil")
  static let poisson = builtExecutable("poisson")
  static let extrudedPoisson = builtExecutable("extruded-poisson")

  @Test("airfoil: hybrid MPI + threads and every partitioner give the sequential rms to 1e-12",
        .enabled(if: airfoil != nil && mpirunPath != nil, "airfoil or mpirun is missing"))
  func airfoilHybrid() throws {
    let common = ["--cells", "12000", "--iterations", "200", "--quiet"]
    let sequential = number(after: "final rms", in: try run(Self.airfoil!, common))
    #expect(sequential != nil)
    guard let sequential else { return }
    for (ranks, extra) in [(2, ["--threads", "2"]), (3, ["--partitioner", "metis"]), (2, ["--partitioner", "geometric"]),
                           (3, ["--partitioner", "block", "--backend", "threaded", "--threads", "2"])] {
      let (status, output, _) = try runMPI(ranks, Self.airfoil!, common + extra, seconds: 300)
      #expect(status == 0, "mpirun -n \(ranks) airfoil \(extra): status \(status):\n\(output)")
      let rms = number(after: "final rms", in: output)
      #expect(rms.map { abs($0 - sequential) / sequential <= 1e-12 } == true,
              "mpirun -n \(ranks) airfoil \(extra): final rms \(rms ?? .nan), sequential \(sequential)")
      #expect(output.contains("\(ranks) MPI ranks"), "output:\n\(output)")
    }
  }

  @Test("airfoil: each of 2 MPI ranks drives its own OpenCL device and gives the sequential rms to 1e-12",
        .enabled(if: airfoil != nil && mpirunPath != nil, "airfoil or mpirun is missing"),
        .enabled(if: Backend.available.contains(.opencl()), "no OpenCL platform: apt-get install ocl-icd-opencl-dev pocl-opencl-icd"))
  func airfoilOpenCL() throws {
    let common = ["--cells", "12000", "--iterations", "100", "--quiet"]
    let sequential = number(after: "final rms", in: try run(Self.airfoil!, common))
    let (status, output, _) = try runMPI(2, Self.airfoil!, common + ["--backend", "opencl"], seconds: 300)
    #expect(status == 0, "status \(status):\n\(output)")
    let rms = number(after: "final rms", in: output)
    #expect(rms != nil && sequential != nil && abs(rms! - sequential!) <= 1e-12 * sequential!,
            "final rms \(rms ?? .nan), sequential \(sequential ?? .nan)")
  }

  @Test("airfoil --grid under mpirun reads the file in blocks and gives the one-process rms to 1e-12",
        .enabled(if: airfoil != nil && mpirunPath != nil, "airfoil or mpirun is missing"))
  func airfoilGridBlocks() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("airfoil-grid-blocks-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("new_grid.dat").path
    try OP2GridWriter.write(AirfoilMesh.generate(cells: 12_000), to: path)
    let common = ["--grid", path, "--iterations", "200", "--quiet"]
    let sequential = number(after: "final rms", in: try run(Self.airfoil!, common))
    #expect(sequential != nil)
    guard let sequential else { return }
    for (ranks, extra, inBlocks) in [(3, [String](), true), (2, ["--partitioner", "geometric"], true), (2, ["--whole-grid"], false)] {
      let (status, output, _) = try runMPI(ranks, Self.airfoil!, common + extra, seconds: 300)
      #expect(status == 0, "mpirun -n \(ranks) airfoil \(extra): status \(status):\n\(output)")
      let rms = number(after: "final rms", in: output)
      #expect(rms.map { abs($0 - sequential) / sequential <= 1e-12 } == true,
              "mpirun -n \(ranks) airfoil \(extra): final rms \(rms ?? .nan), sequential \(sequential)")
      #expect(output.contains("\(ranks) MPI ranks") && output.contains("read in blocks") == inBlocks, "output:\n\(output)")
    }
  }

  @Test("airfoil writes a .pvtu with one piece per rank",
        .enabled(if: airfoil != nil && mpirunPath != nil, "airfoil or mpirun is missing"))
  func airfoilParallelVTK() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("airfoil-pvtu-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("flow.pvtu").path
    let (status, output, _) = try runMPI(3, Self.airfoil!, ["--cells", "3000", "--iterations", "5", "--quiet", "--vtk", path], seconds: 120)
    #expect(status == 0, "status \(status):\n\(output)")
    let index = try String(contentsOfFile: path, encoding: .utf8)
    var cells = 0
    for r in 0..<3 {
      #expect(index.contains("<Piece Source=\"flow_\(r).vtu\"/>"), "index:\n\(index)")
      let piece = try String(contentsOfFile: folder.appendingPathComponent("flow_\(r).vtu").path, encoding: .utf8)
      let count = piece.split(separator: "NumberOfCells=\"").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
      cells += count ?? 0
      #expect(piece.contains("Name=\"mach\""))
    }
    // The pieces hold each cell exactly once: the grid's cells (3000 requested → 3072 in a 2:1 grid).
    let total = output.split(separator: "\n").first { $0.hasPrefix("airfoil:") }.flatMap { line in
      line.split(separator: ",").first { $0.hasSuffix(" cells") }.flatMap { Int($0.split(separator: " ").first ?? "") }
    }
    #expect(total != nil && cells == total, "pieces hold \(cells) cells, the grid \(total ?? -1)")
  }

  @Test("poisson: the sequential L2 error on 2 ranks with CG + Jacobi, and GAMG converges on 3",
        .enabled(if: poisson != nil && mpirunPath != nil, "poisson or mpirun is missing"))
  func poissonParallel() throws {
    let sequential = number(after: "L2 error:", in: try run(Self.poisson!, ["--n", "128", "--pc", "jacobi"]))
    #expect(sequential != nil)
    guard let sequential else { return }
    let (status, output, _) = try runMPI(2, Self.poisson!, ["--n", "128", "--pc", "jacobi"], seconds: 300)
    #expect(status == 0, "status \(status):\n\(output)")
    let l2 = number(after: "L2 error:", in: output)
    #expect(l2.map { abs($0 - sequential) / sequential <= 1e-8 } == true, "L2 error \(l2 ?? .nan) on 2 ranks, \(sequential) in one process")
    let (gamgStatus, gamg, _) = try runMPI(3, Self.poisson!, ["--n", "128", "--pc", "gamg"], seconds: 300)
    #expect(gamgStatus == 0, "status \(gamgStatus):\n\(gamg)")
    #expect(gamg.contains("cg + gamg") && gamg.contains("CONVERGED") && gamg.contains("PASSED"), "output:\n\(gamg)")
    let gamgL2 = number(after: "L2 error:", in: gamg)
    #expect(gamgL2.map { abs($0 - sequential) / sequential <= 1e-6 } == true, "GAMG L2 error \(gamgL2 ?? .nan), sequential \(sequential)")
  }

  @Test("extruded-poisson: the base partitioned and extruded after; the one-process matrix size, L2 error and VTK values on 2 ranks (CG + Jacobi) and 3 (GAMG)",
        .enabled(if: extrudedPoisson != nil && mpirunPath != nil, "extruded-poisson or mpirun is missing"))
  func extrudedPoissonParallel() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("extruded-poisson-mpi-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = { (name: String) in folder.appendingPathComponent(name).path }
    let one = try run(Self.extrudedPoisson!, ["--n", "8", "--pc", "jacobi", "--vtk", path("one.vtu")])
    let sequential = number(after: "L2 error:", in: one)
    let matrixLine = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("matrix:") } }
    #expect(sequential != nil && matrixLine(one) != nil, "output:\n\(one)")
    guard let sequential else { return }
    for (ranks, pc) in [(2, "jacobi"), (3, "gamg")] {
      let vtk = path("\(ranks).vtu")
      let (status, output, _) = try runMPI(ranks, Self.extrudedPoisson!, ["--n", "8", "--pc", pc, "--vtk", vtk], seconds: 300)
      #expect(status == 0, "mpirun -n \(ranks): status \(status):\n\(output)")
      #expect(output.contains("\(ranks) MPI ranks") && output.contains("PASSED"), "output:\n\(output)")
      // Rows and nonzero blocks summed over the ranks: each row is owned once.
      #expect(matrixLine(output) == matrixLine(one), "output:\n\(output)")
      // The app prints the error to 7 digits; the solves agree far closer (rtol 1e-10).
      let l2 = number(after: "L2 error:", in: output)
      #expect(l2.map { abs($0 - sequential) / sequential <= 1e-6 } == true,
              "mpirun -n \(ranks) --pc \(pc): L2 error \(l2 ?? .nan), one process \(sequential)")
      // The gathered solution, node by node in the declared order, as VTK writes it.
      let tokens = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8))?.split(whereSeparator: { " \n<>=\"".contains($0) }) ?? [] }
      let (a, b) = (tokens(path("one.vtu")), tokens(vtk))
      #expect(a.count == b.count && a.count > 1000, "\(a.count) and \(b.count) tokens")
      let mismatches = zip(a, b).filter { x, y in
        if let u = Double(x), let v = Double(y) { return abs(u - v) > 1e-7 * max(1, abs(u)) }
        return x != y
      }
      #expect(mismatches.isEmpty, "mpirun -n \(ranks): \(mismatches.count) VTK values differ, first \(mismatches.prefix(3))")
    }
  }
}
