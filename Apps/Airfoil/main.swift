import AirfoilKit
import ArgumentParser
import Foundation
import OP2

/// The `airfoil` command: OP2's airfoil benchmark on swift-op2.
struct Airfoil: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "airfoil",
    abstract: "OP2's airfoil CFD benchmark (NACA0012, Mach 0.4, 3°) on swift-op2.",
    discussion: """
      Solves 2D inviscid transonic flow around a NACA0012 airfoil with OP2's finite-volume \
      scheme. By default it runs on a built-in body-fitted C-grid; --cells 720000 gives OP2's \
      standard size. Feed OP2's own grid with --grid new_grid.dat. The rms of the update is \
      printed every 100 iterations, then a per-loop timing table (like OP2's op_timing_output).

      Examples:
        airfoil                                  # small built-in grid, 1000 iterations
        airfoil --cells 720000 --iterations 200
        airfoil --grid new_grid.dat --backend threaded --threads 2
        airfoil --iterations 500 --timings timings.json --plot plots/
        airfoil generate-grid --cells 720000 -o new_grid.dat
        airfoil generate-grid --format hdf5 -o new_grid.h5 && airfoil --grid new_grid.h5
      """,
    subcommands: [Run.self, GenerateGrid.self],
    defaultSubcommand: Run.self)
}

struct MeshOptions: ParsableArguments {
  // `.unconditional`: a value that starts with "-" is the value (and "--cells -5" is told it must
  // be positive), not a missing one.
  @Option(parsing: .unconditional,
          help: "Cells of the built-in NACA0012 C-grid (rounded to a 2:1 grid whose width is a multiple of 3; 19 200 gives 19 110).",
          transform: { try wholeNumber($0, option: "--cells") })
  var cells: Int = 19_200

  @Option(help: "Read OP2's grid file instead of generating a grid: new_grid.dat (text) or new_grid.h5 (HDF5, told by its signature or a .h5 name). Under mpirun each rank reads only its block of the file.")
  var grid: String?

  @Flag(help: "Under mpirun, have every rank read the whole --grid file instead of its block.")
  var wholeGrid = false

  /// Checks `--cells` when the grid is generated: within the generator's range, and the run's
  /// estimated memory within what this machine has available now.
  func validate() throws {
    guard grid == nil else { return }
    try checkCells(cells)
  }

  /// The grid: generated, read whole, or — under mpirun with more than one rank — this rank's
  /// block of the --grid file (every rank parses only its part; partitioning then migrates it).
  func load() throws -> LoadedGrid {
    guard let grid else { return .whole(try AirfoilMesh.generate(cells: cells)) }
    if OP2.rankCount > 1, !wholeGrid { return .block(try OP2GridReader.readBlock(contentsOf: grid), path: grid) }
    return .whole(try OP2GridReader.read(contentsOf: grid))
  }
}

/// The mesh as this process holds it: the whole grid, or this rank's block of a grid file.
enum LoadedGrid {
  case whole(OP2Grid)
  case block(OP2GridBlock, path: String)

  /// Nodes, cells, edges and boundary edges of the whole grid.
  var counts: (nodes: Int, cells: Int, edges: Int, bedges: Int) {
    switch self {
    case .whole(let g): (g.nodeCount, g.cellCount, g.edgeCount, g.bedgeCount)
    case .block(let b, _): (b.nodeCount, b.cellCount, b.edgeCount, b.bedgeCount)
    }
  }

  func simulation() throws -> AirfoilSimulation {
    switch self {
    case .whole(let grid): try AirfoilSimulation(grid: grid)
    case .block(let block, _): try AirfoilSimulation(block: block)
    }
  }

  /// The whole grid; for a block, read again from its file (by the caller's rank alone).
  func wholeGrid() throws -> OP2Grid {
    switch self {
    case .whole(let grid): grid
    case .block(_, let path): try OP2GridReader.read(contentsOf: path)
    }
  }
}

extension Airfoil {
  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the solver (the default).")

