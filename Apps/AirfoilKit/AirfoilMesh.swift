public import OP2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates body-fitted C-grids around a NACA0012 airfoil in the layout of OP2's `new_grid.dat`.
///
/// The grid is structured, `I × J` cells, stored as an unstructured ``OP2Grid``:
/// - Node `(i, j)` has index `i + j * (I + 1)` and cell `(i, j)` index `i + j * I`, with nodes
///   `(i, j), (i+1, j), (i+1, j+1), (i, j+1)` (counter-clockwise).
/// - `i` runs along the C: from the outlet along the lower side of the wake cut to the trailing
///   edge, around the airfoil (lower surface, leading edge, upper surface), and back along the
///   upper side of the wake cut to the outlet. The wake sides and the airfoil take `I / 3`
///   edges each; nodes on the wake cut are stored twice, `(i, 0)` and `(I - i, 0)` coincide.
/// - `j` runs from the airfoil and wake cut (`j = 0`) to the far field (`j = J`).
///
/// Records are in the order of OP2's file, so the generated 720 000-cell grid has the same
/// connectivity as the standard `new_grid.dat` (only the coordinates differ), and it follows
/// the same orientation conventions (see ``OP2Grid``): `(dy, -dx)` of an edge points from its
/// first cell to its second, and out of the domain for a boundary edge.
///
/// Geometry: chord from x = 0 to 1; the wake cut runs along y = 0 to the outlet at x = 9; the
/// far field is a C of straight lines y = ±8 and a half circle of radius 8 around the trailing
/// edge. Interior nodes lie on straight lines from each j = 0 node to its far-field node,
/// stretched exponentially towards the airfoil.
public enum AirfoilMesh {
  /// The smallest cell count ``generate(cells:)`` accepts; it gives a 9 × 4 grid.
  public static let minimumCells = 32

  /// The largest cell count ``generate(cells:)`` accepts: about two edges per cell, and every
  /// count and index must fit the 32-bit integers of OP2's grid format and of OP2's maps.
  public static let maximumCells = 1_000_000_000

  /// About how many bytes a run on a generated grid of `cells` cells needs at its peak (grid,
  /// Dats, maps, plans): 64 MB plus 320 bytes per cell, above the 52 MB + 264 bytes per cell
  /// measured (maximum resident set of `airfoil --cells N --iterations 2`, N = 100 000 and
  /// 720 000, debug build, sequential backend). Computed in floating point, so any count fits.
  public static func estimatedRunBytes(cells: Int) -> Double {
    64e6 + 320 * Double(cells)
  }

  /// Outlet position, far-field radius (chords) and the strength of the wall-normal clustering.
  static let outletX = 9.0, farFieldRadius = 8.0, normalStretching = 3.5

  /// The grid dimensions chosen for a requested cell count.
  ///
  /// `J = max(4, round(sqrt(cells / 2)))` and `I = 3 * round(2J / 3)`, so that `I ≈ 2J` and the
  /// wake sides and airfoil get `I / 3` edges each. The actual count `I * J` is close to the
  /// request but usually not equal: 720 000 gives exactly 1200 × 600, 10 000 gives 141 × 71 =
  /// 10 011.
  ///
  /// - Parameter cells: The requested number of cells.
  /// - Returns: `(i: I, j: J)`.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` below ``minimumCells`` or above
  ///   ``maximumCells``.
  public static func dimensions(cells: Int) throws(OP2Error) -> (i: Int, j: Int) {
    guard cells >= minimumCells else {
      throw OP2Error.invalidSize(object: "AirfoilMesh", what: "cells (at least \(minimumCells))", value: cells)
    }
    guard cells <= maximumCells else {
      throw OP2Error.invalidSize(object: "AirfoilMesh", what: "cells (at most \(maximumCells))", value: cells)
    }
    let j = max(4, Int((Double(cells) / 2).squareRoot().rounded()))
    return (i: 3 * Int((2 * Double(j) / 3).rounded()), j: j)
  }

