import Numerics
import Testing
@testable import OP2

@Suite("Solver")
struct SolverTests {
  /// −u'' = 2 on [0, 1] with u(0) = u(1) = 0 by P1 elements: the nodal values are exact, x(1−x).
  private func poisson1D(_ n: Int) throws(OP2Error) -> (A: Mat<Double>, u: Dat<Double>, b: Dat<Double>, nodes: Int) {
    let nodes = Set(size: n + 1, name: "nodes"), cells = Set(size: n, name: "cells")
    let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: (0..<n).flatMap { [$0, $0 + 1] }, name: "c2n")
    let x = try Dat<Double>(nodes ** 1, values: (0...n).map { Double($0) / Double(n) }, name: "x")
    let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
    let b = Dat<Double>(nodes ** 1, name: "b"), u = Dat<Double>(nodes ** 1, name: "u")
    let element = Kernel(code: """
      void element(double A[2][2], double *b[2], const double *x[2]) {
        double h = x[1][0] - x[0][0];
        A[0][0] = A[1][1] = 1.0 / h; A[0][1] = A[1][0] = -1.0 / h;
        b[0][0] += h; b[1][0] += h;   /* ∫ 2 φ = h per element */
      }
      """, name: "element")
    try parLoop(element, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), b(.inc, cellToNode), x(.read, cellToNode))
    try A.zeroRows([0, n], symmetric: true, solution: u, rhs: b)
    return (A, u, b, n + 1)
  }

  @Test("CG with each preconditioner reproduces the exact nodal solution", arguments: ["jacobi", "gamg", "ilu", "none"])
  func solves(pc: String) throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (A, u, b, count) = try poisson1D(16)
      let solver = try Solver(options: ["ksp_type": "cg", "pc_type": pc, "ksp_rtol": "1e-12"], name: "s")
      let result = try solver.solve(A, solution: u, rhs: b)
      #expect(result.reason.converged)
      #expect(result.iterations >= 1 && result.iterations <= 16)
      #expect(try solver.types() == ("cg", pc))
      for (i, v) in u.data.enumerated() {
        let x = Double(i) / Double(count - 1)
        #expect(v.isApproximatelyEqual(to: x * (1 - x), absoluteTolerance: 1e-10), "node \(i)")
      }
    }
  }

  @Test("a solve that stops early throws solverDiverged with PETSc's reason")
  func divergence() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (A, u, b, _) = try poisson1D(32)
      let solver = try Solver(options: ["ksp_type": "cg", "pc_type": "none", "ksp_max_it": "1", "ksp_rtol": "1e-30"], name: "tiny")
      do throws(OP2Error) {
        try solver.solve(A, solution: u, rhs: b)
        Issue.record("expected solverDiverged")
      } catch {
        guard case let .solverDiverged(name, reason, iterations, residual) = error else { Issue.record("got \(error)"); return }
        #expect(name == "tiny" && reason == .divergedIterations && iterations == 1)
        #expect(reason.description == "DIVERGED_ITS")
        #expect(error.description == "Solver \"tiny\" did not converge: DIVERGED_ITS after 1 iterations (residual norm \(residual))")
      }
    }
  }

  @Test("an unknown KSP type is a PETSc error with PETSc's message")
  func unknownType() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (A, u, b, _) = try poisson1D(4)
      let solver = try Solver(options: ["ksp_type": "no_such_ksp"], name: "bad")
      do throws(OP2Error) {
        try solver.solve(A, solution: u, rhs: b)
        Issue.record("expected a PETSc error")
      } catch {
        guard case let .petsc(operation, petscError) = error else { Issue.record("got \(error)"); return }
        #expect(petscError == .unknownType)
        #expect(operation.hasPrefix("KSPSetFromOptions (Solver bad"))
        #expect(petscError.detail.contains("no_such_ksp"))
        #expect(error.description.hasPrefix("PETSc KSPSetFromOptions (Solver bad"))
      }
    }
  }

  @Test("the options database under the solver's prefix overrides the dictionary")
  func optionsDatabase() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (A, u, b, _) = try poisson1D(8)
      try Solver.insertOptions("-op2_solver_test_ksp_type gmres -op2_solver_test_pc_type jacobi")
      let solver = try Solver(options: ["ksp_type": "cg", "pc_type": "none"], optionsPrefix: "op2_solver_test_", name: "db")
      try solver.solve(A, solution: u, rhs: b)
      #expect(try solver.types() == ("gmres", "jacobi"))
    }
  }

  @Test("Dats on the wrong DataSet are rejected before PETSc sees them")
  func wrongDat() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (A, u, _, _) = try poisson1D(4)
      let other = Dat<Double>(Set(size: 5, name: "other") ** 1, name: "w")
      let solver = try Solver(name: "s")
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Solver s.solve", object: "Dat w", expected: "a Dat on nodes**1", found: "a Dat on other**1")) {
        try solver.solve(A, solution: u, rhs: other)
      }
    }
  }

  @Test("zeroRows on a node no element touches puts its diagonal in the reserved entry, and the solve keeps its value")
  func untouchedNode() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      // Cells join nodes 0…n; node n + 1 is in no cell, so only the reserved diagonal holds its row.
      let n = 8
      let nodes = Set(size: n + 2, name: "nodes"), cells = Set(size: n, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: (0..<n).flatMap { [$0, $0 + 1] }, name: "c2n")
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
      let element = Kernel(code: """
        void laplace(double A[2][2]) { A[0][0] = A[1][1] = 1.0; A[0][1] = A[1][0] = -1.0; }
        """, name: "laplace")
      try parLoop(element, over: cells, A(.inc, rows: cellToNode, cols: cellToNode))
      #expect(try A.row(n + 1).map(\.column) == [n + 1])
      let u = try Dat<Double>(nodes ** 1, values: [Double](repeating: 0, count: n + 1) + [3], name: "u")
      let b = Dat<Double>(nodes ** 1, name: "b")
      try A.zeroRows([0, n, n + 1], symmetric: true, solution: u, rhs: b)
      #expect(try A.row(n + 1).map(\.value) == [1])
      u.zero()
      try Solver(options: ["ksp_type": "cg", "pc_type": "jacobi", "ksp_rtol": "1e-12"], name: "s").solve(A, solution: u, rhs: b)
      let values = u.data
      #expect(values[n + 1].isApproximatelyEqual(to: 3, absoluteTolerance: 1e-12))
      #expect(values[..<(n + 1)].allSatisfy { abs($0) < 1e-12 })
    }
  }

  @Test("a dim-2 system (block size 2) solves both components, GAMG included", arguments: ["jacobi", "gamg"])
  func blockSystem(pc: String) throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let n = 12
      let nodes = Set(size: n + 1, name: "nodes"), cells = Set(size: n, name: "cells")
      let cellToNode = try Map(from: cells, to: nodes, arity: 2, values: (0..<n).flatMap { [$0, $0 + 1] }, name: "c2n")
      let x = try Dat<Double>(nodes ** 1, values: (0...n).map { Double($0) / Double(n) }, name: "x")
      let A = try Mat<Double>(try Sparsity(nodes ** 2, map: cellToNode), name: "A")
      let b = Dat<Double>(nodes ** 2, name: "b"), u = Dat<Double>(nodes ** 2, name: "u")
      // Two decoupled −u'' = f problems, f = 2 and f = 4: u = x(1−x) and 2x(1−x).
      let element = Kernel(code: """
        void element2(double A[4][4], double *b[2], const double *x[2]) {
          double h = x[1][0] - x[0][0];
          for (int a = 0; a < 2; a++) {
            A[0 + a][0 + a] = A[2 + a][2 + a] = 1.0 / h;
            A[0 + a][2 + a] = A[2 + a][0 + a] = -1.0 / h;
            b[0][a] += (a + 1) * h; b[1][a] += (a + 1) * h;
          }
        }
        """, name: "element2")
      try parLoop(element, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), b(.inc, cellToNode), x(.read, cellToNode))
      try A.zeroRows([0, n], symmetric: true, solution: u, rhs: b)
      let result = try Solver(options: ["ksp_type": "cg", "pc_type": pc, "ksp_rtol": "1e-12"], name: "block").solve(A, solution: u, rhs: b)
      #expect(result.reason.converged)
      let values = u.data
      for i in 0...n {
        let xi = Double(i) / Double(n)
        #expect(values[2 * i].isApproximatelyEqual(to: xi * (1 - xi), absoluteTolerance: 1e-10), "node \(i), component 0")
        #expect(values[2 * i + 1].isApproximatelyEqual(to: 2 * xi * (1 - xi), absoluteTolerance: 1e-10), "node \(i), component 1")
      }
    }
  }
}