    @OptionGroup var mesh: MeshOptions

    @Option(name: .shortAndLong, parsing: .unconditional, help: "Number of iterations.",
            transform: { try wholeNumber($0, option: "--iterations") })
    var iterations: Int = 1000

    @Option(help: "Execution backend: sequential, threaded or opencl (default: OP2_BACKEND, else sequential; OP2_OPENCL_PLATFORM and OP2_OPENCL_DEVICE pick the OpenCL device).")
    var backend: String?

    @Option(parsing: .unconditional, help: "Threads for the threaded backend (default: OP2_THREADS, else one per core).",
            transform: { try wholeNumber($0, option: "--threads") })
    var threads: Int?

    @Option(help: "How to partition the mesh under mpirun: automatic, ptscotch, metis, geometric or block.")
    var partitioner: String = "automatic"

    @Option(help: "Write the final solution (cell data q, pressure, Mach) for ParaView: a .vtu file, or under mpirun a .pvtu file with one piece per rank.")
    var vtk: String?

    @Option(help: "Write the timing report to a file: .json (every column, transfers and totals) or .csv (one row per loop). Under mpirun, rank 0 writes the report gathered over the ranks.")
    var timings: String?

    @Option(help: "Write SVG charts into this directory (created if missing): airfoil-rms.svg, the rms printed every 100 iterations (and the final one) on a log scale, and airfoil-timings.svg, the seconds per loop.")
    var plot: String?

    @Flag(help: "Print only the rms table (no timings).")
    var quiet = false

    func validate() throws {
      guard iterations >= 0 else { throw ValidationError("--iterations must not be negative") }
      if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
      guard ["automatic", "ptscotch", "metis", "geometric", "block"].contains(partitioner) else {
        throw ValidationError("--partitioner must be automatic, ptscotch, metis, geometric or block")
      }
    }

    func partitionMethod(_ sim: AirfoilSimulation) -> OP2.PartitionMethod {
      switch partitioner {
      case "ptscotch": return .ptscotch
      case "metis": return .metis
      case "geometric": return .geometric(coordinates: sim.x)
      case "block": return .block
      default: return .automatic
      }
    }

