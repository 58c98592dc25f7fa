import Foundation
import OP2

// Distributed Mats, Vecs and solves on a 1D P1 mesh distributed by hand (partitioning is not
// used, so that these scenarios test the linear algebra alone). Every expectation is computed on
// every rank from the whole mesh, which each rank also knows. Expectations are recorded rather
// than thrown (``Checks``): a rank that stopped at a failed one would leave the others waiting in
// the next collective call.

extension Scenario {
  static let parallelMats: [Scenario] = [
    Scenario("mat-laplacian-1d") {
      let check = Checks()
      let line = try DistributedLine(cellCount: 24)
      let (A, b, length) = try line.assembleLaplacian(dim: 1)
      check.close(try A.denseValues(), line.denseLaplacian(dim: 1), tolerance: 1e-12, "denseValues")
      check.that(A.rowCount == line.nodes.size && A.globalRowCount == 25, "rowCount \(A.rowCount), globalRowCount \(A.globalRowCount)")
      // row(_:) takes an owned local row and answers local columns.
      for i in 0..<line.nodes.size {
        let expected = line.localRow(of: i)
        let got = try A.row(i)
        check.that(got.map(\.column) == expected.map(\.column), "row \(i) columns \(got.map(\.column)), expected \(expected.map(\.column))")
        check.close(got.map(\.value), expected.map(\.value), tolerance: 1e-12, "row \(i)")
      }
      // The exec halo runs for the Mat, but its share of a Global reduction belongs to its owner:
      // the reduction over ranks counts every cell once, and every rank holds the total.
      check.close(length.value, [1], tolerance: 1e-14, "total length")
      // y = A x against the dense product, and the Frobenius norm.
      let xv = (0...24).map { sin(Double($0)) }
      let x = try line.nodeDat(dim: 1, name: "x") { xv[$0] }
      let y = Dat<Double>(line.nodes ** 1, name: "y")
      try A.multiply(x, into: y)
      let dense = line.denseLaplacian(dim: 1)
      let product = line.ownedNodes.map { i in (0...24).map { j in dense[line.number[i] * 25 + line.number[j]] * xv[j] }.reduce(0, +) }
      check.close(y.data, product, tolerance: 1e-12, "A x")
      check.close([try A.frobeniusNorm()], [sqrt(dense.map { $0 * $0 }.reduce(0, +))], tolerance: 1e-12, "Frobenius norm")
      // Dirichlet ends, then −u'' = 2: the nodal values are exact, x(1 − x).
      let u = Dat<Double>(line.nodes ** 1, name: "u")
      try A.zeroRows(line.localNodes(of: [0, 24]), symmetric: true, solution: u, rhs: b)
      for pc in ["jacobi", "gamg"] {
        u.zero()
        u.haloState.markCurrent()
        let solver = try Solver(options: ["ksp_type": "cg", "pc_type": pc, "ksp_rtol": "1e-12"], name: "cg-\(pc)")
        let report = try solver.solve(A, solution: u, rhs: b)
        check.that(report.reason.converged, "\(pc): \(report.reason)")
        let types = try solver.types()
        check.that(types == ("cg", pc), "\(pc): types \(types)")
        check.that(MPIEnvironment.world!.allgather(report.iterations).allSatisfy { $0 == report.iterations }, "\(pc): iteration counts differ between ranks")
        check.that(u.haloState.isStale, "\(pc): the solution's halo is not marked stale")
        check.close(u.data, line.ownedNodes.map { line.exact($0) }, tolerance: 1e-8, "CG + \(pc) solution")
      }
      try check.finish()
    },

    Scenario("mat-laplacian-1d-block") {
      let check = Checks()
      let line = try DistributedLine(cellCount: 20)
      let (A, b, _) = try line.assembleLaplacian(dim: 2)
      check.close(try A.denseValues(), line.denseLaplacian(dim: 2), tolerance: 1e-12, "denseValues, dim 2")
      let u = Dat<Double>(line.nodes ** 2, name: "u2")
      try A.zeroRows(line.localNodes(of: [0, 20]), symmetric: true, solution: u, rhs: b)
      for pc in ["jacobi", "gamg"] {
        u.zero()
        let report = try Solver(options: ["ksp_type": "cg", "pc_type": pc, "ksp_rtol": "1e-12"], name: "block-\(pc)").solve(A, solution: u, rhs: b)
        check.that(report.reason.converged, "\(pc): \(report.reason)")
        // Component a solves −u'' = 2(a + 1): u = (a + 1) x(1 − x).
        check.close(u.data, line.ownedNodes.flatMap { [line.exact($0), 2 * line.exact($0)] }, tolerance: 1e-8, "block CG + \(pc)")
      }
      try check.finish()
    },

    Scenario("mat-zero-rows-owned-and-halo") {
      let check = Checks()
      let n = 12
      let line = try DistributedLine(cellCount: n)
      let world = MPIEnvironment.world!
      // k: the first node of rank 1's cells, owned by the rank below and a halo node on rank 1,
      // which alone names it. m: an owned node of the last rank, named by its owner.
      let k = line.cellStart(min(1, world.size - 1)) + (world.size > 1 ? 0 : n / 2)
      let m = n - 1
      let namesK = world.size > 1 ? world.rank == 1 : world.rank == 0
      if world.size > 1, world.rank == 1 {
        check.that(line.local[k]! >= line.nodes.size, "node \(k) should be a halo node on rank 1")
      }
      do {
        let (A, _, _) = try line.assembleLaplacian(dim: 1)
        var mine: [Int] = []
        if namesK { mine.append(line.local[k]!) }
        if line.nodeOwner(m) == world.rank { mine.append(line.local[m]!) }
        try A.zeroRows(mine, diagonal: 5)
        var expected = line.denseLaplacian(dim: 1)
        for node in [k, m] {
          let row = line.number[node]
          for c in 0...n { expected[row * (n + 1) + c] = c == row ? 5 : 0 }
        }
        check.close(try A.denseValues(), expected, tolerance: 1e-12, "after zeroRows([\(k) from the halo, \(m) from its owner])")
      }
      do {
        // Symmetric, with values: u(x_k) imposed from the halo side and the ends from wherever
        // they are local; the exact solution satisfies all three, so the solve must give it.
        let (A, b, _) = try line.assembleLaplacian(dim: 1)
        let u = try line.nodeDat(dim: 1, name: "u") { [0, n, k].contains($0) ? line.exact($0) : 0 }
        var mine = line.localNodes(of: [0, n])
        if namesK { mine.append(line.local[k]!) }
        try A.zeroRows(mine, symmetric: true, solution: u, rhs: b)
        check.that(b.haloState.isStale, "the right-hand side's halo is not marked stale")
        u.zero()
        try Solver(options: ["ksp_type": "cg", "pc_type": "jacobi", "ksp_rtol": "1e-12"], name: "halo").solve(A, solution: u, rhs: b)
        check.close(u.data, line.ownedNodes.map { line.exact($0) }, tolerance: 1e-8, "solution with u(x_\(k)) imposed from the halo")
      }
      try check.finish()
    },

    Scenario("mat-rank-without-elements") {
      let check = Checks()
      // One cell fewer than ranks: rank 0 owns no cell and no node, but takes part in everything.
      let world = MPIEnvironment.world!
      let n = max(1, world.size - 1)
      let line = try DistributedLine(cellCount: n)
      if world.size > 1 { check.that(line.nodes.size == 0 || world.rank != 0, "rank 0 should own no node") }
      let (A, b, _) = try line.assembleLaplacian(dim: 1)
      check.close(try A.denseValues(), line.denseLaplacian(dim: 1), tolerance: 1e-12, "denseValues")
      let u = Dat<Double>(line.nodes ** 1, name: "u")
      try A.zeroRows(line.localNodes(of: Array(0...n)), symmetric: true, solution: u, rhs: b)
      try Solver(options: ["ksp_type": "cg", "pc_type": "jacobi"], name: "empty").solve(A, solution: u, rhs: b)
      check.close(u.data, [Double](repeating: 0, count: line.nodes.size), tolerance: 1e-12, "solution")
      try check.finish()
    },

    Scenario("mat-write-then-inc") {
      let check = Checks()
      // WRITE then INC on a distributed Mat: the ranks flush together between the two loops.
      let line = try DistributedLine(cellCount: 9)
      let A = try Mat<Double>(try Sparsity(line.nodes ** 1, map: line.cellToNode), name: "A")
      let identity = Kernel(code: "void identity(double A[2][2]) { A[0][0] = A[1][1] = 1.0; }", name: "identity")
      let laplace = Kernel(code: "void laplace(double A[2][2]) { A[0][0] = A[1][1] = 1.0; A[0][1] = A[1][0] = -1.0; }", name: "laplace")
      try parLoop(identity, over: line.cells, A(.write, rows: line.cellToNode, cols: line.cellToNode))
      try parLoop(laplace, over: line.cells, A(.inc, rows: line.cellToNode, cols: line.cellToNode))
      // Reading a row is local, so it cannot finish the (collective) assembly: it asks for assemble().
      check.record { try expectError(.linearAlgebraMismatch(operation: "Mat A.row", object: "Mat A",
                                             expected: "an assembled Mat (under MPI, call assemble() on every rank first)",
                                             found: "values set since the last assembly")) { () throws(OP2Error) in _ = try A.row(0) } }
      var expected = [Double](repeating: 0, count: 100)
      for c in 0..<9 {
        let (p, q) = (line.number[c], line.number[c + 1])
        expected[p * 10 + p] += 1; expected[q * 10 + q] += 1; expected[p * 10 + q] -= 1; expected[q * 10 + p] -= 1
      }
      for i in 0...9 { expected[line.number[i] * 10 + line.number[i]] += 1 }
      check.close(try A.denseValues(), expected, tolerance: 1e-12, "WRITE identity, then INC Laplacian")
      let first = line.ownedNodes[0]
      check.that(try A.row(0).first { $0.column == 0 }?.value == expected[line.number[first] * 11], "row 0 after assembly")
      try check.finish()
    },
  ]
}