  /// Generates a C-grid with about `cells` cells.
  ///
  /// The dimensions come from ``dimensions(cells:)``; for `cells: 720_000` the result has
  /// 721 801 nodes, 720 000 cells, 1 438 600 edges and 2 800 boundary edges (400 on the wall
  /// with `bound = 1`, 2 400 on the far field with `bound = 2`), like OP2's `new_grid.dat`.
  ///
  /// - Parameter cells: The requested number of cells, at least ``minimumCells``.
  /// - Returns: A grid that passes ``checkConsistency(_:)``.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` below ``minimumCells``.
  public static func generate(cells: Int) throws(OP2Error) -> OP2Grid {
    let (ni, nj) = try dimensions(cells: cells)
    let x = coordinates(ni: ni, nj: nj)
    let row = ni + 1  // nodes per j-line
    func node(_ i: Int, _ j: Int) -> Int32 { Int32(i + j * row) }
    func cell(_ i: Int, _ j: Int) -> Int32 { Int32(i + j * ni) }

    var cellNodes: [Int32] = []
    cellNodes.reserveCapacity(4 * ni * nj)
    for j in 0..<nj {
      for i in 0..<ni {
        cellNodes += [node(i, j), node(i + 1, j), node(i + 1, j + 1), node(i, j + 1)]
      }
    }

    // Edges in OP2's order: cell by cell, the wake-cut edge below it (lower side only, paired
    // with the mirrored cell above the cut), the edge above it, the edge to its right.
    // Each edge's nodes are listed so that (dy, -dx) of x[n1] - x[n2] points from c1 to c2.
    let wake = ni / 3
    var edgeNodes: [Int32] = [], edgeCells: [Int32] = []
    let edgeCount = wake + ni * (nj - 1) + (ni - 1) * nj
    edgeNodes.reserveCapacity(2 * edgeCount)
    edgeCells.reserveCapacity(2 * edgeCount)
    for j in 0..<nj {
      for i in 0..<ni {
        if j == 0, i < wake {
          edgeNodes += [node(i, 0), node(i + 1, 0)]
          edgeCells += [cell(ni - 1 - i, 0), cell(i, 0)]
        }
        if j < nj - 1 {
          edgeNodes += [node(i, j + 1), node(i + 1, j + 1)]
          edgeCells += [cell(i, j), cell(i, j + 1)]
        }
        if i < ni - 1 {
          edgeNodes += [node(i + 1, j), node(i + 1, j + 1)]
          edgeCells += [cell(i + 1, j), cell(i, j)]
        }
      }
    }

    // Boundary edges in OP2's order, walking the boundary with the domain on the left in
    // (i, j) space: the airfoil, then the outlet at i = I, the far field j = J backwards, and
    // the outlet at i = 0 downwards. Nodes are listed against the cell's own counter-clockwise
    // order, which makes (dy, -dx) point out of the domain.
    var bedgeNodes: [Int32] = [], bedgeCells: [Int32] = [], bound: [Int32] = []
    for i in wake..<2 * wake {
      bedgeNodes += [node(i + 1, 0), node(i, 0)]
      bedgeCells.append(cell(i, 0))
      bound.append(1)
    }
    for j in 0..<nj {
      bedgeNodes += [node(ni, j + 1), node(ni, j)]
      bedgeCells.append(cell(ni - 1, j))
      bound.append(2)
    }
    for i in stride(from: ni - 1, through: 0, by: -1) {
      bedgeNodes += [node(i, nj), node(i + 1, nj)]
      bedgeCells.append(cell(i, nj - 1))
      bound.append(2)
    }
    for j in stride(from: nj - 1, through: 0, by: -1) {
      bedgeNodes += [node(0, j), node(0, j + 1)]
      bedgeCells.append(cell(0, j))
      bound.append(2)
    }

    return OP2Grid(
      nodeCount: row * (nj + 1), cellCount: ni * nj, edgeCount: edgeNodes.count / 2,
      bedgeCount: bound.count, x: x, cellNodes: cellNodes, edgeNodes: edgeNodes,
      edgeCells: edgeCells, bedgeNodes: bedgeNodes, bedgeCells: bedgeCells, bound: bound)
  }

  // MARK: Geometry