    func run() throws {
      OP2.configure(try OP2.Configuration.fromEnvironment(ProcessInfo.processInfo.environment, backend: backend, threads: threads))
      // A typo in the output path must not cost the run: check it first (on rank 0, which
      // writes a .vtu; every rank writes a .pvtu piece beside it).
      if let vtk, OP2.rank == 0 || vtk.hasSuffix(".pvtu") { try OutputFile.checkWritable(vtk) }
      // --plot first: --timings may name a file in the directory it creates.
      if let plot, OP2.rank == 0 {
        try OutputFile.createDirectory(plot)
        for name in Airfoil.plotFiles { try OutputFile.checkWritable(OutputFile.file(named: name, in: plot)) }
      }
      if let timings {
        _ = try TimingReport.Format(path: timings)
        if OP2.rank == 0 { try OutputFile.checkWritable(timings) }
      }

      let wall = ContinuousClock.now
      let setup = ContinuousClock.now
      _ = OP2.rankCount  // starts MPI under mpirun: part of the setup, not of reading the grid
      let loadStart = ContinuousClock.now
      let grid = try mesh.load()
      let loadSeconds = seconds(since: loadStart)
      let sim = try grid.simulation()
      try sim.partition(method: partitionMethod(sim))
      if ProcessInfo.processInfo.environment["AIRFOIL_DEBUG_LAYOUT"] != nil {
        for s in [sim.nodes, sim.edges, sim.bedges, sim.cells] {
          print("rank \(OP2.rank) \(s.name): core \(s.coreSize) owned \(s.size) owned+exec \(s.executedSize) total \(s.totalSize)")
        }
      }
      let setupSeconds = seconds(since: setup)
      let ranks = OP2.rankCount > 1 ? " × \(OP2.rankCount) MPI ranks (\(partitioner) partition)" : ""
      let counts = grid.counts
      let reading = if case .block = grid { ", read in blocks" } else { "" }
      say("airfoil: \(counts.nodes) nodes, \(counts.cells) cells, \(counts.edges) edges, \(counts.bedges) bedges "
          + "(\(mesh.grid ?? "built-in grid")\(reading)); backend \(OP2.configuration.backend)\(ranks); setup \(format(setupSeconds, "%.2f")) s "
          + "(\(mesh.grid == nil ? "generating" : "reading") the grid \(format(loadSeconds, "%.2f")) s)")
      // Identify the grid by content, for the verdict (gathered on rank 0).
      let x = try sim.x.gatheredData(root: 0)
      let reference = OP2.rank == 0 ? AirfoilReferenceRMS.matching(counts: [counts.nodes, counts.cells, counts.edges, counts.bedges], x: x) : nil
      let started = ContinuousClock.now
      var rms = 0.0
      var printed: [Int: Double] = [:]
      var lastGood = sim.snapshot()
      for iter in 1...max(1, iterations) where iterations > 0 {
        try sim.step()
        guard iter % 100 == 0 || iter == iterations else { continue }
        rms = sim.currentRMS
        guard rms.isFinite else {
          // Replay from the last finite rms, loop by loop, to say where it went wrong.
          let found = try sim.findFirstNonFinite(from: lastGood, through: iter)
          let where_ = found.map { "\($0)" } ?? "no loop wrote one when the iterations since \(lastGood.iteration) were run again"
          say("airfoil: the rms of iteration \(iter) is \(rms): \(where_)")
          throw ExitCode(3)
        }
        lastGood = sim.snapshot()
        if iter % 100 == 0 {
          printed[iter] = rms
          let elapsed = seconds(since: started)
          let eta = elapsed / Double(iter) * Double(iterations - iter)
          say(String(format: " %4d  %10.5e", iter, rms) + (quiet ? "" : String(format: "   [%5.1f%%, %.1f s, eta %.1f s]", 100.0 * Double(iter) / Double(iterations), elapsed, eta)))
        }
      }
      let runSeconds = seconds(since: started)
      if iterations > 0 {
        printed[iterations] = rms
        say(String(format: "final rms %.16e", rms))
      }
      let failed = OP2.rank == 0 ? !reportVerdict(reference, printed: printed) : false
      if OP2.sumOverRanks(failed ? 1 : 0) > 0 { throw ExitCode(1) }
      if let vtk { try writeVTK(sim, grid: grid, to: vtk) }
      guard !quiet || timings != nil || plot != nil else { return }
      let report = OP2.gatheredTimingReport()  // collective: every rank
      if !quiet {
        say("\n" + report.description)
        let bytes = Double(sim.bytesPerIterationLowerBound) * Double(iterations)
        say(String(format: "iterations: %.3f s (%.2f ms/iteration); memory-traffic floor %.1f MB/iteration; total wall time %.3f s",
                   runSeconds, runSeconds / Double(max(iterations, 1)) * 1e3, bytes / Double(max(iterations, 1)) / 1e6, seconds(since: wall)))
      }
      guard OP2.rank == 0 else { return }
      if let timings {
        try report.write(to: timings)
        say("wrote \(timings)")
      }
      if let plot {
        try writePlots(to: plot, rms: printed, report: report)
        say("wrote \(Airfoil.plotFiles.map { OutputFile.file(named: $0, in: plot) }.joined(separator: " and "))")
      }
    }
  }

  /// The files `--plot` writes.
  static let plotFiles = ["airfoil-rms.svg", "airfoil-timings.svg"]

  struct GenerateGrid: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "generate-grid",
      abstract: "Write the built-in NACA0012 grid in OP2's new_grid.dat or new_grid.h5 format (for OP2-Common's airfoil).")

    @Option(parsing: .unconditional, help: "Cells of the grid.", transform: { try wholeNumber($0, option: "--cells") })
    var cells: Int = 720_000

    @Option(name: .shortAndLong, help: "Output file.")
    var output: String = "new_grid.dat"

    @Option(help: "text (OP2's new_grid.dat) or hdf5 (OP2's new_grid.h5 layout, with the initial flow state and constants OP2's airfoil_hdf5 reads). Default: hdf5 for a .h5 or .hdf5 output, else text.")
    var format: GridFormat?

    enum GridFormat: String, ExpressibleByArgument, CaseIterable { case text, hdf5 }

    func validate() throws { try checkCells(cells) }

    func run() throws {
      try OutputFile.checkWritable(output)
      let grid = try AirfoilMesh.generate(cells: cells)
      let lower = output.lowercased()
      let chosen = format ?? (lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") ? .hdf5 : .text)
      switch chosen {
      case .text: try OP2GridWriter.write(grid, to: output)
      case .hdf5: try OP2GridHDF5.write(grid, to: output, extras: Self.airfoilExtras(cells: grid.cellCount))
      }
      print("wrote \(output): \(grid.nodeCount) nodes, \(grid.cellCount) cells, \(grid.edgeCount) edges, \(grid.bedgeCount) bedges")
    }

    /// What OP2's convert_mesh adds to the grid: the flow state (p_q and p_qold at the free
    /// stream, p_res and p_adt zero) and the constants.
    static func airfoilExtras(cells: Int) -> OP2GridHDF5.Extras {
      let q = [[Double]](repeating: AirfoilConstants.qinf, count: cells).flatMap { $0 }
      let c = AirfoilConstants.self
      return OP2GridHDF5.Extras(
        cellDats: [("p_q", 4, q), ("p_qold", 4, q), ("p_res", 4, [Double](repeating: 0, count: 4 * cells)),
                   ("p_adt", 1, [Double](repeating: 0, count: cells))],
        constants: [("gam", [c.gam]), ("gm1", [c.gm1]), ("cfl", [c.cfl]), ("eps", [c.eps]), ("mach", [c.mach]),
                    ("alpha", [c.alpha]), ("qinf", c.qinf)])
    }
  }
}

