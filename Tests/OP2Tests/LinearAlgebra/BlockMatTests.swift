import Testing
@testable import OP2

/// Block Mats over mixed Sparsities: PETSc MATNEST of one AIJ Mat per block, assembled block by
/// block (`A[i, j]`) or all blocks at once through MixedMaps, solved with fieldsplit.
@Suite("Block matrices")
struct BlockMatTests {
  /// Two line elements on three nodes; velocity-like component dim 1, pressure-like dim 1 on
  /// two "edges" nodes.
  struct Line {
    let cells = Set(size: 2, name: "cells")
    let nodes = Set(size: 3, name: "nodes")
    let edges = Set(size: 2, name: "edges")
    let c2n: Map
    let c2e: Map
    let mm: MixedMap
    let shape: MixedDataSet
    init() throws {
      c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      c2e = try Map(from: cells, to: edges, arity: 1, values: [0, 1], name: "c2e")
      mm = try MixedMap([c2n, c2e], name: "mm")
      shape = try MixedDataSet([nodes ** 1, edges ** 1])
    }
  }

  // Element matrices: A00 = [[1,-1],[-1,1]] (+ 1 on the diagonal), A01 = [[1],[-1]], A10 = its
  // transpose, A11 = [[-0.5]] .
  static let blockKernel = """
    void blocks(double A00[2][2], double A01[2][1], double A10[1][2], double A11[1][1]) {
      A00[0][0] = 2; A00[0][1] = -1; A00[1][0] = -1; A00[1][1] = 2;
      A01[0][0] = 1; A01[1][0] = -1;
      A10[0][0] = 1; A10[0][1] = -1;
      A11[0][0] = -0.5;
    }
    """
  static let expected: [Double] = [
    2, -1, 0, 1, 0,
    -1, 4, -1, -1, 1,
    0, -1, 2, 0, -1,
    1, -1, 0, -0.5, 0,
    0, 1, -1, 0, -0.5,
  ]

