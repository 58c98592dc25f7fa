public import OP2

/// A 2D triangle mesh for the Poisson demo: coordinates, triangles and the boundary nodes.
public struct TriangleMesh: Sendable {
  /// `x, y` per node.
  public var coordinates: [Double]
  /// Three 0-based node indices per triangle.
  public var triangles: [Int32]
  /// The nodes on the boundary (on an edge that belongs to one triangle only), ascending.
  public var boundaryNodes: [Int]

  /// Nodes.
  public var nodeCount: Int { coordinates.count / 2 }
  /// Triangles.
  public var triangleCount: Int { triangles.count / 3 }

  /// A mesh from coordinates and triangles; the boundary is found from the triangles.
  public init(coordinates: [Double], triangles: [Int32]) {
    self.coordinates = coordinates
    self.triangles = triangles
    boundaryNodes = Self.boundary(of: triangles, nodeCount: coordinates.count / 2)
  }

  /// The triangles of a gmsh mesh (see ``GmshReader``).
  public init(_ gmsh: GmshMesh) {
    self.init(coordinates: gmsh.coordinates, triangles: gmsh.triangles)
  }

  /// The largest `n` of ``unitSquare(n:)`` whose matrix fits 32-bit indices: about 7 nonzeros
  /// per row, `7 (n + 1)² ≤ Int32.max` (Debian's PETSc uses 32-bit `PetscInt`).
  public static let maximumN = 17_514

  /// About how many bytes assembling and solving on ``unitSquare(n:)`` needs at its peak
  /// (mesh, maps, the PETSc matrix and GAMG's hierarchy): 150 MB plus 1 kB per node, above the
  /// 125 MB + 650 bytes per node measured (maximum resident set of `poisson --n 128` and
  /// `--n 512`, debug build). Computed in floating point, so any `n` fits.
  public static func estimatedSolveBytes(n: Int) -> Double {
    150e6 + 1000 * (Double(n) + 1) * (Double(n) + 1)
  }

  /// The unit square cut into `n × n` squares, each split into two counter-clockwise triangles
  /// along its rising diagonal: `(n+1)²` nodes, `2n²` triangles, `h = 1/n`.
  /// - Precondition: `n >= 1`.
  public static func unitSquare(n: Int) -> TriangleMesh {
    precondition(n >= 1, "TriangleMesh.unitSquare: n must be at least 1, got \(n)")
    var coordinates = [Double]()
    coordinates.reserveCapacity(2 * (n + 1) * (n + 1))
    for j in 0...n { for i in 0...n { coordinates.append(Double(i) / Double(n)); coordinates.append(Double(j) / Double(n)) } }
    var triangles = [Int32]()
    triangles.reserveCapacity(6 * n * n)
    for j in 0..<n {
      for i in 0..<n {
        let a = Int32(j * (n + 1) + i), b = a + 1, c = a + Int32(n + 1), d = c + 1
        triangles += [a, b, d, a, d, c]
      }
    }
    return TriangleMesh(coordinates: coordinates, triangles: triangles)
  }

  /// Nodes of edges that only one triangle has: sort the edges (as 64-bit keys) and keep the
  /// unpaired ones.
  static func boundary(of triangles: [Int32], nodeCount: Int) -> [Int] {
    var keys = [UInt64]()
    keys.reserveCapacity(triangles.count)
    for t in 0..<(triangles.count / 3) {
      for k in 0..<3 {
        let a = UInt64(triangles[3 * t + k]), b = UInt64(triangles[3 * t + (k + 1) % 3])
        keys.append(min(a, b) << 32 | max(a, b))
      }
    }
    keys.sort()
    var onBoundary = [Bool](repeating: false, count: nodeCount)
    var i = 0
    while i < keys.count {
      var j = i + 1
      while j < keys.count, keys[j] == keys[i] { j += 1 }
      if j - i == 1 {
        onBoundary[Int(keys[i] >> 32)] = true
        onBoundary[Int(keys[i] & 0xffff_ffff)] = true
      }
      i = j
    }
    return onBoundary.indices.filter { onBoundary[$0] }
  }
}

extension TriangleMesh {
  /// The mesh as OP2 objects under the given names: its vertices and triangles, the
  /// triangle → vertex map (arity 3) and the vertices' coordinates (dim 2).
  /// - Throws: ``OP2Error`` when the triangles or coordinates do not fit the counts.
  func declare(
    vertices vertexName: String, triangles triangleName: String, map mapName: String, coordinates coordinateName: String
  ) throws(OP2Error) -> (vertices: Set, triangles: Set, triangleToVertex: Map, coordinates: Dat<Double>) {
    let vertices = Set(size: nodeCount, name: vertexName)
    let triangles = Set(size: triangleCount, name: triangleName)
    let map = try Map(from: triangles, to: vertices, arity: 3, values: self.triangles, name: mapName)
    return (vertices, triangles, map, try Dat<Double>(vertices ** 2, values: coordinates, name: coordinateName))
  }

  /// 1 on ``boundaryNodes``, 0 on every other vertex of `vertices` (this mesh's vertex set).
  func boundaryMarks(on vertices: Set, name: String) throws(OP2Error) -> Dat<Int32> {
    var marks = [Int32](repeating: 0, count: nodeCount)
    for v in boundaryNodes { marks[v] = 1 }
    return try Dat<Int32>(vertices ** 1, values: marks, name: name)
  }
}