/// Writes q, pressure and Mach number per cell; reading `q` runs any queued loop first.
///
/// A `.pvtu` path writes one piece per rank (its owned cells) and the parallel file that lists
/// them; a `.vtu` path writes one file, gathered on rank 0 under MPI (which reads a grid file
/// that was read in blocks again, whole, for the points and cells).
func writeVTK(_ sim: AirfoilSimulation, grid mesh: LoadedGrid, to path: String) throws {
  let fields = { (q: [Double]) -> [VTKWriter.Field] in
    let gm1 = AirfoilConstants.gm1, gam = AirfoilConstants.gam
    let count = q.count / 4
    var pressure = [Double](repeating: 0, count: count)
    var mach = [Double](repeating: 0, count: count)
    for c in 0..<count {
      let r = q[4 * c], u = q[4 * c + 1] / r, v = q[4 * c + 2] / r
      let p = gm1 * (q[4 * c + 3] - 0.5 * r * (u * u + v * v))
      pressure[c] = p
      mach[c] = ((u * u + v * v) / (gam * p / r)).squareRoot()
    }
    return [.init(name: "q", components: 4, values: q), .init(name: "pressure", components: 1, values: pressure),
            .init(name: "mach", components: 1, values: mach)]
  }
  if path.hasSuffix(".pvtu") {
    let cells = Array(sim.pcell.values.prefix(4 * sim.cells.size))
    try VTKWriter.writeParallel(to: path, points: sim.x.localData(includingHalo: true), cells: cells, nodesPerCell: 4,
                                cellData: fields(sim.q.data))
    say("wrote \(path) and \(OP2.rankCount) piece\(OP2.rankCount == 1 ? "" : "s")")
    return
  }
  let q = sim.q.gatheredData()
  guard OP2.rank == 0 else { return }
  let grid = try mesh.wholeGrid()
  try VTKWriter.write(to: path, points: grid.x, cells: grid.cellNodes, nodesPerCell: 4, cellData: fields(q))
  say("wrote \(path)")
}

