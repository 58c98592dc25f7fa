/// One rank's block of an airfoil grid (``OP2Grid``): its even share of the nodes, cells, edges and
/// boundary edges, with the rows of those elements exactly as in the file.
///
/// This is what ``OP2GridReader/readBlock(contentsOf:rank:rankCount:)`` returns on the large-mesh
/// path, where no rank holds the whole mesh: each rank declares its block of each set with
/// ``Set/init(globalSize:localSize:name:)`` (whose default split is the same), the Maps from
/// the block rows and the Dats from the block values, then calls
/// ``OP2/partition(primary:map:method:)``.
///
/// Each block is the even split of its section, `count * rank / rankCount ..< count * (rank + 1)
/// / rankCount`, so blocks differ in size by at most one and some are empty when there are more
/// ranks than elements. Map rows hold **global** indices (the file's), not indices into the
/// blocks: a cell's node may lie in another rank's node block.
///
/// ```swift
/// let block = try OP2GridReader.readBlock(contentsOf: "new_grid.dat")   // this rank's block
/// let nodes = try Set(globalSize: block.nodeCount, name: "nodes")        // nodes.size == block.nodeRange.count
/// let cells = try Set(globalSize: block.cellCount, name: "cells")
/// let pcell = try Map(from: cells, to: nodes, arity: 4, values: block.cellNodes, name: "pcell")
/// let x = try Dat<Double>(nodes ** 2, values: block.x, name: "x")
/// try OP2.partition(primary: cells, map: pcell)
/// ```
///
/// On one rank (`rankCount` 1) the block is the whole grid, and ``grid`` returns it as an
/// ``OP2Grid``. ``init(slicing:rank:rankCount:)`` cuts the same block out of a grid in memory.
public struct OP2GridBlock: Equatable, Sendable {
  /// The rank this block belongs to, in `0..<rankCount`.
  public var rank: Int
  /// The number of ranks the grid is split over.
  public var rankCount: Int

  /// The number of nodes in the whole grid.
  public var nodeCount: Int
  /// The number of cells in the whole grid.
  public var cellCount: Int
  /// The number of interior edges in the whole grid.
  public var edgeCount: Int
  /// The number of boundary edges in the whole grid.
  public var bedgeCount: Int

  /// The global indices of this block's nodes.
  public var nodeRange: Range<Int>
  /// The global indices of this block's cells.
  public var cellRange: Range<Int>
  /// The global indices of this block's interior edges.
  public var edgeRange: Range<Int>
  /// The global indices of this block's boundary edges.
  public var bedgeRange: Range<Int>

  /// Coordinates of the block's nodes, `x, y` per node (`2 * nodeRange.count` values).
  public var x: [Double]
  /// The block's cells' nodes, 4 global node indices per cell (`4 * cellRange.count` values).
  public var cellNodes: [Int32]
  /// The block's edges' nodes, 2 global node indices per edge (`2 * edgeRange.count` values).
  public var edgeNodes: [Int32]
  /// The block's edges' cells, 2 global cell indices per edge (`2 * edgeRange.count` values).
  public var edgeCells: [Int32]
  /// The block's boundary edges' nodes, 2 global node indices each (`2 * bedgeRange.count` values).
  public var bedgeNodes: [Int32]
  /// The block's boundary edges' cells, 1 global cell index each (`bedgeRange.count` values).
  public var bedgeCells: [Int32]
  /// The block's boundary flags: 1 for a wall, 2 for the far field (`bedgeRange.count` values).
  public var bound: [Int32]