  @Test("block arguments A[i, j] fill one block each; the block Mat is their hand-computed concatenation", arguments: Backend.available)
  func blockArguments(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let l = try Line()
      let sparsity = try Sparsity(l.shape, map: l.mm, name: "sp")
      #expect(sparsity.isMixed && sparsity.blocks.count == 2 && sparsity.blocks[0].count == 2)
      let rows01 = sparsity.blocks[0][1].rows, cols01 = sparsity.blocks[0][1].cols
      #expect(rows01 == DataSet(l.nodes, dim: 1) && cols01 == DataSet(l.edges, dim: 1))
      let A = try Mat<Double>(sparsity, name: "A")
      #expect(A.isBlockMatrix && A.rowCount == 5 && A.columnCount == 5 && A.globalRowCount == 5)
      let k00 = Kernel(code: "void k00(double A[2][2]) { A[0][0] = 2; A[0][1] = -1; A[1][0] = -1; A[1][1] = 2; }", name: "k00")
      let k01 = Kernel(code: "void k01(double B[2][1], double Bt[1][2], double C[1][1]) { B[0][0] = 1; B[1][0] = -1; Bt[0][0] = 1; Bt[0][1] = -1; C[0][0] = -0.5; }", name: "k01")
      try parLoop(k00, over: l.cells, A[0, 0](.inc, rows: l.c2n, cols: l.c2n))
      try parLoop(k01, over: l.cells, A[0, 1](.inc, rows: l.c2n, cols: l.c2e), A[1, 0](.inc, rows: l.c2e, cols: l.c2n),
                  A[1, 1](.inc, rows: l.c2e, cols: l.c2e))
      #expect(try A.denseValues() == Self.expected)
      #expect(try A[1, 0].denseValues() == [1, -1, 0, 0, 1, -1])
      let norm = Self.expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(try A.frobeniusNorm() - norm) < 1e-12)
      try A.zero()
      #expect(try A.denseValues().allSatisfy { $0 == 0 })
    }
  }

  @Test("a block Mat through MixedMaps passes one element matrix per block, row-major", arguments: Backend.available)
  func wholeMixedArgument(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let l = try Line()
      let A = try Mat<Double>(try Sparsity(l.shape, map: l.mm), name: "A")
      try parLoop(Kernel(code: Self.blockKernel, name: "blocks"), over: l.cells, A(.inc, rows: l.mm, cols: l.mm))
      #expect(try A.denseValues() == Self.expected)
    }
  }

  @Test("fieldsplit (Schur and additive) solves the block system to the dense solution, on the nest and on an AIJ copy",
        arguments: ["schur", "additive"], BlockFormat.allCases)
  func fieldsplitSolve(type: String, format: BlockFormat) throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let l = try Line()
      let A = try Mat<Double>(try Sparsity(l.shape, map: l.mm), name: "A")
      A.blockFormat = format
      try parLoop(Kernel(code: Self.blockKernel, name: "blocks"), over: l.cells, A(.inc, rows: l.mm, cols: l.mm))
      let rhs: [[Double]] = [[1, 2, 3], [-1, 0.5]]
      let b = try MixedDat<Double>(l.shape, values: rhs, name: "b")
      let x = MixedDat<Double>(l.shape, name: "x")
      let solver = try Solver(options: ["ksp_type": "gmres", "ksp_rtol": "1e-12", "pc_type": "fieldsplit",
                                        "pc_fieldsplit_type": type, "fieldsplit_0_pc_type": "lu", "fieldsplit_1_pc_type": "jacobi"])
      let report = try solver.solve(A, solution: x, rhs: b)
      #expect(report.reason.converged)
      #expect(try solver.types().pc == "fieldsplit")
      // Residual of the dense system.
      let xs = x[0].data + x[1].data, bs = rhs[0] + rhs[1]
      for r in 0..<5 {
        let ax = (0..<5).reduce(0.0) { $0 + Self.expected[r * 5 + $1] * xs[$1] }
        #expect(abs(ax - bs[r]) < 1e-9, "row \(r)")
      }
      // A second solve (after changing a block's rows) sees the change.
      try A[0, 0].zeroRows([0], diagonal: 1)
      try A[0, 1].zeroRows([0], diagonal: 0)
      try solver.solve(A, solution: x, rhs: b)
      #expect(abs(x[0].data[0] - 1) < 1e-9)
    }
  }

  @Test("block Mat misuse is a typed error")
  func errors() throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let l = try Line()
      let A = try Mat<Double>(try Sparsity(l.shape, map: l.mm, name: "sp"), name: "A")
      let k = Kernel(code: "void k(double A[2][2]) { }", name: "k")
      #expect(throws: OP2Error.mixedArgumentMismatch(.init(loop: "k", position: 1, argument: "A via (c2n, c2n)"),
                                                     reason: "Mat A is a block matrix; assemble a block through A[i, j] (or every block through MixedMaps)")) {
        try parLoop(k, over: l.cells, A(.inc, rows: l.c2n, cols: l.c2n))
      }
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Mat A[2, 0]", object: "block (2, 0)", expected: "a block in 0..<2 × 0..<2", found: "(2, 0)")) {
        _ = try A[2, 0]
      }
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Mat A.zeroRows", object: "block Mat A", expected: "a plain Mat (use a block, A[i, j])", found: "a block matrix")) {
        try A.zeroRows([0])
      }
      let one = try MixedMap([l.c2n], name: "one")
      #expect(throws: OP2Error.invalidMixed(object: "Sparsity \"bad\"", reason: "row MixedMap one has 1 maps but the rows (nodes**1, edges**1) have 2 components")) {
        _ = try Sparsity(rows: l.shape, cols: l.shape, maps: [(one, l.mm)], name: "bad")
      }
      // A plain Mat with MixedDats, and a block Mat with Dats.
      let plain = try Mat<Double>(try Sparsity(l.nodes ** 1, map: l.c2n), name: "P")
      let solver = try Solver()
      let x = MixedDat<Double>(l.shape, name: "x")
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Solver solver.solve", object: "Mat P", expected: "a block Mat for MixedDats", found: "a plain Mat")) {
        try solver.solve(plain, solution: x, rhs: x)
      }
      let wrong = MixedDat<Double>(try MixedDataSet([l.nodes ** 1, l.nodes ** 1]), name: "w")
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Solver solver.solve", object: "MixedDat w", expected: "a MixedDat on (nodes**1, edges**1)", found: "a MixedDat on (nodes**1, nodes**1)")) {
        try solver.solve(A, solution: wrong, rhs: x)
      }
      #expect(throws: OP2Error.linearAlgebraMismatch(operation: "Mat A.solve (pass MixedDats)", object: "block Mat A", expected: "a plain Mat (use a block, A[i, j])", found: "a block matrix")) {
        try solver.solve(A, solution: x[0], rhs: x[0])
      }
      #expect(x.data == [[0, 0, 0], [0, 0]])
    }
  }
}
