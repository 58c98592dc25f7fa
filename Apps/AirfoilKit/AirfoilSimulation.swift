public import OP2

/// OP2's airfoil application on swift-op2: a 2D inviscid finite-volume solver for transonic flow
/// around a NACA0012 airfoil, time-marched with a two-stage explicit scheme.
///
/// Each iteration runs `save_soln` over cells, then twice `adt_calc` (cells), `res_calc`
/// (interior edges), `bres_calc` (boundary edges) and `update` (cells, reducing into `rms`).
///
/// ```swift
/// let sim = try AirfoilSimulation(grid: AirfoilMesh.generate(cells: 20_000))
/// for _ in 1...100 { print(try sim.iterate()) }
/// ```
public final class AirfoilSimulation {
  /// The mesh sets.
  public let nodes, edges, bedges, cells: Set
  /// The mesh maps: edge→node, edge→cell, bedge→node, bedge→cell, cell→node.
  public let pedge, pecell, pbedge, pbecell, pcell: Map
  /// Node coordinates.
  public let x: Dat<Double>
  /// Flow state (4 per cell) and its copy at the start of the iteration.
  public let q, qold: Dat<Double>
  /// Residual (4 per cell).
  public let res: Dat<Double>
  /// Local time step per cell.
  public let adt: Dat<Double>
  /// Boundary kind per boundary edge: 1 wall, 2 far field.
  public let bound: Dat<Int32>
  /// The sum of squared updates of the last `update` loop.
  public let rms: Global<Double>
  /// Iterations done.
  public private(set) var iteration = 0
  private let constants: [any Sendable]

  /// Sets up the mesh and the free-stream initial state.
  /// - Throws: ``OP2Error`` when the grid's arrays do not fit its counts.
  public convenience init(grid: OP2Grid) throws {
    try self.init(
      sets: { (Set(size: grid.nodeCount, name: "nodes"), Set(size: grid.edgeCount, name: "edges"),
               Set(size: grid.bedgeCount, name: "bedges"), Set(size: grid.cellCount, name: "cells")) },
      x: grid.x, cellNodes: grid.cellNodes, edgeNodes: grid.edgeNodes, edgeCells: grid.edgeCells,
      bedgeNodes: grid.bedgeNodes, bedgeCells: grid.bedgeCells, bound: grid.bound)
  }