  /// NACA0012 half-thickness at chord position `x` in 0...1, with the last coefficient changed
  /// from -0.1015 to -0.1036 so the trailing edge closes (thickness exactly 0 at x = 1).
  static func naca0012(_ x: Double) -> Double {
    guard x < 1 else { return 0 }
    return 0.6 * (0.2969 * x.squareRoot() + x * (-0.1260 + x * (-0.3516 + x * (0.2843 - 0.1036 * x))))
  }

  /// Node coordinates, `x, y` per node in node-index order.
  static func coordinates(ni: Int, nj: Int) -> [Double] {
    let third = ni / 3
    // The wake is stretched geometrically from the trailing edge, starting with the airfoil's
    // spacing there (2 / third), so cell sizes change smoothly across the trailing edge.
    let wakeX = geometricStations(count: third, first: 2 / Double(third), length: outletX - 1).map { 1 + $0 }

    var inner: [(x: Double, y: Double)] = [], outer: [(x: Double, y: Double)] = []
    for i in 0...ni {
      if i <= third || i >= 2 * third {
        // Wake cut and the straight parts of the far field; the lower side mirrors the upper.
        let m = i <= third ? third - i : i - 2 * third  // edges from the trailing edge
        let side = i <= third ? -1.0 : 1.0
        inner.append((wakeX[m], 0))
        // Far-field nodes are spaced evenly rather than following the wake's clustering, which
        // keeps far-field cells from being long slivers; the node-to-node lines stay at x >= 1,
        // clear of the airfoil.
        outer.append((1 + (outletX - 1) * Double(m) / Double(third), side * farFieldRadius))
      } else {
        // Airfoil: t runs -1 (trailing edge, lower) through 0 (leading edge) to 1 (upper).
        // x = v^2 (2 - v) with v = |t| clusters nodes quadratically at the leading edge (where
        // y grows like sqrt(x)) and keeps finite spacing at the trailing edge.
        let k = i - third
        let t = -1 + 2 * Double(k) / Double(third)
        let v = abs(t)
        let cx = v * v * (2 - v)
        inner.append((cx, t < 0 ? -naca0012(cx) : naca0012(cx)))
        // The matching far-field node on the half circle, evenly spaced in angle.
        let angle = -Double.pi / 2 - Double.pi * Double(k) / Double(third)
        outer.append((1 + farFieldRadius * cos(angle), farFieldRadius * sin(angle)))
      }
    }

    // Exponential stretching in j: fine near the airfoil, coarse at the far field.
    let beta = normalStretching
    let s = (0...nj).map { j in j == nj ? 1 : expm1(beta * Double(j) / Double(nj)) / expm1(beta) }
    var x = [Double](repeating: 0, count: 2 * (ni + 1) * (nj + 1))
    for j in 0...nj {
      for i in 0...ni {
        let n = i + j * (ni + 1)
        x[2 * n] = inner[i].x + s[j] * (outer[i].x - inner[i].x)
        x[2 * n + 1] = inner[i].y + s[j] * (outer[i].y - inner[i].y)
      }
    }
    return x
  }

  /// Distances `0, first, first * (1 + r), ...` of `count + 1` stations whose spacing grows by a
  /// constant ratio `r` from `first` so that the last station lies at `length`.
  static func geometricStations(count: Int, first: Double, length: Double) -> [Double] {
    // Solve first * (r^count - 1) / (r - 1) = length for r by bisection; the sum grows with r.
    func total(_ r: Double) -> Double {
      abs(r - 1) < 1e-12 ? first * Double(count) : first * (pow(r, Double(count)) - 1) / (r - 1)
    }
    var low = 0.5, high = 2.0
    while total(high) < length { high *= 2 }
    for _ in 0..<200 {
      let mid = (low + high) / 2
      if total(mid) < length { low = mid } else { high = mid }
    }
    let r = (low + high) / 2
    var stations = [0.0]
    var step = first
    for m in 1...count {
      // Pin the last station exactly, so both wake sides end at the same outlet x.
      stations.append(m == count ? length : stations[m - 1] + step)
      step *= r
    }
    return stations
  }
}

// MARK: - Consistency checks

