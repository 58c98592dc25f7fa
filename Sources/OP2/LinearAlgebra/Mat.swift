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
/// A `Mat` is a PETSc AIJ matrix preallocated with exactly its sparsity's pattern (every pattern
/// entry is stored, initially zero), on scalar rows: row `node * rows.dim + component` belongs to
/// node `node`. When rows and columns both have `dim > 1` values per node, the matrix has block
/// size `dim` (element matrices go in with `MatSetValuesBlocked`, and GAMG sees the blocks). BAIJ
/// is not used, sequential or distributed, because PETSc 3.18's GAMG does not accept it (for
/// `MATMPIBAIJ`: "No method creategraph"); AIJ with a block size gives GAMG the same blocks.
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
/// the Mat — ``Solver/solve(_:solution:rhs:)-(_,Dat<T>,_)``, ``row(_:)``, ``denseValues()``, ``multiply(_:into:)``,
/// ``zeroRows(_:diagonal:symmetric:solution:rhs:)`` — first runs the queued loops that write it,
/// then finishes PETSc assembly (`MatAssemblyBegin/End`) if values were set since the last use.
///
/// **Threads.** PETSc's insertion is not thread-safe: loops with Mat arguments run on one thread
/// on every backend (see ``Backend/threaded(threads:)``), under a process-wide PETSc lock.
///
/// **MPI.** When the row and column sets are distributed (after partitioning), the Mat is a
/// `MATMPIAIJ` matrix on their communicator: each rank owns the rows of its owned nodes
/// (``rowCount`` = `rows.set.size * rows.dim` of ``globalRowCount``), numbered contiguously by
/// rank. Assembly loops run over the owned elements and the exec halo; the wrapper inserts with
/// *local* node indices (`MatSetValuesLocal` through a local-to-global mapping of every local
/// node, owned and halo), and values for rows another rank owns are dropped
/// (`MAT_IGNORE_OFF_PROC_ENTRIES`) — that rank computes them itself — so assembly needs no
/// communication. On an ``ExtrudedSet`` made after partitioning the nodes are its entities: a
/// rank owns the `size × layers` entities of its owned columns, and entity `(c, k)` of the column
/// numbered `n` is numbered `n × layers + k`, so each rank's rows are still one contiguous range;
/// exec-halo columns assemble redundantly as plain elements do.
/// Every other call but ``row(_:)`` is collective: all ranks make it, in the same
/// order. What each returns:
///
/// | call | under MPI |
/// |---|---|
/// | ``row(_:)`` | a row this rank owns, by local scalar row; columns as local scalar indices; local, not collective (``assemble()`` first) |
/// | ``denseValues()`` | the whole matrix on every rank, in the contiguous global numbering |
/// | ``zeroRows(_:diagonal:symmetric:solution:rhs:)`` | takes local nodes, halo ones included; each row is zeroed on its owner |
/// | ``multiply(_:into:)``, ``Solver`` | owned values of the Dats; the halo of the Dat written is marked stale |
/// | ``frobeniusNorm()`` | the norm of the whole matrix, on every rank |
///
/// A rank that meets bad input throws before the collective call, and the other ranks then wait
/// for it: give every rank valid arguments. Without MPI, and for sets that are not distributed,
/// the Mat is a sequential `MATSEQAIJ` matrix and local and global numbers coincide.
///
/// ```swift
/// let A = try Mat<Double>(try Sparsity(nodes ** 1, map: cellToNode), name: "A")
/// try parLoop(stiffness, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
/// let solver = try Solver(options: ["ksp_type": "cg", "pc_type": "gamg"])
/// let result = try solver.solve(A, solution: u, rhs: b)
/// ```
///
/// The PETSc matrix is destroyed (`MatDestroy`) when the Mat goes away. The corresponding PyOP2
/// class is `op2.Mat` (whose `values` is ``denseValues()``, `zero_rows` is
/// ``zeroRows(_:diagonal:symmetric:solution:rhs:)`` and `handle` the PETSc matrix).
public final class Mat<T: MatScalar>: _ArgData, CustomStringConvertible, @unchecked Sendable {
  /// The nonzero pattern, with the row and column DataSets.
  public let sparsity: Sparsity
  /// The name used in messages (and PETSc's object name).
  public let name: String
  package let handle: _MatHandle
  /// The blocks of a block Mat (over a mixed Sparsity), whose nest ``handle`` is; nil otherwise.
  package let blockMats: [[Mat<T>]]?
  /// How a block Mat is solved: its nest, or an AIJ copy of it. Ignored for a plain Mat.
  public var blockFormat: BlockFormat = .nest
  /// Always host-resident: Mats live in PETSc.
  package let residence = _DataResidence()

