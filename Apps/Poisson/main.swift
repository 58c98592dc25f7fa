import ArgumentParser
import Foundation
import OP2
import PoissonKit

/// The `poisson` command: P1 finite elements for −Δu = f on swift-op2 and PETSc.
struct Poisson: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "poisson",
    abstract: "P1 finite-element Poisson solve (−Δu = f, u = 0 on the boundary) assembled with parLoop into PETSc.",
    discussion: """
      The right-hand side is that of the manufactured solution u = sin(πx) sin(πy), so the L2 \
      error is printed and checked: it should fall as h² (by 4× per refinement of the built-in \
      unit-square mesh). The matrix is assembled by a parLoop with a Mat argument, boundary rows \
      and columns are zeroed (MatZeroRowsColumns), and PETSc's CG solves with the chosen \
      preconditioner. Extra PETSc options go in --petsc-options or PETSC_OPTIONS.

      Examples:
        poisson --n 256
        poisson --n 512 --pc jacobi --vtk u.vtu
        poisson --mesh square.msh --petsc-options "-ksp_monitor"
        poisson --n 128 --convergence 5 --plot plots/ --timings timings.csv
      """)

  // `.unconditional` options take a value that starts with "-" as the value: "--n -5" is told
  // that n must be positive, and "--petsc-options -ksp_monitor" works as documented.
  @Option(parsing: .unconditional, help: "Cells per side of the built-in unit-square mesh (2n² triangles).",
          transform: { try wholeNumber($0, option: "--n") })
  var n: Int = 64

  @Option(help: "Read a gmsh .msh triangle mesh (ASCII, format 2 or 4.1) instead.")
  var mesh: String?

  @Option(help: "PETSc preconditioner (-pc_type): gamg, jacobi, ilu, icc, lu, none, ...")
  var pc: String = "gamg"

  @Option(help: "PETSc Krylov method (-ksp_type).")
  var ksp: String = "cg"

  @Option(parsing: .unconditional, help: "Relative tolerance (-ksp_rtol).")
  var rtol: Double = 1e-10

  @Option(parsing: .unconditional, help: "More PETSc options, e.g. \"-ksp_monitor -pc_gamg_threshold 0.02\".")
  var petscOptions: String?

  @Option(help: "Write the solution and the exact solution to a .vtu file.")
  var vtk: String?

  @Flag(help: "Solve the Stokes demo instead: stabilised P1/P1 on the unit square as a 2×2 block Mat with a Schur fieldsplit preconditioner (one process; --n, --convergence, --petsc-options and --backend apply).")
  var stokes = false

  @Option(help: "With --stokes: how PETSc sees the block Mat, nest (MATNEST) or aij (a monolithic copy).")
  var blockFormat: String = "nest"

  @Option(help: "Execution backend: sequential, threaded or opencl (default: OP2_BACKEND, else sequential; Mat assembly runs on the host).")
  var backend: String?

  @Option(parsing: .unconditional, help: "Threads for the threaded backend (assembly loops run on one thread: PETSc insertion is not thread-safe).",
          transform: { try wholeNumber($0, option: "--threads") })
  var threads: Int?

  @Option(help: "How to partition the mesh under mpirun: automatic, ptscotch, metis or block.")
  var partitioner: String = "automatic"

  @Option(parsing: .unconditional, help: "Fail (exit 1) when the L2 error exceeds this value.")
  var maxError: Double?

  @Option(parsing: .unconditional,
          help: "Convergence study on the built-in mesh: solve on k unit squares, n/2^(k-1), ..., n/2, n cells per side, and print the L2 error against h with the observed order (one process only).",
          transform: { try wholeNumber($0, option: "--convergence") })
  var convergence: Int = 1

  @Option(help: "Write the timing report to a file: .json (every column and totals) or .csv (one row per loop). Under mpirun, rank 0 writes the report gathered over the ranks.")
  var timings: String?

  @Option(help: "Write SVG charts into this directory (created if missing): poisson-timings.svg, the seconds per loop, and with --convergence 2 or more poisson-convergence.svg, the L2 error against h (log-log) beside an h² line.")
  var plot: String?

  func validate() throws {
    if n < 1 { throw ValidationError("--n must be positive, not \(n)") }
    if mesh == nil {
      let need = TriangleMesh.estimatedSolveBytes(n: n), available = SystemMemory.available
      guard need <= Double(available) else {
        throw ValidationError("--n \(n) needs about \(SystemMemory.format(need)) of memory (150 MB + 1 kB per node), "
                              + "more than the \(SystemMemory.format(Double(available))) available")
      }
      guard n <= TriangleMesh.maximumN else {
        throw ValidationError("--n \(n) is more than the built-in mesh allows, \(TriangleMesh.maximumN) (32-bit PETSc and OP2 indices)")
      }
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if convergence < 1 { throw ValidationError("--convergence must be at least 1, not \(convergence)") }
    if convergence > 1 {
      if mesh != nil { throw ValidationError("--convergence refines the built-in unit square: it cannot be used with --mesh") }
      guard convergence <= 30, n % (1 << (convergence - 1)) == 0 else {
        throw ValidationError("--convergence \(convergence) halves n \(convergence - 1) times: --n must be a multiple of \(convergence <= 30 ? String(1 << (convergence - 1)) : "2^\(convergence - 1)"), not \(n)")
      }
    }
    guard ["automatic", "ptscotch", "metis", "block"].contains(partitioner) else {
      throw ValidationError("--partitioner must be automatic, ptscotch, metis or block")
    }
  }

  func run() throws {
    OP2.configure(try OP2.Configuration.fromEnvironment(ProcessInfo.processInfo.environment, backend: backend, threads: threads))
    if let vtk, OP2.rank == 0 { try OutputFile.checkWritable(vtk) }  // before the solve, not after
    // --plot first: --timings may name a file in the directory it creates.
    if let plot, OP2.rank == 0 {
      try OutputFile.createDirectory(plot)
      for name in plotFiles { try OutputFile.checkWritable(OutputFile.file(named: name, in: plot)) }
    }
    if let timings {
      _ = try TimingReport.Format(path: timings)
      if OP2.rank == 0 { try OutputFile.checkWritable(timings) }
    }
    if convergence > 1, OP2.rankCount > 1 { throw ValidationError("--convergence runs in one process, not under mpirun") }
    if stokes { return try runStokes() }

    let start = ContinuousClock.now
    let triangles: TriangleMesh = try mesh.map { TriangleMesh(try GmshReader.read(contentsOf: $0)) } ?? .unitSquare(n: n)
    let meshSeconds = Double((ContinuousClock.now - start) / .nanoseconds(1)) / 1e9
    if let petscOptions { try Solver.insertOptions(petscOptions) }
    let ranks = OP2.rankCount > 1 ? " × \(OP2.rankCount) MPI ranks" : ""
    say("poisson: \(triangles.nodeCount) nodes, \(triangles.triangleCount) triangles, \(triangles.boundaryNodes.count) boundary nodes "
        + "(\(mesh ?? "unit square, n = \(n)")); backend \(OP2.configuration.backend)\(ranks)")
    let problem = PoissonProblem(mesh: triangles)
    let method: OP2.PartitionMethod = switch partitioner {
      case "ptscotch": .ptscotch
      case "metis": .metis
      case "block": .block
      default: .automatic
    }
    let options = ["ksp_type": ksp, "pc_type": pc, "ksp_rtol": String(rtol)]
    // The study's coarser meshes first (coarsest first); the finest is the solve below.
    var study: [(n: Int, error: Double)] = []
    for level in stride(from: convergence - 1, to: 0, by: -1) {
      let coarse = n >> level
      study.append((coarse, try PoissonProblem(mesh: .unitSquare(n: coarse)).solve(options: options, partitioner: method).l2Error))
    }
    let solution = try problem.solve(options: options, partitioner: method)
    if convergence > 1 {
      study.append((n, solution.l2Error))
      say("convergence study (L2 error against h = 1/n; order log2(e(2h)/e(h))):")
      for (i, level) in study.enumerated() {
        let order = i == 0 ? "" : String(format: ", order %.3f", log2(study[i - 1].error / level.error))
        say(String(format: "  n %6d  h %.6e  L2 error %.6e", level.n, 1 / Double(level.n), level.error) + order)
      }
    }
    say("solver: \(solution.kspType) + \(solution.pcType): \(solution.solve.iterations) iterations, "
          + "residual norm \(String(format: "%.3e", solution.solve.residualNorm)) (\(solution.solve.reason))")
    say("L2 error: \(String(format: "%.6e", solution.l2Error))")
    say("matrix: \(triangles.nodeCount) rows, \(solution.nonzeros) nonzeros")
    say("time (s): mesh \(f(meshSeconds)), setup \(f(solution.setupSeconds)), assembly \(f(solution.assemblySeconds)), "
          + "boundary \(f(solution.boundarySeconds)), solve \(f(solution.solveSeconds)), error \(f(solution.errorSeconds))")
    if let vtk, OP2.rank == 0 {
      let exact = (0..<triangles.nodeCount).map { i in
        sin(Double.pi * triangles.coordinates[2 * i]) * sin(Double.pi * triangles.coordinates[2 * i + 1])
      }
      try VTKWriter.write(to: vtk, points: triangles.coordinates, cells: triangles.triangles, nodesPerCell: 3,
                          pointData: [.init(name: "u", components: 1, values: solution.u),
                                      .init(name: "u_exact", components: 1, values: exact)])
      say("wrote \(vtk)")
    }
    if mesh == nil {
      // On the unit square the P1 error is about 1.35 h² (measured for n = 8 ... 512).
      let bound = 1.5 / Double(n * n)
      say("L2 error \(solution.l2Error <= bound ? "≤" : ">") 1.5 h² = \(String(format: "%.3e", bound)): \(solution.l2Error <= bound ? "PASSED" : "FAILED")")
      if !(solution.l2Error <= bound) { throw ExitCode(1) }
    }
    if let maxError, !(solution.l2Error <= maxError) {
      say("FAILED: L2 error \(solution.l2Error) exceeds \(maxError)")
      throw ExitCode(1)
    }
    guard timings != nil || plot != nil else { return }
    let report = OP2.gatheredTimingReport()  // collective: every rank
    guard OP2.rank == 0 else { return }
    if let timings {
      try report.write(to: timings)
      say("wrote \(timings)")
    }
    if let plot {
      let timesPath = OutputFile.file(named: plotFiles[0], in: plot)
      try report.timeChart(title: "poisson: seconds per loop").write(to: timesPath)
      say("wrote \(timesPath)")
      if study.count > 1 {
        let path = OutputFile.file(named: plotFiles[1], in: plot)
        try convergenceChart(study).write(to: path)
        say("wrote \(path)")
      }
    }
  }

  /// The files `--plot` writes: the timings, and with `--convergence` 2 or more the study.
  private var plotFiles: [String] { ["poisson-timings.svg"] + (convergence > 1 ? ["poisson-convergence.svg"] : []) }

  /// The L2 error against h = 1/n on log-log axes, with the line C·h² through the finest point.
  private func convergenceChart(_ study: [(n: Int, error: Double)]) -> SVGLineChart {
    let measured = study.map { SVGLineChart.Point(x: 1 / Double($0.n), y: $0.error) }
    let finest = measured.last!
    let reference = measured.map { SVGLineChart.Point(x: $0.x, y: finest.y * ($0.x / finest.x) * ($0.x / finest.x)) }
    return SVGLineChart(title: "poisson: L2 error against h", xLabel: "h", yLabel: "L2 error",
                        xScale: .logarithmic, yScale: .logarithmic,
                        series: [.init(name: "L2 error", points: measured), .init(name: "h² (through the finest)", points: reference)])
  }

  private func f(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

  /// Prints on rank 0 only (every rank has the same results).
  private func say(_ text: String) {
    guard OP2.rank == 0 else { return }
    print(text)
  }
}

/// A whole number from the command line: digits, or a float spelling of one (`1e3`).
func wholeNumber(_ text: String, option: String) throws -> Int {
  if let n = Int(text) { return n }
  if let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 9.2e18 { return Int(d) }
  throw ValidationError("\(option) must be a whole number, not \"\(text)\"")
}

Poisson.main()

extension Poisson {
  /// `--stokes`: the block-system demo, with its convergence study.
  func runStokes() throws {
    guard OP2.rankCount == 1 else { throw ValidationError("--stokes runs in one process, not under mpirun") }
    guard let format = BlockFormat(rawValue: blockFormat) else { throw ValidationError("--block-format must be nest or aij, not \(blockFormat)") }
    if let petscOptions { try Solver.insertOptions(petscOptions) }
    say("stokes: stabilised P1/P1 on the unit square, n = \(n), block format \(format); backend \(OP2.configuration.backend)")
    var previous: (u: Double, p: Double)?
    for level in stride(from: convergence - 1, through: 0, by: -1) {
      let size = n >> level
      let s = try StokesProblem(mesh: .unitSquare(n: size)).solve(blockFormat: format)
      var line = String(format: "  n %5d  velocity L2 error %.6e  pressure L2 error %.6e  %@ %d iterations  assembly %.3f s  solve %.3f s",
                        size, s.velocityError, s.pressureError, s.pcType, s.solve.iterations, s.assemblySeconds, s.solveSeconds)
      if let previous {
        line += String(format: "  orders %.3f %.3f", log2(previous.u / s.velocityError), log2(previous.p / s.pressureError))
      }
      say(line)
      previous = (s.velocityError, s.pressureError)
      if level == 0, let maxError, s.velocityError > maxError {
        say(String(format: "velocity L2 error %.6e exceeds --max-error %.6e", s.velocityError, maxError))
        throw ExitCode(1)
      }
    }
  }
}
