/// How a block ``Mat`` is handed to PETSc's solvers (see <doc:MixedSpaces> for measurements).
public enum BlockFormat: String, Sendable, CaseIterable {
  /// PETSc's `MATNEST` over the blocks (the default): no copy; fieldsplit extracts blocks for free.
  case nest
  /// A monolithic `MATAIJ` copy of the nest made at each solve (`MatConvert`): any preconditioner
  /// works (LU, ILU, GAMG on the whole system), at the cost of the copy.
  case aij
}

extension Mat {
  /// Block `(i, j)` of a block Mat (over a mixed ``Sparsity``): an ordinary ``Mat`` over
  /// `sparsity.blocks[i][j]`, which loops assemble as any Mat
  /// (`A[0, 1](.inc, rows: cellToNode, cols: cellToNode)`) and whose rows can be zeroed on their
  /// own. For a plain Mat, `A[0, 0]` is the Mat itself. PyOP2's `Mat[i, j]`.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a block
  ///   outside the Mat's block shape.
  public subscript(i: Int, j: Int) -> Mat<T> {
    get throws(OP2Error) {
      let rows = blockMats?.count ?? 1, cols = blockMats?[0].count ?? 1
      guard (0..<rows).contains(i), (0..<cols).contains(j) else {
        throw .linearAlgebraMismatch(operation: "Mat \(name)[\(i), \(j)]", object: "block (\(i), \(j))",
                                     expected: "a block in 0..<\(rows) × 0..<\(cols)", found: "(\(i), \(j))")
      }
      return blockMats?[i][j] ?? self
    }
  }

  /// Whether the Mat is a block matrix (over a mixed ``Sparsity``).
  public var isBlockMatrix: Bool { blockMats != nil }

  /// Every block as an assembly argument: block `(i, j)` through row map `i` of `rows` and
  /// column map `j` of `cols`, in row-major block order. The kernel receives one element matrix
  /// per block, in that order (`double A00[..][..], double A01[..][..], …`), as a MixedDat
  /// argument passes one argument per component.
  public func callAsFunction(_ access: Access, rows: MixedMap, cols: MixedMap) -> Arg {
    let summary = "\(name) via (\(rows.name), \(cols.name))"
    guard let blocks = blockMats else {
      return Arg(data: self, access: access, map: nil, index: nil, mixed: _MixedArgument(
        components: [], problem: "Mat \(name) is not a block matrix; pass plain Maps (rows:cols:)", summary: summary))
    }
    var problem: String?
    if rows.count != blocks.count || cols.count != blocks[0].count {
      problem = "block Mat \(name) has \(blocks.count)×\(blocks[0].count) blocks but the MixedMaps have \(rows.count) and \(cols.count) maps"
    }
    var components: [Arg] = []
    if problem == nil {
      for i in blocks.indices {
        for j in blocks[i].indices { components.append(blocks[i][j](access, rows: rows.maps[i], cols: cols.maps[j])) }
      }
    }
    return Arg(data: self, access: access, map: nil, index: nil,
               mixed: _MixedArgument(components: components, problem: problem, summary: summary))
  }

  /// The argument of a block Mat passed with plain maps: `parLoop` rejects it.
  func blockMatrixMisuse(_ access: Access, rows: Map, cols: Map) -> Arg {
    Arg(data: self, access: access, map: nil, index: nil, mixed: _MixedArgument(
      components: [], problem: "Mat \(name) is a block matrix; assemble a block through \(name)[i, j] (or every block through MixedMaps)",
      summary: "\(name) via (\(rows.name), \(cols.name))"))
  }

  /// Creates the block Mats of a mixed sparsity and the nest over them.
  static func makeBlocks(_ mixed: _MixedSparsity, name: String) throws(OP2Error) -> ([[Mat<T>]], _MatHandle) {
    var blocks: [[Mat<T>]] = []
    for (i, row) in mixed.blocks.enumerated() {
      var out: [Mat<T>] = []
      for (j, s) in row.enumerated() { out.append(try Mat<T>(s, name: "\(name)[\(i),\(j)]")) }
      blocks.append(out)
    }
    let communicators = blocks.joined().map { $0.handle.communicator.map(ObjectIdentifier.init) }
    guard Swift.Set(communicators).count == 1 else {
      throw .linearAlgebraMismatch(operation: "Mat \(name)", object: "Sparsity \(mixed.name)",
                                   expected: "every block distributed on one communicator, or none",
                                   found: "blocks on different communicators")
    }
    return (blocks, try _MatHandle(nest: blocks.map { $0.map(\.handle) }, name: name))
  }