  /// Creates a zero matrix with the pattern of `sparsity`, starting PETSc on first use.
  ///
  /// Costs one pass over the pattern (PETSc's `MatSeqAIJSetPreallocationCSR`). For distributed
  /// sets it is collective: the owned rows' pattern, with columns renumbered to the contiguous
  /// global numbering and sorted, goes to `MatMPIAIJSetPreallocationCSR`.
  /// - Parameters:
  ///   - sparsity: The nonzero pattern.
  ///   - name: A name for messages; defaults to `mat_<sparsity>`.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` when PETSc cannot start or create the matrix;
  ///   ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` when only one of the
  ///   row and column sets is distributed, or their numbering is not PETSc's.
  ///
  /// Over a mixed ``Sparsity`` the Mat is a block matrix: one Mat per block (named
  /// `name[i,j]`, reached as `A[i, j]`) and PETSc's `MATNEST` over them (see <doc:MixedSpaces>).
  public init(_ sparsity: Sparsity, name: String? = nil) throws(OP2Error) {
    let name = name ?? "mat_\(sparsity.name)"
    self.sparsity = sparsity
    self.name = name
    if let mixed = sparsity.mixed {
      (blockMats, handle) = try Self.makeBlocks(mixed, name: name)
    } else {
      blockMats = nil
      handle = try _MatHandle(sparsity: sparsity, name: name)
    }
  }

  /// An assembly argument: the kernel receives the element matrix `double A[rowArity * rows.dim][colArity * cols.dim]`.
  ///
  /// - Parameters:
  ///   - access: `.inc` adds the element matrices (PyOP2's `op2.INC`, PETSc's `ADD_VALUES`);
  ///     `.write` inserts them (`op2.WRITE`, `INSERT_VALUES`). Other modes are rejected by `parLoop`.
  ///   - rows: The map from the iteration set to the row set.
  ///   - cols: The map from the iteration set to the column set; the pair must be in the Sparsity.
  public func callAsFunction(_ access: Access, rows: Map, cols: Map) -> Arg {
    if blockMats != nil { return blockMatrixMisuse(access, rows: rows, cols: cols) }
    return Arg(data: self, access: access, map: rows, index: nil,
        matrix: _MatArgument(handle: handle, sparsity: sparsity, access: access, rowMap: rows, colMap: cols))
  }

  /// Scalar rows on this rank: `rows.set.size * rows.dim` (the owned rows under MPI; all rows
  /// without it).
  public var rowCount: Int { sparsity.mixed?.rows.valueCount ?? sparsity.rows.count }
  /// Scalar columns on this rank: `cols.set.size * cols.dim` (the owned columns under MPI, the
  /// local part of a Vec the Mat multiplies).
  public var columnCount: Int { sparsity.mixed?.cols.valueCount ?? sparsity.cols.count }
  /// Scalar rows over all ranks: `rows.set.globalSize * rows.dim` (``rowCount`` without MPI).
  public var globalRowCount: Int {
    if let blocks = blockMats { return blocks.reduce(0) { $0 + $1[0].globalRowCount } }
    return sparsity.rows.set.globalSize * sparsity.rows.set.entitiesPerElement * sparsity.rows.dim
  }
  /// Scalar columns over all ranks: `cols.set.globalSize * cols.dim`.
  public var globalColumnCount: Int {
    if let blocks = blockMats { return blocks[0].reduce(0) { $0 + $1.globalColumnCount } }
    return sparsity.cols.set.globalSize * sparsity.cols.set.entitiesPerElement * sparsity.cols.dim
  }