extension AirfoilMesh {
  /// Checks a grid against the conventions OP2's airfoil kernels rely on.
  ///
  /// The checks:
  /// - the counts are non-negative, the arrays fit them and every index is in range (if not,
  ///   only these problems are reported, since the rest cannot be checked);
  /// - every cell is a strictly convex quadrilateral with its nodes counter-clockwise (each
  ///   corner turns left, so the area is positive and no cell is inverted or degenerate);
  /// - every interior edge has two distinct cells, and its normal `(dy, -dx)` with
  ///   `(dx, dy) = x[n1] - x[n2]` points from the first cell's centroid towards the second's;
  /// - every boundary edge's normal points away from its cell's centroid;
  /// - every side of every cell is covered by exactly one edge or boundary edge (sides are
  ///   matched by node coordinates, because the two copies of a wake-cut node have different
  ///   indices), which also proves that the edges of each cell are its 4 sides;
  /// - every `bound` is 1 (wall) or 2 (far field).
  ///
  /// - Parameter grid: The grid to check.
  /// - Returns: One sentence per problem, at most 20 per kind of problem plus a count of the
  ///   rest; empty when the grid is consistent.
  public static func checkConsistency(_ grid: OP2Grid) -> [String] {
    var report = ProblemReport()
    checkShape(grid, &report)
    guard report.isEmpty else { return report.lines }
    let x = grid.x, cellNodes = grid.cellNodes
    func point(_ n: Int32) -> (x: Double, y: Double) { (x[2 * Int(n)], x[2 * Int(n) + 1]) }
    func centroid(_ c: Int32) -> (x: Double, y: Double) {
      var sum = (x: 0.0, y: 0.0)
      for k in 0..<4 {
        let p = point(cellNodes[4 * Int(c) + k])
        sum = (sum.x + p.x, sum.y + p.y)
      }
      return (sum.x / 4, sum.y / 4)
    }

    for c in 0..<grid.cellCount {
      for k in 0..<4 {
        let a = point(cellNodes[4 * c + k]), b = point(cellNodes[4 * c + (k + 1) % 4])
        let d = point(cellNodes[4 * c + (k + 2) % 4])
        let turn = (b.x - a.x) * (d.y - b.y) - (b.y - a.y) * (d.x - b.x)
        if !(turn > 0) {
          report.add("corner", "cell \(c) does not turn left at its node \((k + 1) % 4) (cross product \(turn))")
        }
      }
    }

    // Which sides of which cells the edges cover; a side is matched by its end points.
    var covered = [UInt8](repeating: 0, count: 4 * grid.cellCount)
    func cover(_ c: Int32, _ n1: Int32, _ n2: Int32, _ what: @autoclosure () -> String) {
      let p1 = point(n1), p2 = point(n2)
      for k in 0..<4 {
        let a = point(cellNodes[4 * Int(c) + k]), b = point(cellNodes[4 * Int(c) + (k + 1) % 4])
        // Components compared one by one: tuple == is generic and slow in debug builds.
        let forward = a.x == p1.x && a.y == p1.y && b.x == p2.x && b.y == p2.y
        if forward || (a.x == p2.x && a.y == p2.y && b.x == p1.x && b.y == p1.y) {
          covered[4 * Int(c) + k] += 1
          return
        }
      }
      report.add("side", "\(what()) (nodes \(n1), \(n2)) is not a side of its cell \(c)")
    }

    for e in 0..<grid.edgeCount {
      let n1 = grid.edgeNodes[2 * e], n2 = grid.edgeNodes[2 * e + 1]
      let c1 = grid.edgeCells[2 * e], c2 = grid.edgeCells[2 * e + 1]
      guard c1 != c2 else {
        report.add("edge cells", "edge \(e) has the same cell \(c1) on both sides")
        continue
      }
      let p1 = point(n1), p2 = point(n2), m1 = centroid(c1), m2 = centroid(c2)
      let normal = (x: p1.y - p2.y, y: -(p1.x - p2.x))
      let along = normal.x * (m2.x - m1.x) + normal.y * (m2.y - m1.y)
      if !(along > 0) {
        report.add("edge normal", "edge \(e): (dy, -dx) does not point from cell \(c1) to cell \(c2)")
      }
      cover(c1, n1, n2, "edge \(e)")
      cover(c2, n1, n2, "edge \(e)")
    }

    for b in 0..<grid.bedgeCount {
      let n1 = grid.bedgeNodes[2 * b], n2 = grid.bedgeNodes[2 * b + 1], c = grid.bedgeCells[b]
      let p1 = point(n1), p2 = point(n2), m = centroid(c)
      let normal = (x: p1.y - p2.y, y: -(p1.x - p2.x))
      let outward = normal.x * ((p1.x + p2.x) / 2 - m.x) + normal.y * ((p1.y + p2.y) / 2 - m.y)
      if !(outward > 0) {
        report.add("boundary normal", "boundary edge \(b): (dy, -dx) points into its cell \(c)")
      }
      if grid.bound[b] != 1, grid.bound[b] != 2 {
        report.add("bound", "boundary edge \(b) has bound \(grid.bound[b]), expected 1 or 2")
      }
      cover(c, n1, n2, "boundary edge \(b)")
    }

    for (side, count) in covered.enumerated() where count != 1 {
      report.add("coverage", "side \(side % 4) of cell \(side / 4) is covered by \(count) edges, expected 1")
    }
    return report.lines
  }