/// The `--plot` charts: the rms history (the iterations the app printed, every 100th and the
/// last; reading the rms every iteration would force the lazy queue each time) on a log scale,
/// and the seconds per loop from the timing report.
func writePlots(to directory: String, rms printed: [Int: Double], report: TimingReport) throws {
  let points = printed.keys.sorted().map { SVGLineChart.Point(x: Double($0), y: printed[$0]!) }
  let rms = SVGLineChart(title: "airfoil: rms of the update", xLabel: "iteration", yLabel: "rms",
                         yScale: .logarithmic, series: [.init(name: "rms", points: points)])
  try rms.write(to: OutputFile.file(named: Airfoil.plotFiles[0], in: directory))
  try report.timeChart(title: "airfoil: seconds per loop").write(to: OutputFile.file(named: Airfoil.plotFiles[1], in: directory))
}

/// Prints the verdict of a run: its rms against OP2's for this grid, when the grid is known
/// (identified by content) and the run reached an iteration the reference has; returns false
/// only for FAILED.
func reportVerdict(_ reference: AirfoilReferenceRMS?, printed: [Int: Double]) -> Bool {
  guard let reference else {
    say("no reference rms for this grid (neither OP2's new_grid.dat nor a built-in grid with a reference table): no verdict")
    return true
  }
  let verdict = reference.verdict(for: printed)
  guard let worst = verdict.worst else {
    let iterations = reference.rms.keys.sorted().map(String.init).joined(separator: ", ")
    say("\(reference.grid): the reference has the rms of iterations \(iterations) only: no verdict for this run")
    return true
  }
  let range = verdict.compared.count == 1 ? "iteration \(worst.iteration)" : "iterations \(verdict.compared.first!)–\(verdict.compared.last!)"
  say(String(format: "%@: rms of %@ against %@: largest relative difference %.3e (iteration %d, tolerance %.0e): %@",
             reference.grid, range, reference.source, worst.difference, worst.iteration, AirfoilReferenceRMS.tolerance,
             verdict.passed ? "PASSED" : "FAILED"))
  return verdict.passed
}

/// A whole number from the command line: digits, or a float spelling of one (`1e6`, `720000.0`).
func wholeNumber(_ text: String, option: String) throws -> Int {
  if let n = Int(text) { return n }
  if let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 9.2e18 { return Int(d) }
  throw ValidationError("\(option) must be a whole number, not \"\(text)\"")
}

/// `--cells` of a generated grid: positive, within ``AirfoilMesh`` limits, and the estimated
/// memory of the run within what this machine has available.
func checkCells(_ cells: Int) throws {
  guard cells > 0 else { throw ValidationError("--cells must be positive, not \(cells)") }
  guard cells >= AirfoilMesh.minimumCells else { throw ValidationError("--cells must be at least \(AirfoilMesh.minimumCells), not \(cells)") }
  let need = AirfoilMesh.estimatedRunBytes(cells: cells), available = SystemMemory.available
  guard need <= Double(available) else {
    throw ValidationError("--cells \(cells) needs about \(SystemMemory.format(need)) of memory (64 MB + 320 bytes per cell), "
                          + "more than the \(SystemMemory.format(Double(available))) available")
  }
  guard cells <= AirfoilMesh.maximumCells else {
    throw ValidationError("--cells \(cells) is more than the built-in grid allows, \(AirfoilMesh.maximumCells) cells (OP2 grids use 32-bit indices)")
  }
}

/// Prints on rank 0 only (every rank computes the same rms), flushing at once.
func say(_ text: String) {
  guard OP2.rank == 0 else { return }
  print(text)
  fflush(nil)
}

func seconds(since start: ContinuousClock.Instant) -> Double {
  Double((ContinuousClock.now - start) / .nanoseconds(1)) / 1e9
}

func format(_ value: Double, _ spec: String) -> String { String(format: spec, value) }

Airfoil.main()
