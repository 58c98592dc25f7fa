/// The scalar types a ``Mat`` can hold: `Double`, PETSc's `PetscScalar` in a real build.
public protocol MatScalar: OP2Scalar {
  /// The value from PETSc's `PetscScalar`.
  init(petscScalar: Double)
  /// The value as PETSc's `PetscScalar`.
  var petscScalar: Double { get }
}

extension Double: MatScalar {
  public init(petscScalar: Double) { self = petscScalar }
  public var petscScalar: Double { self }
}

/// A sparse matrix over a ``Sparsity``, assembled by loops and stored in PETSc.
///
/// A `Mat` is a sequential PETSc `MATSEQAIJ` matrix preallocated with exactly its sparsity's
/// pattern (every pattern entry is stored, initially zero), on scalar rows: row
/// `node * rows.dim + component` belongs to node `node`. When rows and columns both have
/// `dim > 1` values per node, the matrix has block size `dim` (element matrices go in with
/// `MatSetValuesBlocked`, and GAMG sees the blocks); BAIJ is not used because PETSc 3.18's GAMG
/// does not accept it.
///
/// **Assembly.** Pass the Mat to ``parLoop(_:over:_:)-(Kernel,Set,Arg...)`` as
/// `A(.inc, rows: rowMap, cols: colMap)`: the kernel receives a zeroed local element matrix
/// `double A[rowArity * rows.dim][colArity * cols.dim]`, row-major, whose row
/// `i * rows.dim + a` is component `a` of row slot `i` (`rowMap[e][i]`) and column
/// `j * cols.dim + b` is component `b` of column slot `j`; after the kernel the wrapper adds it to
/// the matrix (`MatSetValues` with `ADD_VALUES`, `MatSetValuesBlocked` for blocks). `.write`
/// inserts instead (`INSERT_VALUES`). The map pair must be one the Sparsity was built from.
///
/// **Laziness.** Loops that assemble a Mat are queued like any other writing loop. Every use of
/// the Mat — ``Solver/solve(_:solution:rhs:)``, ``row(_:)``, ``denseValues()``, ``multiply(_:into:)``,
/// ``zeroRows(_:diagonal:symmetric:solution:rhs:)`` — first runs the queued loops that write it,
/// then finishes PETSc assembly (`MatAssemblyBegin/End`) if values were set since the last use.
///
/// **Threads.** PETSc's insertion is not thread-safe: loops with Mat arguments run on one thread
/// on every backend (see ``Backend/threaded(threads:)``), under a process-wide PETSc lock.
///
/// ```swift
/// let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
/// try parLoop(stiffness, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
/// let solver = try Solver(options: ["ksp_type": "cg", "pc_type": "gamg"])
/// let result = try solver.solve(A, solution: u, rhs: b)
/// ```
///
/// The PETSc matrix is destroyed (`MatDestroy`) when the Mat goes away. The corresponding PyOP2
/// class is `op2.Mat`.
public final class Mat<T: MatScalar>: _ArgData, CustomStringConvertible, @unchecked Sendable {
  /// The nonzero pattern, with the row and column DataSets.
  public let sparsity: Sparsity
  /// The name used in messages (and PETSc's object name).
  public let name: String
  package let handle: _MatHandle

  /// Creates a zero matrix with the pattern of `sparsity`, starting PETSc on first use.
  ///
  /// Costs one pass over the pattern (PETSc's `MatSeqAIJSetPreallocationCSR`).
  /// - Parameters:
  ///   - sparsity: The nonzero pattern.
  ///   - name: A name for messages; defaults to `mat_<sparsity>`.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` when PETSc cannot start or create the matrix.
  public init(_ sparsity: Sparsity, name: String? = nil) throws(OP2Error) {
    let name = name ?? "mat_\(sparsity.name)"
    self.sparsity = sparsity
    self.name = name
    handle = try _MatHandle(sparsity: sparsity, name: name)
  }

  /// An assembly argument: the kernel receives the element matrix `double A[rowArity * rows.dim][colArity * cols.dim]`.
  ///
  /// - Parameters:
  ///   - access: `.inc` adds the element matrices (PyOP2's `op2.INC`, PETSc's `ADD_VALUES`);
  ///     `.write` inserts them (`op2.WRITE`, `INSERT_VALUES`). Other modes are rejected by `parLoop`.
  ///   - rows: The map from the iteration set to the row set.
  ///   - cols: The map from the iteration set to the column set; the pair must be in the Sparsity.
  public func callAsFunction(_ access: Access, rows: Map, cols: Map) -> Arg {
    Arg(data: self, access: access, map: rows, index: nil,
        matrix: _MatArgument(handle: handle, sparsity: sparsity, access: access, rowMap: rows, colMap: cols))
  }

  /// Scalar rows: `sparsity.rows.count`.
  public var rowCount: Int { sparsity.rows.count }
  /// Scalar columns: `sparsity.cols.count`.
  public var columnCount: Int { sparsity.cols.count }

  /// Runs the queued loops that write the Mat and finishes its assembly.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` for an insertion or assembly failure.
  public func assemble() throws(OP2Error) {
    Runtime.current.prepareHostAccess(to: self, writing: false)
    try handle.assemble()
  }

