import Numerics
import Testing
@testable import OP2

@Suite("Mat assembly")
struct MatAssemblyTests {
  @Test("1D Laplacian equals the hand assembly entry by entry", arguments: Backend.available)
  func laplacian1D(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let n = 7
      let nodes = Set(size: n + 1, name: "nodes"), cells = Set(size: n, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: (0..<n).flatMap { [$0, $0 + 1] }, name: "cell2node")
      let xs = (0...n).map { Double($0 * $0) / Double(n * n) }  // graded: element sizes differ
      let x = try Dat<Double>(nodes ** 1, values: xs, name: "x")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      let kernel = Kernel(code: """
        void laplace1d(double A[2][2], const double *x[2]) {
          double k = 1.0 / (x[1][0] - x[0][0]);
          A[0][0] = k; A[0][1] = -k; A[1][0] = -k; A[1][1] = k;
        }
        """, name: "laplace1d")
      try parLoop(kernel, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
      var expected = [Double](repeating: 0, count: (n + 1) * (n + 1))
      for e in 0..<n {
        let k = 1 / (xs[e + 1] - xs[e])
        expected[e * (n + 1) + e] += k
        expected[e * (n + 1) + e + 1] -= k
        expected[(e + 1) * (n + 1) + e] -= k
        expected[(e + 1) * (n + 1) + e + 1] += k
      }
      let dense = try A.denseValues()
      for (i, (got, want)) in zip(dense, expected).enumerated() {
        #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-12), "entry (\(i / (n + 1)), \(i % (n + 1)))")
      }
      #expect(A.sparsity.blockNonzeroCount == 3 * (n + 1) - 2)
    }
  }