  /// Sets up this rank's block of the mesh and its free-stream initial state: the large-mesh
  /// path, where no rank holds the whole grid.
  ///
  /// Declares each set with `Set(globalSize:name:)` (this rank's even block, the one
  /// `OP2GridReader.readBlock` reads), the maps from the block's rows in global indices and the
  /// Dats from its values: the same objects as ``init(grid:)``, so that after ``partition(method:)``
  /// (which must come before any iteration under `mpirun`) the simulation is the same. Without
  /// MPI a block of rank 0 of 1 is the whole grid and this equals ``init(grid:)``.
  ///
  /// ```swift
  /// let sim = try AirfoilSimulation(block: OP2GridReader.readBlock(contentsOf: "new_grid.dat"))
  /// try sim.partition()
  /// ```
  ///
  /// - Parameter block: This rank's block (``OP2/rank`` of ``OP2/rankCount``).
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` when the block was read for another
  ///   rank or rank count; ``OP2Error`` when its arrays do not fit its ranges.
  public convenience init(block: OP2GridBlock) throws {
    guard block.rank == OP2.rank, block.rankCount == OP2.rankCount else {
      throw OP2Error.invalidSize(
        object: "AirfoilSimulation(block:)",
        what: "block rank (this process is rank \(OP2.rank) of \(OP2.rankCount), the block one of \(block.rankCount))",
        value: block.rank)
    }
    try self.init(
      sets: { try (Set(globalSize: block.nodeCount, name: "nodes"), Set(globalSize: block.edgeCount, name: "edges"),
                   Set(globalSize: block.bedgeCount, name: "bedges"), Set(globalSize: block.cellCount, name: "cells")) },
      x: block.x, cellNodes: block.cellNodes, edgeNodes: block.edgeNodes, edgeCells: block.edgeCells,
      bedgeNodes: block.bedgeNodes, bedgeCells: block.bedgeCells, bound: block.bound)
  }

  /// Declares the constants, then the sets `sets` makes (nodes, edges, bedges, cells), then the
  /// maps and Dats over them from rows of those sets (all of each set, or this rank's block).
  private init(
    sets: () throws -> (Set, Set, Set, Set),
    x xValues: [Double], cellNodes: [Int32], edgeNodes: [Int32], edgeCells: [Int32],
    bedgeNodes: [Int32], bedgeCells: [Int32], bound boundValues: [Int32]
  ) throws {
    constants = try AirfoilConstants.declare()
    (nodes, edges, bedges, cells) = try sets()
    pedge = try Map(from: edges, to: nodes, arity: 2, values: edgeNodes, name: "pedge")
    pecell = try Map(from: edges, to: cells, arity: 2, values: edgeCells, name: "pecell")
    pbedge = try Map(from: bedges, to: nodes, arity: 2, values: bedgeNodes, name: "pbedge")
    pbecell = try Map(from: bedges, to: cells, arity: 1, values: bedgeCells, name: "pbecell")
    pcell = try Map(from: cells, to: nodes, arity: 4, values: cellNodes, name: "pcell")
    x = try Dat(nodes ** 2, values: xValues, name: "p_x")
    var initial = [Double](repeating: 0, count: 4 * cells.size)
    for c in 0..<cells.size { for k in 0..<4 { initial[4 * c + k] = AirfoilConstants.qinf[k] } }
    q = try Dat(cells ** 4, values: initial, name: "p_q")
    qold = Dat(cells ** 4, name: "p_qold")
    res = Dat(cells ** 4, name: "p_res")
    adt = Dat(cells ** 1, name: "p_adt")
    bound = try Dat(bedges ** 1, values: boundValues, name: "p_bound")
    rms = Global(value: 0, name: "rms")
  }

  /// Runs one iteration and returns its rms, `sqrt(Σ del² / ncell)` of the second stage.
  ///
  /// Reading the rms makes the iteration's loops run; ``step()`` queues them without waiting.
  @discardableResult
  public func iterate() throws -> Double {
    try step()
    return currentRMS
  }

  /// The rms of the last iteration's second stage, `sqrt(Σ del² / ncell)` (runs what is queued).
  public var currentRMS: Double { (rms.value[0] / Double(cells.globalSize)).squareRoot() }

  /// Distributes the mesh over the MPI ranks (OP2's `op_partition` in `airfoil_mpi`): cells are
  /// partitioned on their graph through `pcell`, the other sets follow. Does nothing on one rank.
  /// - Throws: ``OP2Error`` from partitioning.
  public func partition(method: OP2.PartitionMethod = .automatic) throws {
    try OP2.partition(primary: cells, map: pcell, method: method)
  }

  /// Queues one iteration without reading its result: with lazy evaluation, iterations then run
  /// back to back, and the last `update` of one fuses with `save_soln` and `adt_calc` of the next.
  public func step() throws {
    try step(afterEachLoop: nil)
  }

  /// One iteration, calling `afterEachLoop` after each loop with its name, its stage (0 for
  /// `save_soln`, then 1 and 2) and the Dats it writes: how ``findFirstNonFinite(from:through:)``
  /// looks at every loop's output.
  private func step(afterEachLoop: ((_ loop: String, _ stage: Int, _ written: [Dat<Double>]) throws -> Void)?) throws {
    try parLoop(AirfoilKernels.saveSoln, over: cells, q(.read), qold(.write))
    try afterEachLoop?("save_soln", 0, [qold])
    for stage in 1...2 {
      try parLoop(AirfoilKernels.adtCalc, over: cells,
                  x(.read, pcell[0]), x(.read, pcell[1]), x(.read, pcell[2]), x(.read, pcell[3]),
                  q(.read), adt(.write))
      try afterEachLoop?("adt_calc", stage, [adt])
      try parLoop(AirfoilKernels.resCalc, over: edges,
                  x(.read, pedge[0]), x(.read, pedge[1]),
                  q(.read, pecell[0]), q(.read, pecell[1]),
                  adt(.read, pecell[0]), adt(.read, pecell[1]),
                  res(.inc, pecell[0]), res(.inc, pecell[1]))
      try afterEachLoop?("res_calc", stage, [res])
      try parLoop(AirfoilKernels.bresCalc, over: bedges,
                  x(.read, pbedge[0]), x(.read, pbedge[1]),
                  q(.read, pbecell[0]), adt(.read, pbecell[0]), res(.inc, pbecell[0]),
                  bound(.read))
      try afterEachLoop?("bres_calc", stage, [res])
      rms.value = [0]
      try parLoop(AirfoilKernels.update, over: cells, qold(.read), q(.write), res(.rw), adt(.read), rms(.inc))
      try afterEachLoop?("update", stage, [q, res])
    }
    iteration += 1
  }

  // MARK: Finding where a NaN came from

  /// The state an iteration starts from: the flow `q` (this rank's owned cells) and the
  /// iteration count. Every other Dat is recomputed by the next iteration.
  public struct Snapshot: Sendable {
    /// `q` of this rank's owned cells.
    public var q: [Double]
    /// Iterations done when it was taken.
    public var iteration: Int
  }

  /// The first loop whose output holds a NaN or an infinity.
  public struct NonFiniteValue: Sendable, Equatable, CustomStringConvertible {
    /// The kernel's name (`update`).
    public var loop: String
    /// 0 for `save_soln`, 1 or 2 for the two stages of the other loops.
    public var stage: Int
    /// The 1-based iteration.
    public var iteration: Int
    /// The Dat holding them (`p_q`).
    public var dat: String
    /// How many of its values (over all ranks) are not finite, and how many it has.
    public var count: Int, total: Int

    public var description: String {
      let where_ = stage == 0 ? "" : stage == 1 ? " (first stage)" : " (second stage)"
      return "loop \(loop)\(where_) of iteration \(iteration) wrote \(count) NaN or infinite value\(count == 1 ? "" : "s") "
        + "into \(dat) (of \(total))"
    }
  }

  /// Takes a ``Snapshot`` (runs the queued loops that write `q`).
  public func snapshot() -> Snapshot { Snapshot(q: q.data, iteration: iteration) }

  /// Goes back to `snapshot` and runs iterations up to `last` again, loop by loop, checking what
  /// each loop writes; stops at the first loop that writes a NaN or an infinity.
  ///
  /// This is how the app reports where a diverging run first went wrong without slowing the
  /// normal run, which checks only the rms it prints: a run that ends in NaN is replayed from
  /// the last snapshot whose rms was finite. Collective under MPI (the counts are reductions).
  ///
  /// - Returns: The first loop with a non-finite output; `nil` when none (up to `last`) had one.
  /// - Throws: ``OP2Error`` from the loops.
  public func findFirstNonFinite(from snapshot: Snapshot, through last: Int) throws -> NonFiniteValue? {
    try q.setData(snapshot.q)
    iteration = snapshot.iteration
    var found: NonFiniteValue?
    let bad = Global<Double>(value: 0, name: "nonfinite")
    while found == nil, iteration < last {
      try step { loop, stage, written in
        guard found == nil else { return }
        for dat in written {
          bad.value = [0]
          let kernel = dat.dataSet.dim == 4 ? AirfoilKernels.countNonFinite4 : AirfoilKernels.countNonFinite1
          try parLoop(kernel, over: self.cells, dat(.read), bad(.inc))
          let count = Int(bad.value[0])
          if count > 0 {
            found = NonFiniteValue(loop: loop, stage: stage, iteration: self.iteration + 1, dat: dat.name,
                                   count: count, total: self.cells.globalSize * dat.dataSet.dim)
            return
          }
        }
      }
    }
    return found
  }

  /// Bytes the five loops of one iteration must move at least (each Dat and map once per loop),
  /// the memory-traffic floor used in the benchmark report.
  public var bytesPerIterationLowerBound: Int {
    let c = cells.globalSize, e = edges.globalSize, b = bedges.globalSize, n = nodes.globalSize
    let saveSoln = c * 32 * 2
    let adtCalc = n * 16 + c * 16 + c * 32 + c * 8
    let resCalc = e * 8 + e * 8 + n * 16 + c * 32 + c * 8 + c * 32 * 2
    let bresCalc = b * 8 + b * 4 + b * 4
    let update = c * 32 * 2 + c * 32 * 2 + c * 8
    return saveSoln + 2 * (adtCalc + resCalc + bresCalc + update)
  }
}