  /// Forces and assembles every block, then the nest (always: see ``_MatHandle/reassemble()``).
  func assembleBlocks(_ blocks: [[Mat<T>]]) throws(OP2Error) {
    for row in blocks { for b in row { try b.assemble() } }
    try handle.reassemble()
  }

  /// Every entry of a block Mat, dense: block rows of component 0 first, then component 1, …
  /// (each block in its ``denseValues()`` numbering).
  func denseBlockValues(_ blocks: [[Mat<T>]]) throws(OP2Error) -> [T] {
    let rowCounts = blocks.map { $0[0].globalRowCount }, colCounts = blocks[0].map(\.globalColumnCount)
    let columns = colCounts.reduce(0, +)
    var dense = [T](repeating: 0, count: rowCounts.reduce(0, +) * columns)
    var r0 = 0
    for (i, row) in blocks.enumerated() {
      var c0 = 0
      for (j, b) in row.enumerated() {
        let values = try b.denseValues()
        for r in 0..<rowCounts[i] {
          for c in 0..<colCounts[j] { dense[(r0 + r) * columns + c0 + c] = values[r * colCounts[j] + c] }
        }
        c0 += colCounts[j]
      }
      r0 += rowCounts[i]
    }
    return dense
  }

  func blockMatrixError(_ operation: String) -> OP2Error {
    .linearAlgebraMismatch(operation: "Mat \(name).\(operation)", object: "block Mat \(name)",
                           expected: "a plain Mat (use a block, \(name)[i, j])", found: "a block matrix")
  }
}

extension Solver {
  /// Solves a block system `A x = b` with a block ``Mat`` (over a mixed ``Sparsity``):
  /// `solution` and `rhs` are ``MixedDat``s on its column and row ``MixedDataSet``s.
  ///
  /// The operator is PETSc's `MATNEST` of the blocks. With `pc_type fieldsplit` the solver gives
  /// the PC the nest's row index sets as fields `0`, `1`, … so PETSc options such as
  /// `-pc_fieldsplit_type schur -fieldsplit_0_pc_type gamg -fieldsplit_1_pc_type jacobi` apply
  /// to the blocks (PETSc appends a field for every call, so a Solver gives fields for its
  /// first block Mat only: use one Solver per block Mat). The right-hand side and solution
  /// travel as one Vec, component 0's owned values first (copied in and out: the components are
  /// separate Dats). Every solve re-assembles the nest, so the preconditioner is set up again.
  ///
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a plain
  ///   Mat or MixedDats on other data sets; otherwise as ``solve(_:solution:rhs:)-(_,Dat<T>,_)``.
  @discardableResult
  public func solve<T: MatScalar>(_ matrix: Mat<T>, solution: MixedDat<T>, rhs: MixedDat<T>) throws(OP2Error) -> Report {
    let operation = "Solver \(name).solve"
    guard let blocks = matrix.blockMats, let mixed = matrix.sparsity.mixed else {
      throw .linearAlgebraMismatch(operation: operation, object: "Mat \(matrix.name)", expected: "a block Mat for MixedDats", found: "a plain Mat")
    }
    guard solution.dataSet == mixed.cols else {
      throw .linearAlgebraMismatch(operation: operation, object: "MixedDat \(solution.name)", expected: "a MixedDat on \(mixed.cols)", found: "a MixedDat on \(solution.dataSet)")
    }
    guard rhs.dataSet == mixed.rows else {
      throw .linearAlgebraMismatch(operation: operation, object: "MixedDat \(rhs.name)", expected: "a MixedDat on \(mixed.rows)", found: "a MixedDat on \(rhs.dataSet)")
    }
    try matrix.assembleBlocks(blocks)
    for d in rhs.dats { Runtime.current.prepareHostAccess(to: d, writing: false) }
    for d in solution.dats { Runtime.current.prepareHostAccess(to: d, writing: true) }
    let b = _MixedVec(rhs.dats, copying: true), x = _MixedVec(solution.dats, copying: true)
    let monolithic = matrix.blockFormat == .aij ? try _MatHandle(convertingToAIJ: matrix.handle) : nil
    let outcome = try solveBlock(matrix.handle, monolithic: monolithic, b: b.vec, x: x.vec)
    x.scatter(into: solution.dats)
    for d in solution.dats { d.haloState.markStale() }
    let reason = ConvergedReason(rawValue: outcome.reason)
    guard reason.converged else {
      throw .solverDiverged(solver: name, reason: reason, iterations: outcome.iterations, residual: outcome.residual)
    }
    return Report(iterations: outcome.iterations, residualNorm: outcome.residual, reason: reason)
  }
}
