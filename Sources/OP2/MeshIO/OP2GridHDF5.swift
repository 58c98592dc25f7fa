/// Reads and writes the airfoil grid (``OP2Grid``) in OP2's HDF5 layout, the `new_grid.h5` of
/// OP2-Common's `airfoil_hdf5` and `airfoil_mpi` (made by its `convert_mesh`).
///
/// The grid's datasets: set sizes `/nodes /cells /edges /bedges` (1-element integers), maps
/// `/pcell (cells, 4)`, `/pedge (edges, 2)`, `/pecell (edges, 2)`, `/pbedge (bedges, 2)`,
/// `/pbecell (bedges, 1)` (32-bit integers), and the Dats `/p_x (nodes, 2)` (double) and
/// `/p_bound (bedges, 1)` (int). OP2's files also hold the flow state (`/p_q /p_qold /p_res
/// /p_adt`) and constants (`/gam /gm1 /cfl /eps /mach /alpha /qinf`); the reader ignores them, and
/// ``write(_:to:extras:)`` writes them when given, so that OP2's `airfoil_hdf5` can read the file.
///
/// Under `mpirun`, ``readBlock(contentsOf:)`` reads only this rank's block of every dataset with
/// hyperslabs — the same ``OP2GridBlock`` the text reader returns — and ``writeBlock(_:to:extras:)``
/// writes the blocks of every rank into one file with parallel HDF5 (MPI-IO), gathering nothing.
public enum OP2GridHDF5 {
  /// Extra contents for a grid file: Dats on its sets and constants, in OP2's layout.
  public struct Extras: Sendable {
    /// Double Dats on the cells, `(name, dim, values)` with `cellCount * dim` values (the whole
    /// grid's, or — for ``OP2GridHDF5/writeBlock(_:to:extras:)`` — this block's).
    public var cellDats: [(name: String, dim: Int, values: [Double])]
    /// Double constants, `(name, values)`.
    public var constants: [(name: String, values: [Double])]

    /// Creates the extras.
    public init(cellDats: [(name: String, dim: Int, values: [Double])] = [], constants: [(name: String, values: [Double])] = []) {
      self.cellDats = cellDats
      self.constants = constants
    }
  }

  /// Reads a whole grid from an OP2 HDF5 file.
  ///
  /// Besides the datasets' shapes and types, the reader checks that every node index is below
  /// the node count and every cell index below the cell count.
  ///
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a file that is not HDF5, is truncated,
  ///   lacks a dataset or has one of the wrong shape or element type, or holds an index out of
  ///   range (naming the dataset and the row).
  public static func read(contentsOf path: String) throws(OP2Error) -> OP2Grid {
    try readBlock(contentsOf: path, rank: 0, rankCount: 1).grid!
  }

  /// Reads this MPI rank's block of a grid file (each rank reads only its rows, with
  /// hyperslabs); every rank throws the same error for a bad file. Without MPI, the whole grid.
  public static func readBlock(contentsOf path: String) throws(OP2Error) -> OP2GridBlock {
    guard let communicator = MPIEnvironment.world else { return try readBlock(contentsOf: path, rank: 0, rankCount: 1) }
    var result: OP2GridBlock?
    var failure: OP2Error?
    do {
      result = try readBlock(contentsOf: path, rank: communicator.rank, rankCount: communicator.size)
    } catch {
      failure = error
    }
    try communicator.agree(failure)
    return result!
  }