  /// Runs the queued loops that write the Mat and finishes its assembly (collective under MPI).
  /// - Throws: ``OP2Error/petsc(operation:_:)`` for an insertion or assembly failure (on every
  ///   rank under MPI, when it happened on any).
  public func assemble() throws(OP2Error) {
    if let blocks = blockMats { return try assembleBlocks(blocks) }
    Runtime.current.prepareHostAccess(to: self, writing: false)
    try handle.assemble()
  }

  /// The stored entries of scalar row `row` as (column, value) pairs, ascending by column.
  /// Forces the queued loops that write the Mat.
  ///
  /// Under MPI, `row` is a row this rank owns, in `0..<rowCount` (scalar row `node * dim + a` of
  /// owned node `node`), and columns are local scalar indices, `node * cols.dim + b` for a local
  /// column node (owned `0..<cols.set.size`, then halo), ascending by local index. Reading a row
  /// is local — ranks may read different rows, or none — so it cannot finish an assembly, which
  /// is collective: call ``assemble()`` on every rank after the assembly loops (any collective
  /// use — ``denseValues()``, a solve — does it too). Without MPI local and global numbers are the
  /// same, and `row` assembles when needed.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a row out
  ///   of range, or, under MPI, a Mat with values set since its last assembly;
  ///   ``OP2Error/petsc(operation:_:)``.
  public func row(_ row: Int) throws(OP2Error) -> [(column: Int, value: T)] {
    let operation = "Mat \(name).row"
    if blockMats != nil { throw blockMatrixError("row") }
    guard row >= 0, row < rowCount else {
      throw .linearAlgebraMismatch(operation: operation, object: "row \(row)", expected: "a row in 0..<\(rowCount)", found: "\(row)")
    }
    guard sparsity.cols.set.isDistributed, let rowOffset = sparsity.rows.set.entityNumberingOffset else {
      try assemble()
      return try handle.row(row).map { ($0.column, T(petscScalar: $0.value)) }
    }
    Runtime.current.prepareHostAccess(to: self, writing: false)
    guard try handle.isAssembledHere() else {
      throw .linearAlgebraMismatch(operation: operation, object: "Mat \(name)",
                                   expected: "an assembled Mat (under MPI, call assemble() on every rank first)",
                                   found: "values set since the last assembly")
    }
    let columns = sparsity.cols.set, dim = sparsity.cols.dim
    let halo = columns.haloElementsByNumber()
    return try handle.row(rowOffset * sparsity.rows.dim + row).map { (column, value) -> (column: Int, value: T) in
      let local = columns.localEntity(ofNumber: column / dim, halo: halo) ?? -1
      precondition(local >= 0, "Mat \(name): column \(column) of row \(row) is on no local node of \(columns.name)")
      return (local * dim + column % dim, T(petscScalar: value))
    }.sorted { $0.column < $1.column }
  }