  /// Creates a block from its counts, ranges and arrays, stored as given.
  ///
  /// The ranges are expected to be the even split of the counts for `rank` of `rankCount`, and
  /// the arrays to fit the ranges (see the property documentation); neither is checked here.
  ///
  /// - Parameters:
  ///   - rank: The rank the block belongs to.
  ///   - rankCount: The number of ranks.
  ///   - nodeCount: Nodes in the whole grid.
  ///   - cellCount: Cells in the whole grid.
  ///   - edgeCount: Interior edges in the whole grid.
  ///   - bedgeCount: Boundary edges in the whole grid.
  ///   - nodeRange: The block's nodes.
  ///   - cellRange: The block's cells.
  ///   - edgeRange: The block's interior edges.
  ///   - bedgeRange: The block's boundary edges.
  ///   - x: 2 coordinates per node of the block.
  ///   - cellNodes: 4 global node indices per cell of the block.
  ///   - edgeNodes: 2 global node indices per edge of the block.
  ///   - edgeCells: 2 global cell indices per edge of the block.
  ///   - bedgeNodes: 2 global node indices per boundary edge of the block.
  ///   - bedgeCells: 1 global cell index per boundary edge of the block.
  ///   - bound: 1 boundary flag per boundary edge of the block.
  public init(
    rank: Int, rankCount: Int,
    nodeCount: Int, cellCount: Int, edgeCount: Int, bedgeCount: Int,
    nodeRange: Range<Int>, cellRange: Range<Int>, edgeRange: Range<Int>, bedgeRange: Range<Int>,
    x: [Double], cellNodes: [Int32], edgeNodes: [Int32], edgeCells: [Int32],
    bedgeNodes: [Int32], bedgeCells: [Int32], bound: [Int32]
  ) {
    self.rank = rank
    self.rankCount = rankCount
    self.nodeCount = nodeCount
    self.cellCount = cellCount
    self.edgeCount = edgeCount
    self.bedgeCount = bedgeCount
    self.nodeRange = nodeRange
    self.cellRange = cellRange
    self.edgeRange = edgeRange
    self.bedgeRange = bedgeRange
    self.x = x
    self.cellNodes = cellNodes
    self.edgeNodes = edgeNodes
    self.edgeCells = edgeCells
    self.bedgeNodes = bedgeNodes
    self.bedgeCells = bedgeCells
    self.bound = bound
  }

  /// Cuts rank `rank`'s block out of a whole grid: the same block
  /// ``OP2GridReader/readBlock(contentsOf:rank:rankCount:)`` reads from the grid's file.
  ///
  /// Useful for grids made in memory (``OP2Grid`` from a generator) on the large-mesh path, and
  /// for tests. Costs a copy of the block's rows.
  ///
  /// - Parameters:
  ///   - grid: The whole grid; its arrays must fit its counts.
  ///   - rank: The block's rank, in `0..<rankCount`.
  ///   - rankCount: The number of ranks, at least 1.
  /// - Throws: ``OP2Error/invalidRank(operation:rank:rankCount:)`` for a rank outside
  ///   `0..<rankCount`; ``OP2Error/valueCountMismatch(object:expected:got:)`` when an array of
  ///   `grid` does not fit its count.
  public init(slicing grid: OP2Grid, rank: Int, rankCount: Int) throws(OP2Error) {
    guard rankCount >= 1, (0..<rankCount).contains(rank) else {
      throw .invalidRank(operation: "OP2GridBlock(slicing:)", rank: rank, rankCount: rankCount)
    }
    if let bad = grid.shapeMismatches.first {
      throw .valueCountMismatch(object: "OP2Grid.\(bad.name)", expected: bad.expected, got: bad.got)
    }
    let block = { (count: Int) in Set.evenBlock(globalSize: count, rank: rank, rankCount: rankCount) }
    let (nodes, cells, edges, bedges) = (block(grid.nodeCount), block(grid.cellCount), block(grid.edgeCount), block(grid.bedgeCount))
    func rows<T>(_ values: [T], _ range: Range<Int>, _ width: Int) -> [T] {
      Array(values[(range.lowerBound * width)..<(range.upperBound * width)])
    }
    self.init(
      rank: rank, rankCount: rankCount,
      nodeCount: grid.nodeCount, cellCount: grid.cellCount, edgeCount: grid.edgeCount, bedgeCount: grid.bedgeCount,
      nodeRange: nodes, cellRange: cells, edgeRange: edges, bedgeRange: bedges,
      x: rows(grid.x, nodes, 2), cellNodes: rows(grid.cellNodes, cells, 4),
      edgeNodes: rows(grid.edgeNodes, edges, 2), edgeCells: rows(grid.edgeCells, edges, 2),
      bedgeNodes: rows(grid.bedgeNodes, bedges, 2), bedgeCells: rows(grid.bedgeCells, bedges, 1),
      bound: rows(grid.bound, bedges, 1))
  }

  /// Whether the block holds the whole grid: every range covers its whole section (always so on
  /// one rank).
  public var isWholeGrid: Bool {
    nodeRange == 0..<nodeCount && cellRange == 0..<cellCount && edgeRange == 0..<edgeCount
      && bedgeRange == 0..<bedgeCount
  }

  /// The block as an ``OP2Grid`` when it holds the whole grid (see ``isWholeGrid``), else nil.
  ///
  /// The arrays are shared, not copied.
  public var grid: OP2Grid? {
    guard isWholeGrid else { return nil }
    return OP2Grid(
      nodeCount: nodeCount, cellCount: cellCount, edgeCount: edgeCount, bedgeCount: bedgeCount,
      x: x, cellNodes: cellNodes, edgeNodes: edgeNodes, edgeCells: edgeCells,
      bedgeNodes: bedgeNodes, bedgeCells: bedgeCells, bound: bound)
  }
}
