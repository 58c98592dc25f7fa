import AirfoilKit
import ArgumentParser
import Foundation
import OP2

extension Bench {
  /// Airfoil's OP2 decomposition into many parts, in one process: METIS k-way on the cell graph,
  /// the other sets' parts and every halo by the library's own rules (``DecompositionCensus``),
  /// then the predicted time per iteration under ``ScalingModel`` on each network.
  struct Scaling: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "scaling",
      abstract: "Airfoil decomposed into many parts in one process (METIS, OP2 halos) and its predicted strong/weak scaling.",
      discussion: """
        No MPI: the cell graph is partitioned with METIS k-way as OP2.partition(primary: cells, map: pcell, \
        method: .metis) would on k ranks, and the halos are counted as the library builds them. With \
        --cells-per-part, each part count gets its own generated grid of that many cells per part (weak \
        scaling); otherwise one grid is split into every part count (strong scaling).
        """)

    @Option(help: "OP2 grid file (new_grid.dat); default: the built-in grid of --cells cells.") var grid: String?
    @Option(help: "Cells of the built-in grid.") var cells = 720_000
    @Option(help: "Weak scaling: a built-in grid of this many cells per part for each part count.") var cellsPerPart: Int?
    @Option(help: "Comma-separated part counts (1 needs no METIS).") var parts = "16,32,64,128,256,512,1024"
    @Option(help: "Nanoseconds per element of save_soln, adt_calc, res_calc, bres_calc, update (default: airfoil, one process, OP2_FUSION=0, best of 12 runs here).")
    var loopNs = "5.33,8.68,10.72,55.9,9.68"
    @Option(help: "A network as name|α in µs|β in GB/s; repeat for several (default: shared memory measured here, InfiniBand's range).")
    var network: [String] = ["shared memory (ping-pong here)|0.4|2.5", "InfiniBand HDR-like (assumed)|1|25", "InfiniBand EDR-like (assumed)|2|10"]
    @Flag(help: "Print every part's layout as airfoil's AIRFOIL_DEBUG_LAYOUT=1 prints each rank's, to compare with mpirun.")
    var layout = false

    func run() throws {
      let counts = try parts.split(separator: ",").map { s in
        guard let k = Int(s.trimmingCharacters(in: .whitespaces)), k >= 1 else { throw ValidationError("--parts: \"\(s)\" is not a part count") }
        return k
      }
      let ns = loopNs.split(separator: ",").compactMap { Double($0) }
      guard ns.count == 5 else { throw ValidationError("--loop-ns needs 5 numbers (save_soln, adt_calc, res_calc, bres_calc, update)") }
      let networks = try network.map { spec -> (name: String, model: ScalingModel) in
        let fields = spec.split(separator: "|").map(String.init)
        guard fields.count == 3, let a = Double(fields[1]), let b = Double(fields[2]) else {
          throw ValidationError("--network: \"\(spec)\" is not name|α µs|β GB/s")
        }
        return (fields[0], ScalingModel(save: ns[0] * 1e-9, adt: ns[1] * 1e-9, res: ns[2] * 1e-9, bres: ns[3] * 1e-9,
                                        update: ns[4] * 1e-9, alpha: a * 1e-6, beta: b * 1e9))
      }
      print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpuModel())")
      var rows: [Row] = []
      if let perPart = cellsPerPart {
        for k in counts {
          let t = now()
          let mesh = try AirfoilMesh.generate(cells: perPart * k)
          print("grid: \(mesh.cellCount) cells, \(mesh.edgeCount) edges, \(mesh.bedgeCount) bedges, \(mesh.nodeCount) nodes (built-in), generated in \(f(seconds(t), "%.2f")) s")
          rows += try analyse(mesh, parts: [k])
        }
      } else {
        let t = now()
        let mesh = try grid.map { try OP2GridReader.read(contentsOf: $0) } ?? AirfoilMesh.generate(cells: cells)
        print("grid: \(mesh.cellCount) cells, \(mesh.edgeCount) edges, \(mesh.bedgeCount) bedges, \(mesh.nodeCount) nodes (\(grid ?? "built-in")), read in \(f(seconds(t), "%.2f")) s")
        rows = try analyse(mesh, parts: counts)
      }
      printHalos(rows)
      for n in networks { printPrediction(rows, name: n.name, model: n.model, weak: cellsPerPart != nil) }
    }

    /// One part count's decomposition: the census's counts, not its per-element arrays (which
    /// take 115 MB per part count for the 7.2-million-cell grid).
    struct Row {
      var gridCells: Int
      var partCount: Int
      var counts: [DecompositionCensus.SetCounts]
      /// Per part, the parts it exchanges cells with.
      var neighbours: [Int]
      /// The most cells one part sends another in one exchange (its q message is 32 B each).
      var largestMessage: Int
      var parts: [AirfoilPart]
      var whole: AirfoilPart
      var metisSeconds: Double, censusSeconds: Double
    }

    func analyse(_ mesh: OP2Grid, parts counts: [Int]) throws -> [Row] {
      var t = now()
      let graph = DecompositionCensus.adjacency(of: mesh.cellNodes, arity: 4, sourceCount: mesh.cellCount, targetCount: mesh.nodeCount)
      print("cell graph: \(graph.adjacency.count / 2) adjacent pairs (cells sharing a node), built in \(f(seconds(t), "%.2f")) s")
      // Airfoil's sets and maps in AirfoilSimulation's declaration order, which decides the rules.
      let sets = [("nodes", mesh.nodeCount), ("edges", mesh.edgeCount), ("bedges", mesh.bedgeCount), ("cells", mesh.cellCount)]
        .map { DecompositionCensus.SetDescription(name: $0.0, size: $0.1) }
      let maps = [
        DecompositionCensus.MapDescription(name: "pedge", from: 1, to: 0, arity: 2, values: mesh.edgeNodes),
        .init(name: "pecell", from: 1, to: 3, arity: 2, values: mesh.edgeCells),
        .init(name: "pbedge", from: 2, to: 0, arity: 2, values: mesh.bedgeNodes),
        .init(name: "pbecell", from: 2, to: 3, arity: 1, values: mesh.bedgeCells),
        .init(name: "pcell", from: 3, to: 0, arity: 4, values: mesh.cellNodes),
      ]
      var rows: [Row] = []
      for k in counts {
        t = now()
        let cellParts = k == 1 ? [Int32](repeating: 0, count: mesh.cellCount)
          : try METIS.partitionWhole(offsets: graph.offsets, adjacency: graph.adjacency, parts: k)
        let metis = seconds(t)
        t = now()
        let census = DecompositionCensus(sets: sets, maps: maps, primary: AirfoilPart.cellSet, primaryParts: cellParts, parts: k)
        let parts = AirfoilPart.parts(of: census)
        let counted = seconds(t)
        print("\(k) parts: METIS \(f(metis, "%.2f")) s, halos \(f(counted, "%.2f")) s")
        if layout {
          for r in 0..<k {
            for (s, set) in census.sets.enumerated() {
              let c = census.counts[s]
              print("rank \(r) \(set.name): core \(c.core[r]) owned \(c.owned[r]) owned+exec \(c.owned[r] + c.exec[r]) total \(c.owned[r] + c.exec[r] + c.nonExec[r])")
            }
          }
        }
        fflush(nil)
        rows.append(Row(gridCells: mesh.cellCount, partCount: k, counts: census.counts, neighbours: census.neighbours(AirfoilPart.cellSet),
                        largestMessage: census.imports[AirfoilPart.cellSet].map(\.elements).max() ?? 0,
                        parts: parts, whole: AirfoilPart.whole(census), metisSeconds: metis, censusSeconds: counted))
      }
      return rows
    }

    func printHalos(_ rows: [Row]) {
      print("""

        | cells | parts | cells/part max | mean | imbalance | edges executed max | mean | halo cells max | mean \
        | halo nodes max | neighbours max | mean | KB sent/iteration max | messages/iteration max | largest message (KB, q and adt) \
        | core cells | core edges | METIS (s) | halos (s) |
        |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
        """)
      for row in rows {
        let c = row.counts, p = row.parts, k = Double(row.partCount)
        func mean(_ v: [Int]) -> Double { Double(v.reduce(0, +)) / k }
        let cells = p.map(\.cells), edges = p.map(\.edges)
        let halo = (0..<row.partCount).map { c[AirfoilPart.cellSet].exec[$0] + c[AirfoilPart.cellSet].nonExec[$0] }
        let haloNodes = (0..<row.partCount).map { c[AirfoilPart.nodes].exec[$0] + c[AirfoilPart.nodes].nonExec[$0] }
        let neighbours = row.neighbours
        let bytes = p.map { 2 * Int(ScalingModel.bytesPerCell) * $0.cellsSent }
        let messages = p.map { 2 * $0.sendNeighbours }  // two exchanges (q and adt packed together) per iteration
        func fraction(_ s: Int) -> String {
          f(100 * Double(c[s].core.reduce(0, +)) / Double(max(1, c[s].owned.reduce(0, +))), "%.1f %%")
        }
        print("| \(row.gridCells) | \(row.partCount) | \(cells.max()!) | \(f(mean(cells), "%.0f")) | \(f(Double(cells.max()!) / mean(cells), "%.3f")) "
              + "| \(edges.max()!) | \(f(mean(edges), "%.0f")) | \(halo.max()!) | \(f(mean(halo), "%.0f")) | \(haloNodes.max()!) "
              + "| \(neighbours.max()!) | \(f(mean(neighbours), "%.1f")) | \(f(Double(bytes.max()!) / 1e3, "%.1f")) | \(messages.max()!) "
              + "| \(f(Double(40 * row.largestMessage) / 1e3, "%.1f")) | \(fraction(AirfoilPart.cellSet)) | \(fraction(AirfoilPart.edgeSet)) | \(f(row.metisSeconds, "%.1f")) | \(f(row.censusSeconds, "%.2f")) |")
      }
    }

    func printPrediction(_ rows: [Row], name: String, model: ScalingModel, weak: Bool) {
      // Strong: speed-up over one process on the same grid, and speed-up / P. Weak: time per
      // cell per rank of the first row over this row's (grids of n·P cells round a little).
      let gain = weak ? "weak efficiency" : "speed-up | efficiency"
      print("""

        Predicted time per iteration, \(name) (α = \(f(model.alpha * 1e6, "%.2f")) µs, β = \(f(model.beta / 1e9, "%.1f")) GB/s):

        | cells | P | cells/rank | T no overlap (ms) | \(gain) | comm | T overlap (ms) | \(gain) | comm | compute only (ms) |
        |---|---|---|---|---|---|---|---|---|---\(weak ? "" : "|---|---")|
        """)
      let predictions = rows.map { model.predict($0.parts) }
      func perCell(_ t: Double, _ row: Row) -> Double { t / (Double(row.gridCells) / Double(row.partCount)) }
      for (row, p) in zip(rows, predictions) {
        let k = row.partCount
        let serial = model.predict([row.whole]).compute
        func columns(_ t: Double, _ first: Double) -> String {
          if weak { return f(100 * perCell(first, rows[0]) / perCell(t, row), "%.0f %%") }
          return "\(f(serial / t, "%.1f")) | \(f(100 * serial / t / Double(k), "%.0f %%"))"
        }
        print("| \(row.gridCells) | \(k) | \(row.gridCells / k) | \(f(p.plain * 1e3, "%.3f")) | \(columns(p.plain, predictions[0].plain)) "
              + "| \(f(100 * p.plainCommFraction, "%.0f %%")) | \(f(p.overlapped * 1e3, "%.3f")) | \(columns(p.overlapped, predictions[0].overlapped)) "
              + "| \(f(100 * p.overlappedCommFraction, "%.0f %%")) | \(f(p.compute * 1e3, "%.3f")) |")
      }
    }
  }
}

extension AirfoilPart {
  /// The whole grid as one part: what a single process executes.
  static func whole(_ census: DecompositionCensus) -> AirfoilPart {
    let c = census.counts
    let edges = c[edgeSet].owned.reduce(0, +)
    return AirfoilPart(cells: c[cellSet].owned.reduce(0, +), edges: edges, coreEdges: edges, bedges: c[bedgeSet].owned.reduce(0, +),
                       cellsSent: 0, cellsReceived: 0, sendNeighbours: 0, receiveNeighbours: 0)
  }
}