  /// Reads block `rank` of `rankCount` of a grid file: the even split of each set, as
  /// ``OP2GridReader/readBlock(contentsOf:rank:rankCount:)`` does for the text format. Reads the
  /// four set sizes and this block's rows of each dataset, nothing else.
  ///
  /// - Throws: ``OP2Error/invalidRank(operation:rank:rankCount:)``; the errors of
  ///   ``read(contentsOf:)`` for the rows read.
  public static func readBlock(contentsOf path: String, rank: Int, rankCount: Int) throws(OP2Error) -> OP2GridBlock {
    guard rankCount >= 1, (0..<rankCount).contains(rank) else {
      throw .invalidRank(operation: "OP2GridHDF5.readBlock", rank: rank, rankCount: rankCount)
    }
    let file = try HDF5File.open(path)
    defer { file.close() }
    let (nnode, ncell, nedge, nbedge) = (try file.count("nodes"), try file.count("cells"), try file.count("edges"), try file.count("bedges"))
    let block = { (count: Int) in Set.evenBlock(globalSize: count, rank: rank, rankCount: rankCount) }
    let (nodes, cells, edges, bedges) = (block(nnode), block(ncell), block(nedge), block(nbedge))

    func indices(_ name: String, _ rows: Range<Int>, of count: Int, width: Int, below limit: Int, _ what: String) throws(OP2Error) -> [Int32] {
      let values: [Int32] = try file.read(name, rows: rows, width: width, rowCount: count)
      if let bad = values.firstIndex(where: { $0 < 0 || Int($0) >= limit }) {
        throw OP2Error.hdf5(path: path, dataset: "/" + name,
                            reason: "row \(rows.lowerBound + bad / width) holds \(values[bad]), expected a \(what) index in 0..<\(limit)")
      }
      return values
    }
    let x: [Double] = try file.read("p_x", rows: nodes, width: 2, rowCount: nnode)
    if let bad = x.firstIndex(where: { !$0.isFinite }) {
      throw OP2Error.hdf5(path: path, dataset: "/p_x", reason: "row \(nodes.lowerBound + bad / 2) holds \(x[bad]), expected a finite coordinate")
    }
    let grid = OP2GridBlock(
      rank: rank, rankCount: rankCount,
      nodeCount: nnode, cellCount: ncell, edgeCount: nedge, bedgeCount: nbedge,
      nodeRange: nodes, cellRange: cells, edgeRange: edges, bedgeRange: bedges,
      x: x,
      cellNodes: try indices("pcell", cells, of: ncell, width: 4, below: nnode, "node"),
      edgeNodes: try indices("pedge", edges, of: nedge, width: 2, below: nnode, "node"),
      edgeCells: try indices("pecell", edges, of: nedge, width: 2, below: ncell, "cell"),
      bedgeNodes: try indices("pbedge", bedges, of: nbedge, width: 2, below: nnode, "node"),
      bedgeCells: try indices("pbecell", bedges, of: nbedge, width: 1, below: ncell, "cell"),
      bound: try file.read("p_bound", rows: bedges, width: 1, rowCount: nbedge))
    return grid
  }