/// A 1D P1 mesh of `cellCount` cells on [0, 1] (graded nodes), distributed by hand in the layout
/// partitioning produces.
///
/// Cells are split into consecutive blocks by rank; a node belongs to the rank of its lowest
/// cell. The exec halo of cells is the other ranks' cells touching an owned node; the halo of
/// nodes, every other node a local cell touches. Owned nodes are numbered *backwards* locally,
/// so that the contiguous numbering (rank 0's owned nodes first) differs from the node order and
/// local, contiguous and mesh numbers are three different things.
struct DistributedLine {
  let cellCount: Int
  let ranks: Int
  let rank: Int
  let cells: Set
  let nodes: Set
  let cellToNode: Map
  /// This rank's cells: owned, then exec halo (mesh numbers).
  let ownedCells: [Int]
  /// This rank's nodes, in local order: owned, then halo (mesh numbers).
  let ownedNodes: [Int]
  let haloNodes: [Int]
  /// Mesh node → local index on this rank.
  let local: [Int: Int]
  /// Mesh node → contiguous number.
  let number: [Int]

  init(cellCount n: Int) throws {
    let world = MPIEnvironment.world!
    cellCount = n
    ranks = world.size
    rank = world.rank
    let (ranks, rank) = (self.ranks, self.rank)
    let start = { (q: Int) in n * q / ranks }
    let cellOwner = { (c: Int) in (0..<ranks).last { start($0) <= c }! }
    let nodeOwner = { (j: Int) in cellOwner(max(j - 1, 0)) }
    // The contiguous numbering: by rank, each rank's owned nodes in its local (backward) order.
    var number = [Int](repeating: 0, count: n + 1)
    var offset = 0, myOffset = 0
    for q in 0..<ranks {
      let owned = (0...n).filter { nodeOwner($0) == q }.reversed()
      if q == rank { myOffset = offset }
      for (i, j) in owned.enumerated() { number[j] = offset + i }
      offset += owned.count
    }
    self.number = number
    ownedCells = Array(start(rank)..<start(rank + 1))
    ownedNodes = (0...n).filter { nodeOwner($0) == rank }.reversed()
    let execCells = (0..<n).filter { c in cellOwner(c) != rank && (nodeOwner(c) == rank || nodeOwner(c + 1) == rank) }
    let localCells = ownedCells + execCells
    haloNodes = Array(Swift.Set(localCells.flatMap { [$0, $0 + 1] }).subtracting(ownedNodes)).sorted()
    let localNodes = ownedNodes + haloNodes
    local = Dictionary(uniqueKeysWithValues: localNodes.enumerated().map { ($1, $0) })

    cells = Set(size: ownedCells.count, name: "cells")
    nodes = Set(size: ownedNodes.count, name: "nodes")
    cellToNode = try Map(from: cells, to: nodes, arity: 2, values: [Int32](repeating: 0, count: 2 * ownedCells.count), name: "c2n")
    cells.install(
      layout: SetLayout(core: 0, owned: ownedCells.count, executed: localCells.count, total: localCells.count, global: n),
      distribution: _SetDistribution(communicator: world, globalIndices: localCells, exports: [], imports: [],
                                     numberingOffset: start(rank), haloNumbers: execCells))
    nodes.install(
      layout: SetLayout(core: 0, owned: ownedNodes.count, executed: ownedNodes.count, total: localNodes.count, global: n + 1),
      distribution: _SetDistribution(communicator: world, globalIndices: localNodes, exports: [], imports: [],
                                     numberingOffset: myOffset, haloNumbers: haloNodes.map { number[$0] }))
    let local = self.local
    cellToNode.replaceValues(localCells.flatMap { [Int32(local[$0]!), Int32(local[$0 + 1]!)] })
  }