  @Test("2D P1 Laplacian equals a dense assembly entry by entry", arguments: Backend.available)
  func laplacian2D(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let mesh = SquareMesh(n: 5)
      let nodes = Set(size: mesh.nodeCount, name: "nodes"), cells = Set(size: mesh.triangles.count / 3, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 3, values: mesh.triangles, name: "cell2node")
      let x = try Dat<Double>(nodes ** 2, values: mesh.coordinates, name: "x")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      try parLoop(stiffnessKernel, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
      let size = mesh.nodeCount
      var expected = [Double](repeating: 0, count: size * size)
      for t in 0..<cells.size {
        let local = mesh.elementStiffness(t)
        for i in 0..<3 { for j in 0..<3 {
          expected[Int(mesh.triangles[3 * t + i]) * size + Int(mesh.triangles[3 * t + j])] += local[i][j]
        } }
      }
      let dense = try A.denseValues()
      for (i, (got, want)) in zip(dense, expected).enumerated() {
        #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-12), "entry (\(i / size), \(i % size))")
      }
      // Every row of a pure-Neumann Laplacian sums to zero.
      for r in 0..<size { #expect(abs(try A.row(r).reduce(0) { $0 + $1.value }) < 1e-12) }
    }
  }

  @Test("dim-2 mass matrix: row slot*2 + component, column slot*2 + component", arguments: Backend.available)
  func vectorMass(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let mesh = SquareMesh(n: 3)
      let nodes = Set(size: mesh.nodeCount, name: "nodes"), cells = Set(size: mesh.triangles.count / 3, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 3, values: mesh.triangles, name: "cell2node")
      let x = try Dat<Double>(nodes ** 2, values: mesh.coordinates, name: "x")
      let M = try Mat<Double>(try Sparsity(nodes ** 2, map: cellToNode), name: "M")
      // The P1 mass matrix times a coupling C = [[1, 0.5], [0.25, 2]] between components, so
      // that a wrong layout shows: A[(i,a)][(j,b)] = |T|/12 (1 + δij) C[a][b].
      let kernel = Kernel(code: """
        void mass2(double A[6][6], const double *x[3]) {
          const double C[2][2] = {{1.0, 0.5}, {0.25, 2.0}};
          double area = 0.5 * fabs((x[1][0] - x[0][0]) * (x[2][1] - x[0][1]) - (x[2][0] - x[0][0]) * (x[1][1] - x[0][1]));
          for (int i = 0; i < 3; i++) for (int a = 0; a < 2; a++)
            for (int j = 0; j < 3; j++) for (int b = 0; b < 2; b++)
              A[i * 2 + a][j * 2 + b] = area / 12.0 * (i == j ? 2.0 : 1.0) * C[a][b];
        }
        """, name: "mass2")
      try parLoop(kernel, over: cells, M(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
      let coupling = [[1.0, 0.5], [0.25, 2.0]]
      let size = 2 * mesh.nodeCount
      var expected = [Double](repeating: 0, count: size * size)
      for t in 0..<cells.size {
        let area = mesh.area(t)
        for i in 0..<3 { for j in 0..<3 { for a in 0..<2 { for b in 0..<2 {
          let r = 2 * Int(mesh.triangles[3 * t + i]) + a, c = 2 * Int(mesh.triangles[3 * t + j]) + b
          expected[r * size + c] += area / 12 * (i == j ? 2 : 1) * coupling[a][b]
        } } } }
      }
      let dense = try M.denseValues()
      for (i, (got, want)) in zip(dense, expected).enumerated() {
        #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-14), "entry (\(i / size), \(i % size))")
      }
      // The mass of a constant field: 1ᵀ M 1 = area × ΣC = 3.75.
      #expect(dense.reduce(0, +).isApproximatelyEqual(to: 3.75, relativeTolerance: 1e-12))
    }
  }

  @Test("rectangular Mat with different row and column dims (AIJ, scalar rows)", arguments: Backend.available)
  func rectangular(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: 4, name: "nodes"), cells = Set(size: 3, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3], name: "c2n")
      let B = try Mat<Double>(try Sparsity(rows: nodes ** 1, cols: nodes ** 2, maps: [(cellToNode, cellToNode)]), name: "B")
      let kernel = Kernel(code: """
        void rect(double A[2][4]) {
          for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) for (int b = 0; b < 2; b++)
            A[i][j * 2 + b] = (i + 1) * 10 + j * 2 + b;
        }
        """, name: "rect")
      try parLoop(kernel, over: cells, B(.inc, rows: cellToNode, cols: cellToNode))
      var expected = [Double](repeating: 0, count: 4 * 8)
      for e in 0..<3 { for i in 0..<2 { for j in 0..<2 { for b in 0..<2 {
        expected[(e + i) * 8 + (e + j) * 2 + b] += Double((i + 1) * 10 + j * 2 + b)
      } } } }
      #expect(try B.denseValues() == expected)
      #expect(B.rowCount == 4 && B.columnCount == 8)
    }
  }

  @Test("a loop with a Mat and an INC Dat argument gives the hand-computed matrix and counts", arguments: Backend.available)
  func matAndDatInOneLoop(backend: Backend) throws {
    // Assembly loops run on the calling thread on every backend (PETSc's insertion is not
    // thread-safe): what can go wrong is the Dat argument beside the Mat, and the order of the
    // two loops. Compare both with the assembly done by hand.
    let mesh = SquareMesh(n: 12)
    let size = mesh.nodeCount
    var expected = [Double](repeating: 0, count: size * size)
    var counts = [Double](repeating: 0, count: size)
    for t in 0..<(mesh.triangles.count / 3) {
      let local = mesh.elementStiffness(t)
      for i in 0..<3 {
        let r = Int(mesh.triangles[3 * t + i])
        counts[r] += 1
        expected[r * size + r] += 1
        for j in 0..<3 { expected[r * size + Int(mesh.triangles[3 * t + j])] += local[i][j] }
      }
    }
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: size, name: "nodes"), cells = Set(size: mesh.triangles.count / 3, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 3, values: mesh.triangles, name: "cell2node")
      let x = try Dat<Double>(nodes ** 2, values: mesh.coordinates, name: "x")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      let b = Dat<Double>(nodes ** 1, name: "b")
      let count = Kernel(code: "void count(double A[3][3], double *b[3]) { for (int i = 0; i < 3; i++) { b[i][0] += 1; A[i][i] = 1; } }", name: "count")
      try parLoop(count, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), b(.inc, cellToNode))
      try parLoop(stiffnessKernel, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
      #expect(b.data == counts)
      let dense = try A.denseValues()
      for (i, (got, want)) in zip(dense, expected).enumerated() {
        #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-12), "entry (\(i / size), \(i % size))")
      }
    }
  }

  @Test("WRITE inserts (last element wins), INC after WRITE adds, zero() keeps the pattern", arguments: Backend.available)
  func insertModes(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 2, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      let id = try Dat<Double>(cells ** 1, values: [1, 2], name: "id")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      let fill = Kernel(code: "void fill(double A[2][2], const double *id) { for (int i = 0; i < 4; i++) A[i / 2][i % 2] = *id; }", name: "fill")
      try parLoop(fill, over: cells, A(.write, rows: cellToNode, cols: cellToNode), id(.read))
      #expect(try A.denseValues() == [1, 1, 0,  1, 2, 2,  0, 2, 2])
      try parLoop(fill, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), id(.read))
      #expect(try A.denseValues() == [2, 2, 0,  2, 5, 4,  0, 4, 4])
      try A.zero()
      #expect(try A.denseValues() == [Double](repeating: 0, count: 9))
      #expect(try A.row(1).map(\.column) == [0, 1, 2])
      try parLoop(fill, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), id(.read))
      #expect(try A.denseValues() == [1, 1, 0,  1, 3, 2,  0, 2, 2])
    }
  }

  @Test("a queued assembly loop runs when the Mat is used, not before")
  func lazyAssembly() throws {
    try OP2.withConfiguration(.testing(.sequential, lazy: true)) {
      let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 2, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      let one = Kernel(code: "void one(double A[2][2]) { A[0][0] = A[1][1] = 1; }", name: "one")
      try parLoop(one, over: cells, A(.inc, rows: cellToNode, cols: cellToNode))
      #expect(Runtime.current.pendingCount == 1)
      let x = try Dat<Double>(nodes ** 1, values: [1, 1, 1], name: "x"), y = Dat<Double>(nodes ** 1, name: "y")
      try A.multiply(x, into: y)
      #expect(Runtime.current.pendingCount == 0)
      #expect(y.data == [1, 2, 1])
    }
  }
}