  /// The stored entries of scalar row `row` as (column, value) pairs, ascending by column.
  /// Forces the queued loops that write the Mat.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a row out
  ///   of range; ``OP2Error/petsc(operation:_:)``.
  public func row(_ row: Int) throws(OP2Error) -> [(column: Int, value: T)] {
    guard row >= 0, row < rowCount else {
      throw .linearAlgebraMismatch(operation: "Mat \(name).row", object: "row \(row)", expected: "a row in 0..<\(rowCount)", found: "\(row)")
    }
    try assemble()
    return try handle.row(row).map { ($0.column, T(petscScalar: $0.value)) }
  }

  /// Every entry, dense and row-major (`rowCount × columnCount` values): for tests and small
  /// matrices. Forces the queued loops that write the Mat.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func denseValues() throws(OP2Error) -> [T] {
    try assemble()
    var dense = [T](repeating: 0, count: rowCount * columnCount)
    for r in 0..<rowCount {
      for (c, v) in try handle.row(r) { dense[r * columnCount + c] = T(petscScalar: v) }
    }
    return dense
  }

  /// Sets every stored entry to zero, keeping the pattern (`MatZeroEntries`), after the queued
  /// loops that write the Mat run.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func zero() throws(OP2Error) {
    Runtime.current.prepareHostAccess(to: self, writing: true)
    try handle.zeroEntries()
  }

  /// Dirichlet boundary conditions: zeroes every scalar row of the given row nodes and puts
  /// `diagonal` on their diagonal (`MatZeroRows`), keeping the pattern.
  ///
  /// With `symmetric`, the columns are zeroed too (`MatZeroRowsColumns`), which keeps a symmetric
  /// matrix symmetric (for CG and GAMG). With `solution` and `rhs`, the right-hand side is fixed
  /// up so that the solve gives `solution`'s values on those rows: `rhs[row] = diagonal *
  /// solution[row]` (and, when symmetric, `rhs -= A[:, rows] * solution[rows]`).
  /// Forces the queued loops that write the Mat, read `solution` or use `rhs`.
  ///
  /// - Parameters:
  ///   - nodes: Row nodes (elements of the row set); each stands for `rows.dim` scalar rows.
  ///   - diagonal: The value put on the diagonal.
  ///   - symmetric: Zero the columns too.
  ///   - solution: Values on the boundary (a Dat on the columns' DataSet), or nil.
  ///   - rhs: The right-hand side to fix up (a Dat on the rows' DataSet), or nil.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a node out
  ///   of range or a Dat on the wrong DataSet; ``OP2Error/petsc(operation:_:)``.
  public func zeroRows(_ nodes: [Int], diagonal: T = 1, symmetric: Bool = false,
                       solution: Dat<T>? = nil, rhs: Dat<T>? = nil) throws(OP2Error) {
    let operation = "Mat \(name).zeroRows"
    let size = sparsity.rows.set.size
    if let bad = nodes.first(where: { $0 < 0 || $0 >= size }) {
      throw .linearAlgebraMismatch(operation: operation, object: "node \(bad)", expected: "a node of \(sparsity.rows.set.name) in 0..<\(size)", found: "\(bad)")
    }
    if let solution { try check(solution, on: sparsity.cols, operation: operation) }
    if let rhs { try check(rhs, on: sparsity.rows, operation: operation) }
    Runtime.current.prepareHostAccess(to: self, writing: true)
    if let solution { Runtime.current.prepareHostAccess(to: solution, writing: false) }
    if let rhs { Runtime.current.prepareHostAccess(to: rhs, writing: true) }
    let dim = sparsity.rows.dim
    var rows: [Int32] = []
    rows.reserveCapacity(nodes.count * dim)
    for n in nodes { for a in 0..<dim { rows.append(Int32(n * dim + a)) } }
    try handle.zeroRows(rows, diagonal: diagonal.petscScalar, symmetric: symmetric,
                        x: solution.map(Self.vec), b: rhs.map(Self.vec))
  }

  /// `y = A x` (`MatMult`). Forces the loops that write the Mat and `x`, and those that use `y`.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for Dats on
  ///   the wrong DataSets; ``OP2Error/petsc(operation:_:)``.
  public func multiply(_ x: Dat<T>, into y: Dat<T>) throws(OP2Error) {
    let operation = "Mat \(name).multiply"
    try check(x, on: sparsity.cols, operation: operation)
    try check(y, on: sparsity.rows, operation: operation)
    Runtime.current.prepareHostAccess(to: self, writing: false)
    Runtime.current.prepareHostAccess(to: x, writing: false)
    Runtime.current.prepareHostAccess(to: y, writing: true)
    try handle.multiply(Self.vec(x), into: Self.vec(y))
  }

  /// The Frobenius norm of the stored entries (`MatNorm`). Forces the loops that write the Mat.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func frobeniusNorm() throws(OP2Error) -> T {
    try assemble()
    return T(petscScalar: try handle.frobeniusNorm())
  }

  package func check(_ dat: Dat<T>, on dataSet: DataSet, operation: String) throws(OP2Error) {
    guard dat.dataSet == dataSet else {
      throw .linearAlgebraMismatch(operation: operation, object: "Dat \(dat.name)", expected: "a Dat on \(dataSet)", found: "a Dat on \(dat.dataSet)")
    }
  }

  package var cType: String { T.cType }
  package var dim: Int { sparsity.rows.dim }
  package var elementSize: Int { MemoryLayout<T>.stride }
  /// The row set, so that a Mat argument is never taken for a Global.
  package var set: Set? { sparsity.rows.set }
  public var description: String { "Mat<\(T.self)>(\"\(name)\", \(sparsity.rows) × \(sparsity.cols))" }
}
