import Testing
@testable import OP2

/// One test per bad Sparsity, Mat or loop input: the case, the exact message, and that nothing changed.
@Suite("Linear algebra: bad input gives typed errors and changes nothing")
struct LinearAlgebraErrorTests {
  let nodes = Set(size: 3, name: "nodes")
  let cells = Set(size: 2, name: "cells")
  let edges = Set(size: 2, name: "edges")
  let other = Set(size: 3, name: "other")

  private func maps() throws(OP2Error) -> (c2n: Map, e2n: Map, c2o: Map) {
    (try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n"),
     try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "e2n"),
     try Map(from: cells, to: other, arity: 2, values: [0, 1, 1, 2], name: "c2o"))
  }

  @Test("Sparsity: no map pairs, maps to the wrong sets, maps from different sets")
  func sparsity() throws {
    let (c2n, e2n, c2o) = try maps()
    expectError(.invalidSparsity(sparsity: "S", reason: "no (row map, column map) pairs were given"),
                message: "Sparsity \"S\": no (row map, column map) pairs were given") { () throws(OP2Error) in
      _ = try Sparsity(rows: nodes ** 1, cols: nodes ** 1, maps: [], name: "S")
    }
    expectError(.invalidSparsity(sparsity: "S", reason: "row map c2o maps to other but the rows are on nodes"),
                message: "Sparsity \"S\": row map c2o maps to other but the rows are on nodes") { () throws(OP2Error) in
      _ = try Sparsity(rows: nodes ** 1, cols: nodes ** 1, maps: [(c2o, c2n)], name: "S")
    }
    expectError(.invalidSparsity(sparsity: "S", reason: "column map c2n maps to nodes but the columns are on other"),
                message: "Sparsity \"S\": column map c2n maps to nodes but the columns are on other") { () throws(OP2Error) in
      _ = try Sparsity(rows: nodes ** 1, cols: other ** 1, maps: [(c2n, c2n)], name: "S")
    }
    expectError(.invalidSparsity(sparsity: "S", reason: "row map c2n starts from cells but column map e2n starts from edges"),
                message: "Sparsity \"S\": row map c2n starts from cells but column map e2n starts from edges") { () throws(OP2Error) in
      _ = try Sparsity(rows: nodes ** 1, cols: nodes ** 1, maps: [(c2n, e2n)], name: "S")
    }
  }

  /// Runs `body` with a fresh Mat on (c2n, c2n) and checks that it stayed zero and nothing was queued.
  private func withMat(_ body: (Mat<Double>, Map, Map, Map) throws(OP2Error) -> Void) throws {
    try OP2.withConfiguration(.testing(.sequential)) {
      let (c2n, e2n, c2o) = try maps()
      let A = try Mat<Double>(try Sparsity(nodes ** 1, map: c2n, name: "S"), name: "A")
      try body(A, c2n, e2n, c2o)
      #expect(Runtime.current.pendingCount == 0)
      #expect(try A.denseValues() == [Double](repeating: 0, count: 9))
    }
  }

  let element = Kernel(code: "void element(double A[2][2]) { A[0][0] = 1; }", name: "element")

  @Test("a Mat argument must be INC or WRITE")
  func access() throws {
    try withMat { (A, c2n, _, _) throws(OP2Error) in
      expectError(.invalidAccess(.init(loop: "element", position: 1, argument: "A via (c2n, c2n)"), access: "READ",
                                 reason: "a Mat is assembled with INC (ADD_VALUES) or WRITE (INSERT_VALUES)"),
                  message: "parLoop \"element\", argument 1 (A via (c2n, c2n)): access READ is not allowed: a Mat is assembled with INC (ADD_VALUES) or WRITE (INSERT_VALUES)") { () throws(OP2Error) in
        try parLoop(element, over: cells, A(.read, rows: c2n, cols: c2n))
      }
    }
  }

  @Test("a Mat argument's maps must start from the iteration set")
  func fromSet() throws {
    try withMat { (A, c2n, _, _) throws(OP2Error) in
      expectError(.mapFromSetMismatch(.init(loop: "element", position: 1, argument: "A via (c2n, c2n)"), map: "c2n", mapFrom: "cells", iterationSet: "edges"),
                  message: "parLoop \"element\", argument 1 (A via (c2n, c2n)): c2n maps from cells but the loop iterates over edges") { () throws(OP2Error) in
        try parLoop(element, over: edges, A(.inc, rows: c2n, cols: c2n))
      }
    }
  }

  @Test("a Mat argument's maps must lead to the Mat's row and column sets")
  func toSet() throws {
    try withMat { (A, c2n, _, c2o) throws(OP2Error) in
      expectError(.matMapToSetMismatch(.init(loop: "element", position: 1, argument: "A via (c2o, c2n)"), map: "c2o", mapTo: "other", mat: "A", side: "rows", matSet: "nodes"),
                  message: "parLoop \"element\", argument 1 (A via (c2o, c2n)): c2o maps to other but the rows of Mat A are on nodes") { () throws(OP2Error) in
        try parLoop(element, over: cells, A(.inc, rows: c2o, cols: c2n))
      }
      expectError(.matMapToSetMismatch(.init(loop: "element", position: 1, argument: "A via (c2n, c2o)"), map: "c2o", mapTo: "other", mat: "A", side: "columns", matSet: "nodes"),
                  message: "parLoop \"element\", argument 1 (A via (c2n, c2o)): c2o maps to other but the columns of Mat A are on nodes") { () throws(OP2Error) in
        try parLoop(element, over: cells, A(.inc, rows: c2n, cols: c2o))
      }
    }
  }

  @Test("a Mat argument's map pair must be one its Sparsity was built from")
  func notInSparsity() throws {
    try withMat { (A, _, e2n, _) throws(OP2Error) in
      expectError(.matMapsNotInSparsity(.init(loop: "element", position: 1, argument: "A via (e2n, e2n)"), mat: "A", rowMap: "e2n", colMap: "e2n", sparsity: "S"),
                  message: "parLoop \"element\", argument 1 (A via (e2n, e2n)): Mat A has no entries for the map pair (e2n, e2n); add it to Sparsity \"S\"") { () throws(OP2Error) in
        try parLoop(element, over: edges, A(.inc, rows: e2n, cols: e2n))
      }
    }
  }

  @Test("the kernel parameter of a Mat argument must be a double element matrix")
  func dtype() throws {
    try withMat { (A, c2n, _, _) throws(OP2Error) in
      let floats = Kernel(code: "void floats(float A[2][2]) { A[0][0] = 1; }", name: "floats")
      expectError(.dtypeMismatch(.init(loop: "floats", position: 1, argument: "A via (c2n, c2n)"), kernelType: "float A[2][2]", dataType: "double [2][2] (element matrix of Mat A)"),
                  message: "parLoop \"floats\", argument 1 (A via (c2n, c2n)): kernel parameter has type float A[2][2] but the data is double [2][2] (element matrix of Mat A)") { () throws(OP2Error) in
        try parLoop(floats, over: cells, A(.inc, rows: c2n, cols: c2n))
      }
    }
  }

  @Test("zeroRows rejects nodes outside the row set and Dats on the wrong DataSet")
  func zeroRows() throws {
    try withMat { (A, _, _, _) throws(OP2Error) in
      expectError(.linearAlgebraMismatch(operation: "Mat A.zeroRows", object: "node 3", expected: "a node of nodes in 0..<3", found: "3"),
                  message: "Mat A.zeroRows: node 3: expected a node of nodes in 0..<3, found 3") { () throws(OP2Error) in
        try A.zeroRows([0, 3])
      }
      let wrong = Dat<Double>(nodes ** 2, name: "w")
      expectError(.linearAlgebraMismatch(operation: "Mat A.zeroRows", object: "Dat w", expected: "a Dat on nodes**1", found: "a Dat on nodes**2"),
                  message: "Mat A.zeroRows: Dat w: expected a Dat on nodes**1, found a Dat on nodes**2") { () throws(OP2Error) in
        try A.zeroRows([0], rhs: wrong)
      }
    }
  }

  @Test("row() out of range")
  func rowOutOfRange() throws {
    try withMat { (A, _, _, _) throws(OP2Error) in
      expectError(.linearAlgebraMismatch(operation: "Mat A.row", object: "row 5", expected: "a row in 0..<3", found: "5"),
                  message: "Mat A.row: row 5: expected a row in 0..<3, found 5") { () throws(OP2Error) in
        _ = try A.row(5)
      }
    }
  }
}
