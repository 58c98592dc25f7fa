import OP2

/// What one part of an airfoil decomposition executes and sends per iteration, from a
/// ``DecompositionCensus`` of airfoil's sets (nodes, edges, bedges, cells, declared in that order).
struct AirfoilPart {
  /// Owned cells: save_soln, adt_calc and update run over them.
  var cells: Int
  /// Owned + exec-halo edges (res_calc runs both) and the core edges among the owned.
  var edges: Int, coreEdges: Int
  /// Owned + exec-halo boundary edges (bres_calc).
  var bedges: Int
  /// Cells sent and received in one halo exchange of a cell Dat, and the parts sent to and
  /// received from.
  var cellsSent: Int, cellsReceived: Int
  var sendNeighbours: Int, receiveNeighbours: Int

  static let nodes = 0, edgeSet = 1, bedgeSet = 2, cellSet = 3

  /// Every part of `census`.
  static func parts(of census: DecompositionCensus) -> [AirfoilPart] {
    let c = census.counts
    let sent = census.exported(cellSet), received = census.imported(cellSet), sendTo = census.exportNeighbours(cellSet)
    var receiveFrom = [Int](repeating: 0, count: census.parts)
    for i in census.imports[cellSet] { receiveFrom[i.importer] += 1 }
    return (0..<census.parts).map { r in
      AirfoilPart(cells: c[cellSet].owned[r], edges: c[edgeSet].owned[r] + c[edgeSet].exec[r], coreEdges: c[edgeSet].core[r],
                  bedges: c[bedgeSet].owned[r] + c[bedgeSet].exec[r], cellsSent: sent[r], cellsReceived: received[r],
                  sendNeighbours: sendTo[r], receiveNeighbours: receiveFrom[r])
    }
  }
}

/// The performance model of one airfoil iteration on P parts (see BENCHMARKS.md, "Distributed
/// airfoil: halos and predicted scaling"). An iteration is two stages, each ending in update's
/// `MPI_Allreduce`, which waits for the slowest part; within a stage, res_calc first exchanges the
/// halos of q and adt:
///
///     T(P)        = max_r stage₁(r) + max_r stage₂(r) + 2 · α · ⌈log2 P⌉
///     stage₁(r)   = t_save·C + stage₂(r)
///     stage₂(r)   = t_adt·C + t_res·E + t_bres·B + t_update·C + exposed(r)
///     exchange(r) = α · max(parts sent to, parts received from)
///                 + 40 B · max(cells sent, cells received) / β
///     exposed(r)  = exchange(r)                            without overlap
///                 = max(0, exchange(r) − t_res · E_core(r)) with overlap (core edges hide it)
///
/// C: owned cells; E, B: owned + exec-halo edges and bedges; E_core: core edges of part r. Each
/// exchange sends q (4 doubles) and adt (1 double) of every cell a neighbour imports, packed in
/// one message per neighbour; the other loops need no exchange once x is current.
struct ScalingModel {
  /// Seconds per element of save_soln, adt_calc, res_calc, bres_calc, update.
  var save: Double, adt: Double, res: Double, bres: Double, update: Double
  /// Latency (s) and bandwidth (bytes/s) of a message.
  var alpha: Double, beta: Double

  static let bytesPerCell = 40.0  // q (4 doubles) + adt (1 double)

  struct Prediction {
    /// Seconds per iteration without and with overlap, and with no communication at all.
    var plain: Double, overlapped: Double, compute: Double
    /// The share of T that is communication: 1 − compute / T.
    var plainCommFraction: Double { 1 - compute / plain }
    var overlappedCommFraction: Double { 1 - compute / overlapped }
  }

  /// One stage's computation on part `p` (without save_soln).
  func stage(_ p: AirfoilPart) -> Double {
    adt * Double(p.cells) + res * Double(p.edges) + bres * Double(p.bedges) + update * Double(p.cells)
  }

  /// One halo exchange of q and adt for part `p`.
  func exchange(_ p: AirfoilPart) -> Double {
    guard p.cellsSent + p.cellsReceived > 0 else { return 0 }
    return alpha * Double(max(p.sendNeighbours, p.receiveNeighbours))
      + Self.bytesPerCell * Double(max(p.cellsSent, p.cellsReceived)) / beta
  }

  /// Two allreduces of one double each, as a binomial tree of latencies.
  func allreduce(parts: Int) -> Double {
    parts > 1 ? 2 * alpha * Double(Int.bitWidth - (parts - 1).leadingZeroBitCount) : 0
  }

  func predict(_ parts: [AirfoilPart]) -> Prediction {
    var first = (plain: 0.0, overlapped: 0.0, compute: 0.0), second = first
    for p in parts {
      let work = stage(p), x = exchange(p), hidden = max(0, x - res * Double(p.coreEdges))
      let saving = save * Double(p.cells)
      first = (max(first.plain, saving + work + x), max(first.overlapped, saving + work + hidden), max(first.compute, saving + work))
      second = (max(second.plain, work + x), max(second.overlapped, work + hidden), max(second.compute, work))
    }
    let reduce = allreduce(parts: parts.count)
    return Prediction(plain: first.plain + second.plain + reduce, overlapped: first.overlapped + second.overlapped + reduce,
                      compute: first.compute + second.compute)
  }
}