  /// Every entry, dense and row-major (`globalRowCount × globalColumnCount` values): for tests
  /// and small matrices. Forces the queued loops that write the Mat.
  ///
  /// Under MPI the call is collective and every rank gets the whole matrix, in the contiguous
  /// global numbering (rank 0's owned nodes first; scalar row `number * dim + a`; an extruded
  /// set's entity `(c, k)` is node `number(c) * layers + k`); without MPI
  /// this is the matrix in local numbers. PyOP2's `Mat.values`.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func denseValues() throws(OP2Error) -> [T] {
    if let blocks = blockMats { return try denseBlockValues(blocks) }
    try assemble()
    let columns = globalColumnCount
    var dense = [T](repeating: 0, count: globalRowCount * columns)
    guard let distribution = sparsity.rows.set.distribution, let offset = sparsity.rows.set.entityNumberingOffset else {
      for r in 0..<rowCount {
        for (c, v) in try handle.row(r) { dense[r * columns + c] = T(petscScalar: v) }
      }
      return dense
    }
    let first = offset * sparsity.rows.dim
    var positions: [Int] = [], values: [Double] = []
    for r in first..<(first + rowCount) {
      for (c, v) in try handle.row(r) {
        positions.append(r * columns + c)
        values.append(v)
      }
    }
    let communicator = distribution.communicator
    for (ps, vs) in zip(communicator.allgather(positions), communicator.allgather(values)) {
      for (p, v) in zip(ps, vs) { dense[p] = T(petscScalar: v) }
    }
    return dense
  }

  /// Sets every stored entry to zero, keeping the pattern (`MatZeroEntries`), after the queued
  /// loops that write the Mat run. Collective under MPI.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func zero() throws(OP2Error) {
    if let blocks = blockMats {
      for row in blocks { for b in row { try b.zero() } }
      return
    }
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
  /// Forces the queued loops that write the Mat, read `solution` or use `rhs`. A square
  /// Sparsity reserves every diagonal entry, so a node no element touches can be zeroed too.
  ///
  /// Under MPI the call is collective and `nodes` are *local* nodes, any of
  /// `0..<rows.set.totalSize`: owned ones and halo ones (`MatZeroRowsLocal` /
  /// `MatZeroRowsColumnsLocal`); PETSc zeroes each row on its owner, using the owner's value of
  /// `solution`. A row is zeroed when any rank names it; ranks with nothing to zero pass `[]`.
  /// Only the owned values of `rhs` change, and its halo is marked stale.
  ///
  /// - Parameters:
  ///   - nodes: Row nodes (local elements of the row set); each stands for `rows.dim` scalar rows.
  ///   - diagonal: The value put on the diagonal.
  ///   - symmetric: Zero the columns too.
  ///   - solution: Values on the boundary (a Dat on the columns' DataSet), or nil.
  ///   - rhs: The right-hand side to fix up (a Dat on the rows' DataSet), or nil.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for a node out
  ///   of range or a Dat on the wrong DataSet; ``OP2Error/petsc(operation:_:)``.
  public func zeroRows(_ nodes: [Int], diagonal: T = 1, symmetric: Bool = false,
                       solution: Dat<T>? = nil, rhs: Dat<T>? = nil) throws(OP2Error) {
    let operation = "Mat \(name).zeroRows"
    if blockMats != nil { throw blockMatrixError("zeroRows") }
    let size = sparsity.rows.set.totalEntityCount
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
    rhs?.haloState.markStale()
  }

  /// `y = A x` (`MatMult`). Forces the loops that write the Mat and `x`, and those that use `y`.
  ///
  /// Under MPI the call is collective; it reads the owned values of `x` (PETSc gathers the
  /// others it needs itself) and writes the owned values of `y`, whose halo is marked stale.
  /// - Throws: ``OP2Error/linearAlgebraMismatch(operation:object:expected:found:)`` for Dats on
  ///   the wrong DataSets; ``OP2Error/petsc(operation:_:)``.
  public func multiply(_ x: Dat<T>, into y: Dat<T>) throws(OP2Error) {
    let operation = "Mat \(name).multiply"
    if blockMats != nil { throw blockMatrixError("multiply") }
    try check(x, on: sparsity.cols, operation: operation)
    try check(y, on: sparsity.rows, operation: operation)
    Runtime.current.prepareHostAccess(to: self, writing: false)
    Runtime.current.prepareHostAccess(to: x, writing: false)
    Runtime.current.prepareHostAccess(to: y, writing: true)
    try handle.multiply(Self.vec(x), into: Self.vec(y))
    y.haloState.markStale()
  }

  /// The Frobenius norm of the stored entries (`MatNorm`), of the whole matrix on every rank
  /// under MPI (collective). Forces the loops that write the Mat.
  /// - Throws: ``OP2Error/petsc(operation:_:)``.
  public func frobeniusNorm() throws(OP2Error) -> T {
    if let blocks = blockMats {
      var sum = 0.0
      for row in blocks { for b in row { let n = try b.frobeniusNorm().petscScalar; sum += n * n } }
      return T(petscScalar: sum.squareRoot())
    }
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