  func cellStart(_ q: Int) -> Int { cellCount * q / ranks }
  func nodeOwner(_ j: Int) -> Int {
    let c = max(j - 1, 0)
    return (0..<ranks).last { cellStart($0) <= c }!
  }
  /// Graded nodes on [0, 1].
  func position(_ j: Int) -> Double {
    let t = Double(j) / Double(cellCount)
    return t * (1 + t) / 2
  }
  /// The exact solution of −u'' = 2, u(0) = u(1) = 0.
  func exact(_ j: Int) -> Double { position(j) * (1 - position(j)) }
  /// The local indices of those mesh nodes that are local here (owned or halo).
  func localNodes(of meshNodes: [Int]) -> [Int] { meshNodes.compactMap { local[$0] } }

  /// A Dat on the nodes with every local value (halo included) set from the mesh node.
  func nodeDat(dim: Int, name: String, _ value: (Int) -> Double) throws -> Dat<Double> {
    let dat = Dat<Double>(nodes ** dim, name: name)
    var values: [Double] = []
    for j in ownedNodes + haloNodes {
      for a in 0..<dim { values.append(Double(a + 1) * value(j)) }
    }
    dat.storage.store(values)
    return dat
  }

  /// The stiffness matrix of −u'' and the load of f = 2(a + 1) for component a, assembled by a
  /// loop over the cells that also sums the cells' lengths into a Global.
  func assembleLaplacian(dim: Int) throws -> (Mat<Double>, Dat<Double>, Global<Double>) {
    let x = try nodeDat(dim: 1, name: "x") { position($0) }
    let A = try Mat<Double>(try Sparsity(nodes ** dim, map: cellToNode), name: "A\(dim)")
    let b = Dat<Double>(nodes ** dim, name: "b\(dim)")
    let length = Global<Double>(value: 0, name: "length")
    let kernel = Kernel(code: """
      void laplacian\(dim)(double A[\(2 * dim)][\(2 * dim)], double *b[2], const double *x[2], double *length) {
        double h = x[1][0] - x[0][0];
        for (int a = 0; a < \(dim); a++) {
          A[a][a] = A[\(dim) + a][\(dim) + a] = 1.0 / h;
          A[a][\(dim) + a] = A[\(dim) + a][a] = -1.0 / h;
          b[0][a] += (a + 1) * h; b[1][a] += (a + 1) * h;
        }
        *length += h;
      }
      """, name: "laplacian\(dim)")
    try parLoop(kernel, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), b(.inc, cellToNode), x(.read, cellToNode), length(.inc))
    return (A, b, length)
  }

  /// The whole stiffness matrix, dense, in the contiguous numbering (scalar row number * dim + a).
  func denseLaplacian(dim: Int) -> [Double] {
    let size = (cellCount + 1) * dim
    var dense = [Double](repeating: 0, count: size * size)
    for c in 0..<cellCount {
      let h = position(c + 1) - position(c)
      let (p, q) = (number[c], number[c + 1])
      for a in 0..<dim {
        let (r, s) = (p * dim + a, q * dim + a)
        dense[r * size + r] += 1 / h; dense[s * size + s] += 1 / h
        dense[r * size + s] -= 1 / h; dense[s * size + r] -= 1 / h
      }
    }
    return dense
  }

  /// Owned local row `i` of the scalar Laplacian: local columns, ascending.
  func localRow(of i: Int) -> [(column: Int, value: Double)] {
    let j = ownedNodes[i]
    var entries: [Int: Double] = [:]
    for c in [j - 1, j] where c >= 0 && c < cellCount {
      let h = position(c + 1) - position(c)
      let other = c == j ? j + 1 : j - 1
      entries[local[j]!, default: 0] += 1 / h
      entries[local[other]!, default: 0] -= 1 / h
    }
    return entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
  }
}

/// Expectations that record their failures and let the scenario go on, so that a rank that sees
/// one still makes every later collective call; ``finish()`` throws them all at the end.
final class Checks {
  private var failures: [String] = []

  func that(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    record { try expect(condition, message(), file: file, line: line) }
  }

  func close(_ a: [Double], _ b: [Double], tolerance: Double, _ what: String, file: StaticString = #fileID, line: UInt = #line) {
    record { try expectClose(a, b, tolerance: tolerance, what, file: file, line: line) }
  }

  func record(_ body: () throws -> Void) {
    do { try body() } catch { failures.append("\(error)") }
  }

  func finish() throws {
    guard failures.isEmpty else { throw ScenarioFailure(message: failures.joined(separator: "\n    ")) }
  }
}