  /// Counts, array lengths and index ranges, which the geometric checks depend on.
  private static func checkShape(_ grid: OP2Grid, _ report: inout ProblemReport) {
    let counts = [
      ("nodeCount", grid.nodeCount), ("cellCount", grid.cellCount),
      ("edgeCount", grid.edgeCount), ("bedgeCount", grid.bedgeCount),
    ]
    for (name, value) in counts where value < 0 {
      report.add("shape", "\(name) is negative (\(value))")
    }
    guard report.isEmpty else { return }
    let arrays: [(String, Int, Int, Int)] = [  // name, per entity, entities, target set size
      ("cellNodes", 4, grid.cellCount, grid.nodeCount), ("edgeNodes", 2, grid.edgeCount, grid.nodeCount),
      ("edgeCells", 2, grid.edgeCount, grid.cellCount), ("bedgeNodes", 2, grid.bedgeCount, grid.nodeCount),
      ("bedgeCells", 1, grid.bedgeCount, grid.cellCount),
    ]
    if grid.x.count != 2 * grid.nodeCount {
      report.add("shape", "x has \(grid.x.count) values, expected \(2 * grid.nodeCount)")
    }
    if grid.bound.count != grid.bedgeCount {
      report.add("shape", "bound has \(grid.bound.count) values, expected \(grid.bedgeCount)")
    }
    for (name, width, entities, target) in arrays {
      let values = name == "cellNodes" ? grid.cellNodes
        : name == "edgeNodes" ? grid.edgeNodes
        : name == "edgeCells" ? grid.edgeCells
        : name == "bedgeNodes" ? grid.bedgeNodes : grid.bedgeCells
      if values.count != width * entities {
        report.add("shape", "\(name) has \(values.count) values, expected \(width * entities)")
      } else if let bad = values.firstIndex(where: { $0 < 0 || Int($0) >= target }) {
        report.add("shape", "\(name)[\(bad)] = \(values[bad]) is outside 0..<\(target)")
      }
    }
  }

  /// Collects problem sentences, keeping the first few of each kind.
  private struct ProblemReport {
    static let perKind = 20
    private var counts: [String: Int] = [:]
    private var kept: [String] = []
    private var kinds: [String] = []

    var isEmpty: Bool { kept.isEmpty }

    mutating func add(_ kind: String, _ sentence: @autoclosure () -> String) {
      let seen = counts[kind, default: 0]
      if seen == 0 { kinds.append(kind) }
      counts[kind] = seen + 1
      if seen < Self.perKind { kept.append(sentence()) }
    }

    var lines: [String] {
      kept + kinds.compactMap { kind in
        let count = counts[kind]!
        return count > Self.perKind ? "… and \(count - Self.perKind) more \(kind) problems" : nil
      }
    }
  }
}
