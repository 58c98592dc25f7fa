import ArgumentParser
import Foundation
import OP2
import PoissonKit

/// The `extruded-poisson` command: P1 prisms for −Δu = f on the unit cube, on an extruded mesh.
struct ExtrudedPoisson: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "extruded-poisson",
    abstract: "P1 prism Poisson solve on the unit cube: a unit-square triangle mesh extruded into layers (ExtrudedSet).",
    discussion: """
      The right-hand side is that of u = sin(πx) sin(πy) sin(πz), so the L2 error is printed and \
      checked: it falls as h² when the base mesh (n × n squares, 2n² triangles) and the layers \
      are refined together (by 4× per halving of h). Each column of prisms is walked layer by \
      layer inside the generated wrappers; the bottom and top boundary nodes are marked by loops \
      over the ON_BOTTOM and ON_TOP regions. Under mpirun the base mesh is partitioned first \
      and extruded after, so the loops, the matrix and the solve are distributed.

      Examples:
        extruded-poisson --n 16
        extruded-poisson --n 16 --convergence 3
        extruded-poisson --n 8 --layers 4 --vtk u.vtu
        mpirun -n 3 extruded-poisson --n 16 --pc jacobi
      """)

  @Option(parsing: .unconditional, help: "Cells per side of the base unit square (2n² triangles).")
  var n: Int = 8

  @Option(parsing: .unconditional, help: "Prism layers (default: n, so that h is the same in every direction).")
  var layers: Int?

  @Option(help: "Write the solution, the exact solution and each prism's layer to a .vtu file (wedge cells).")
  var vtk: String?

  @Option(help: "Execution backend: sequential or threaded (default: OP2_BACKEND, else sequential). OpenCL does not run extruded loops yet.")
  var backend: String?

  @Option(parsing: .unconditional, help: "Threads for the threaded backend.")
  var threads: Int?

  @Option(help: "PETSc preconditioner (-pc_type).")
  var pc: String = "gamg"

  @Option(help: "How to partition the base mesh under mpirun: automatic, ptscotch, metis or block.")
  var partitioner: String = "automatic"

  @Option(parsing: .unconditional,
          help: "Convergence study: solve with n/2^(k-1), ..., n/2, n (and as many layers) and print the L2 error against h with the observed order.")
  var convergence: Int = 1

  func validate() throws {
    if n < 1 || n > 256 { throw ValidationError("--n must be in 1...256, not \(n)") }
    if let layers, layers < 1 || layers > 1024 { throw ValidationError("--layers must be in 1...1024, not \(layers)") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if convergence < 1 || convergence > 8 { throw ValidationError("--convergence must be in 1...8, not \(convergence)") }
    guard ["automatic", "ptscotch", "metis", "block"].contains(partitioner) else {
      throw ValidationError("--partitioner must be automatic, ptscotch, metis or block")
    }
    if convergence > 1 {
      if layers != nil { throw ValidationError("--convergence refines the layers with n: leave out --layers") }
      guard n % (1 << (convergence - 1)) == 0 else {
        throw ValidationError("--convergence \(convergence) halves n \(convergence - 1) times: --n must be a multiple of \(1 << (convergence - 1)), not \(n)")
      }
    }
  }

  func run() throws {
    OP2.configure(try OP2.Configuration.fromEnvironment(ProcessInfo.processInfo.environment, backend: backend, threads: threads))
    if convergence > 1, OP2.rankCount > 1 { throw ValidationError("--convergence runs in one process, not under mpirun") }
    if let vtk, OP2.rank == 0 { try OutputFile.checkWritable(vtk) }
    let options = ["pc_type": pc]
    let method: OP2.PartitionMethod = switch partitioner {
      case "ptscotch": .ptscotch
      case "metis": .metis
      case "block": .block
      default: .automatic
    }
    var study: [(n: Int, error: Double)] = []
    for level in stride(from: convergence - 1, to: 0, by: -1) {
      let coarse = n >> level
      study.append((coarse, try ExtrudedPoissonProblem(base: .unitSquare(n: coarse), layers: coarse).solve(options: options).l2Error))
    }
    let layerCount = layers ?? n
    let base = TriangleMesh.unitSquare(n: n)
    let ranks = OP2.rankCount > 1 ? " × \(OP2.rankCount) MPI ranks" : ""
    say("extruded-poisson: \(base.triangleCount) triangles × \(layerCount) layers = \(base.triangleCount * layerCount) prisms, "
        + "\(base.nodeCount * (layerCount + 1)) nodes; backend \(OP2.configuration.backend)\(ranks)")
    let solution = try ExtrudedPoissonProblem(base: base, layers: layerCount).solve(options: options, partitioner: method)
    if convergence > 1 {
      study.append((n, solution.l2Error))
      say("convergence study (L2 error against h = 1/n; order log2(e(2h)/e(h))):")
      for (i, level) in study.enumerated() {
        let order = i == 0 ? "" : String(format: ", order %.3f", log2(study[i - 1].error / level.error))
        say(String(format: "  n %4d  h %.6e  L2 error %.6e", level.n, 1 / Double(level.n), level.error) + order)
      }
    }
    say("solver: \(solution.solve.iterations) iterations, residual norm \(String(format: "%.3e", solution.solve.residualNorm))")
    say("L2 error: \(String(format: "%.6e", solution.l2Error))")
    say("matrix: \(solution.u.count) rows, \(solution.nonzeros) nonzero blocks")
    if let vtk, OP2.rank == 0 {
      let points = solution.coordinates
      let exact = (0..<(points.count / 3)).map { i in
        sin(Double.pi * points[3 * i]) * sin(Double.pi * points[3 * i + 1]) * sin(Double.pi * points[3 * i + 2])
      }
      try VTKWriter.write(to: vtk, points: points, cells: vtkWedges(solution.prisms, points: points), nodesPerCell: 6,
                          spaceDimension: 3,
                          cellData: [.init(name: "layer", components: 1, values: solution.prismLayers)],
                          pointData: [.init(name: "u", components: 1, values: solution.u),
                                      .init(name: "u_exact", components: 1, values: exact)])
      say("wrote \(vtk)")
    }
    if layers == nil {
      // With h = 1/n in every direction the L2 error is about 1.6 h² (measured for n = 8, 16); allow 2 h².
      let bound = 2.0 / Double(n * n)
      say("L2 error \(solution.l2Error <= bound ? "≤" : ">") 2 h² = \(String(format: "%.3e", bound)): \(solution.l2Error <= bound ? "PASSED" : "FAILED")")
      if !(solution.l2Error <= bound) { throw ExitCode(1) }
    }
  }

  /// Prints on rank 0 only (every rank has the same results).
  func say(_ text: String) {
    guard OP2.rank == 0 else { return }
    print(text)
  }
}

/// Prisms in VTK's wedge order: VTK wants the bottom triangle (0, 1, 2) turning clockwise seen
/// from the top one (its right-hand normal points away from it), so counter-clockwise bottoms are
/// reversed (0, 2, 1 and 3, 5, 4).
func vtkWedges(_ prisms: [Int32], points: [Double]) -> [Int32] {
  var out = prisms
  for p in 0..<(prisms.count / 6) {
    let v = (0..<3).map { Int(prisms[6 * p + $0]) }
    let x = v.map { points[3 * $0] }, y = v.map { points[3 * $0 + 1] }
    let counterClockwise = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]) > 0
    if counterClockwise {
      out.swapAt(6 * p + 1, 6 * p + 2)
      out.swapAt(6 * p + 4, 6 * p + 5)
    }
  }
  return out
}

ExtrudedPoisson.main()
