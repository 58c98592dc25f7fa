/// An unstructured 2D quadrilateral grid in the layout of OP2's airfoil example.
///
/// The grid is the content of OP2's `new_grid.dat`: node coordinates, the cell → node map, the
/// edge → node and edge → cell maps of the interior edges, and the boundary-edge → node,
/// boundary-edge → cell maps with a boundary-condition flag per boundary edge. All indices are
/// 0-based and stored in flat arrays, row after row, exactly as OP2 passes them to `op_decl_map`.
///
/// **Conventions** (the ones the airfoil kernels rely on):
/// - A cell lists its 4 nodes counter-clockwise, so its signed area is positive.
/// - For an interior edge with nodes `n1, n2` and cells `c1, c2`, let `(dx, dy) = x[n1] - x[n2]`.
///   Then the normal `(dy, -dx)` points from `c1` towards `c2`; `res_calc` adds the flux to `c1`
///   and subtracts it from `c2`.
/// - For a boundary edge with nodes `n1, n2` and cell `c1`, `(dy, -dx)` points out of the domain.
/// - `bound` is 1 on a solid wall and 2 on the far field.
///
/// The struct does not validate its arrays; ``OP2GridReader`` checks files as it reads them.
///
/// The corresponding OP2 data are the `node`, `cell`, `edge`, `bedge` sets and the `pcell`,
/// `pedge`, `pecell`, `pbedge`, `pbecell` maps and `p_x`, `p_bound` dats of `airfoil.cpp`.
public struct OP2Grid: Equatable, Sendable {
  /// The number of nodes.
  public var nodeCount: Int
  /// The number of quadrilateral cells.
  public var cellCount: Int
  /// The number of interior edges (each between two cells).
  public var edgeCount: Int
  /// The number of boundary edges (each on one cell).
  public var bedgeCount: Int
  /// Node coordinates, `x, y` per node (`2 * nodeCount` values).
  public var x: [Double]
  /// Cell → node map, 4 nodes per cell in counter-clockwise order (`4 * cellCount` values).
  public var cellNodes: [Int32]
  /// Edge → node map, 2 nodes per interior edge (`2 * edgeCount` values).
  public var edgeNodes: [Int32]
  /// Edge → cell map, 2 cells per interior edge (`2 * edgeCount` values).
  public var edgeCells: [Int32]
  /// Boundary edge → node map, 2 nodes per boundary edge (`2 * bedgeCount` values).
  public var bedgeNodes: [Int32]
  /// Boundary edge → cell map, 1 cell per boundary edge (`bedgeCount` values).
  public var bedgeCells: [Int32]
  /// Boundary condition per boundary edge: 1 for a wall, 2 for the far field (`bedgeCount` values).
  public var bound: [Int32]

  /// Creates a grid from its counts and flat, 0-based arrays.
  ///
  /// The arrays are stored as given; their lengths are expected to match the counts (see the
  /// property documentation) but are not checked here.
  ///
  /// - Parameters:
  ///   - nodeCount: The number of nodes.
  ///   - cellCount: The number of cells.
  ///   - edgeCount: The number of interior edges.
  ///   - bedgeCount: The number of boundary edges.
  ///   - x: Node coordinates, 2 per node.
  ///   - cellNodes: 4 node indices per cell, counter-clockwise.
  ///   - edgeNodes: 2 node indices per interior edge.
  ///   - edgeCells: 2 cell indices per interior edge.
  ///   - bedgeNodes: 2 node indices per boundary edge.
  ///   - bedgeCells: 1 cell index per boundary edge.
  ///   - bound: 1 boundary flag per boundary edge.
  public init(
    nodeCount: Int, cellCount: Int, edgeCount: Int, bedgeCount: Int,
    x: [Double], cellNodes: [Int32], edgeNodes: [Int32], edgeCells: [Int32],
    bedgeNodes: [Int32], bedgeCells: [Int32], bound: [Int32]
  ) {
    self.nodeCount = nodeCount
    self.cellCount = cellCount
    self.edgeCount = edgeCount
    self.bedgeCount = bedgeCount
    self.x = x
    self.cellNodes = cellNodes
    self.edgeNodes = edgeNodes
    self.edgeCells = edgeCells
    self.bedgeNodes = bedgeNodes
    self.bedgeCells = bedgeCells
    self.bound = bound
  }

  /// The array lengths the counts call for that the arrays do not have, as
  /// `(array name, expected, got)`; empty when every array fits its count.
  ///
  /// ``OP2GridWriter`` and the consistency checks use this before indexing the arrays.
  var shapeMismatches: [(name: String, expected: Int, got: Int)] {
    let expected: [(String, Int, Int)] = [
      ("x", 2 * nodeCount, x.count),
      ("cellNodes", 4 * cellCount, cellNodes.count),
      ("edgeNodes", 2 * edgeCount, edgeNodes.count),
      ("edgeCells", 2 * edgeCount, edgeCells.count),
      ("bedgeNodes", 2 * bedgeCount, bedgeNodes.count),
      ("bedgeCells", bedgeCount, bedgeCells.count),
      ("bound", bedgeCount, bound.count),
    ]
    return expected.filter { $0.1 != $0.2 }.map { (name: $0.0, expected: $0.1, got: $0.2) }
  }
}