  /// Writes a whole grid in OP2's layout, atomically (``HDF5File/create(_:collective:_:)``).
  ///
  /// - Parameters:
  ///   - grid: The grid; its arrays must fit its counts.
  ///   - path: The file to create or replace.
  ///   - extras: Cell Dats and constants to add (OP2's airfoil needs `p_q`, `p_qold`, `p_res`,
  ///     `p_adt` and its constants).
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)`` when an array does not fit;
  ///   ``OP2Error/fileError(path:reason:)`` and ``OP2Error/hdf5(path:dataset:reason:)`` when the
  ///   file cannot be written.
  public static func write(_ grid: OP2Grid, to path: String, extras: Extras = Extras()) throws(OP2Error) {
    if let bad = grid.shapeMismatches.first {
      throw .valueCountMismatch(object: "OP2Grid.\(bad.name)", expected: bad.expected, got: bad.got)
    }
    let block = try OP2GridBlock(slicing: grid, rank: 0, rankCount: 1)
    try HDF5File.create(path, collective: false) { (file) throws(OP2Error) in try writeContents(block, extras, file) }
  }

  /// Writes a grid from every rank's block into one file with parallel HDF5: collective under
  /// `mpirun` (every rank passes its block of the same grid, as ``readBlock(contentsOf:)``
  /// returns it, with the same extras' names and dims), each rank writing its rows with
  /// hyperslabs. Without MPI the block must be the whole grid.
  ///
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)`` when a block's arrays do not
  ///   fit its ranges; the errors of ``write(_:to:extras:)``; the same error on every rank.
  public static func writeBlock(_ block: OP2GridBlock, to path: String, extras: Extras = Extras()) throws(OP2Error) {
    var problem: OP2Error?
    let expected: [(String, Int, Int)] = [
      ("x", 2 * block.nodeRange.count, block.x.count), ("cellNodes", 4 * block.cellRange.count, block.cellNodes.count),
      ("edgeNodes", 2 * block.edgeRange.count, block.edgeNodes.count), ("edgeCells", 2 * block.edgeRange.count, block.edgeCells.count),
      ("bedgeNodes", 2 * block.bedgeRange.count, block.bedgeNodes.count), ("bedgeCells", block.bedgeRange.count, block.bedgeCells.count),
      ("bound", block.bedgeRange.count, block.bound.count),
    ] + extras.cellDats.map { ($0.name, $0.dim * block.cellRange.count, $0.values.count) }
    if let bad = expected.first(where: { $0.1 != $0.2 }) {
      problem = .valueCountMismatch(object: "OP2GridBlock.\(bad.0)", expected: bad.1, got: bad.2)
    }
    if MPIEnvironment.world == nil || OP2.rankCount == 1, problem == nil, !block.isWholeGrid {
      problem = .invalidRank(operation: "OP2GridHDF5.writeBlock (the block is not the whole grid)", rank: block.rank, rankCount: block.rankCount)
    }
    if let communicator = MPIEnvironment.world { try communicator.agree(problem) } else if let problem { throw problem }
    try HDF5File.create(path, collective: true) { (file) throws(OP2Error) in try writeContents(block, extras, file) }
  }

  private static func writeContents(_ b: OP2GridBlock, _ extras: Extras, _ file: HDF5File) throws(OP2Error) {
    let first = !file.isCollective || b.rank == 0
    for (name, count) in [("nodes", b.nodeCount), ("cells", b.cellCount), ("edges", b.edgeCount), ("bedges", b.bedgeCount)] {
      try file.write(name, values: first ? [Int32(count)] : [], rows: first ? 0..<1 : 0..<0, rowCount: 1, width: 1, oneDimensional: true)
    }
    func map(_ name: String, _ values: [Int32], _ rows: Range<Int>, _ count: Int, _ width: Int) throws(OP2Error) {
      try file.write(name, values: values, rows: rows, rowCount: count, width: width,
                     attributes: [("dim", width), ("size", count)], type: "int")
    }
    try map("pedge", b.edgeNodes, b.edgeRange, b.edgeCount, 2)
    try map("pecell", b.edgeCells, b.edgeRange, b.edgeCount, 2)
    try map("pbedge", b.bedgeNodes, b.bedgeRange, b.bedgeCount, 2)
    try map("pbecell", b.bedgeCells, b.bedgeRange, b.bedgeCount, 1)
    try map("pcell", b.cellNodes, b.cellRange, b.cellCount, 4)
    try file.write("p_bound", values: b.bound, rows: b.bedgeRange, rowCount: b.bedgeCount, width: 1,
                   attributes: [("dim", 1), ("size", 4)], type: "int")
    try file.write("p_x", values: b.x, rows: b.nodeRange, rowCount: b.nodeCount, width: 2,
                   attributes: [("dim", 2), ("size", 16)], type: "double")
    for dat in extras.cellDats {
      try file.write(dat.name, values: dat.values, rows: b.cellRange, rowCount: b.cellCount, width: dat.dim,
                     attributes: [("dim", dat.dim), ("size", 8 * dat.dim)], type: "double")
    }
    for constant in extras.constants {
      try file.write(constant.name, values: first ? constant.values : [], rows: first ? 0..<1 : 0..<0, rowCount: 1,
                     width: constant.values.count, oneDimensional: true, attributes: [("dim", constant.values.count)], type: "double")
    }
  }
}
