@testable import OP2

/// A structured triangulation of the unit square for linear-algebra tests: `(n+1)²` nodes,
/// `2n²` counter-clockwise triangles, and the nodes on the boundary.
struct SquareMesh {
  var n: Int
  var coordinates: [Double]
  var triangles: [Int32]
  var boundary: [Int]
  var nodeCount: Int { (n + 1) * (n + 1) }

  init(n: Int) {
    self.n = n
    coordinates = []
    triangles = []
    boundary = []
    for j in 0...n { for i in 0...n { coordinates += [Double(i) / Double(n), Double(j) / Double(n)] } }
    for j in 0..<n {
      for i in 0..<n {
        let a = Int32(j * (n + 1) + i), b = a + 1, c = a + Int32(n + 1), d = c + 1
        triangles += [a, b, d, a, d, c]
      }
    }
    for j in 0...n { for i in 0...n where i == 0 || j == 0 || i == n || j == n { boundary.append(j * (n + 1) + i) } }
  }

  /// The area of triangle `t`.
  func area(_ t: Int) -> Double {
    let v = (0..<3).map { Int(triangles[3 * t + $0]) }
    let x = v.map { coordinates[2 * $0] }, y = v.map { coordinates[2 * $0 + 1] }
    return abs((x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0])) / 2
  }

  /// The P1 stiffness matrix of one triangle, as the kernel computes it.
  func elementStiffness(_ t: Int) -> [[Double]] {
    let v = (0..<3).map { Int(triangles[3 * t + $0]) }
    let x = v.map { coordinates[2 * $0] }, y = v.map { coordinates[2 * $0 + 1] }
    let det = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0])
    let gx = [(y[1] - y[2]) / det, (y[2] - y[0]) / det, (y[0] - y[1]) / det]
    let gy = [(x[2] - x[1]) / det, (x[0] - x[2]) / det, (x[1] - x[0]) / det]
    let area = abs(det) / 2
    return (0..<3).map { i in (0..<3).map { j in area * (gx[i] * gx[j] + gy[i] * gy[j]) } }
  }
}

/// The P1 element stiffness kernel used by the tests (the same formula as `elementStiffness`).
let stiffnessKernel = Kernel(code: """
  void stiffness(double A[3][3], const double *x[3]) {
    double det = (x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]);
    double gx[3] = {(x[1][1] - x[2][1]) / det, (x[2][1] - x[0][1]) / det, (x[0][1] - x[1][1]) / det};
    double gy[3] = {(x[2][0] - x[1][0]) / det, (x[0][0] - x[2][0]) / det, (x[1][0] - x[0][0]) / det};
    double area = fabs(det) / 2;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) A[i][j] = area * (gx[i] * gx[j] + gy[i] * gy[j]);
  }
  """, name: "stiffness")
