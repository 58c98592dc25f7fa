import CPETSc
import Foundation

// Every PETSc call swift-op2 makes, as thin forwards (compare swift-system's Syscalls.swift).
// This file and its C shim are the only places that see PETSc's types and pointers.

/// Process-wide PETSc state: one lazy, thread-safe initialisation and one lock.
///
/// PETSc is not thread-safe, and Swift Testing (or a user) may drive several runtimes at once, so
/// every PETSc call — including the insertion calls of assembly loops — runs under ``lock``.
package enum PETSc {
  /// Serialises all PETSc calls. Recursive, so that helpers may nest.
  static let lock = NSRecursiveLock()

  /// MPI first (``MPIEnvironment/initialize()``: `MPI_Init_thread` with `MPI_THREAD_MULTIPLE`
  /// unless it is up, and its orderly end at exit), then `PetscInitialize` without arguments and
  /// the quiet error handler, once per process (Swift runs a static's initialiser exactly once,
  /// thread-safely). `PetscFinalize` is registered to run at exit before `MPI_Finalize`.
  private static let initialisation: PETScError? = {
    MPIEnvironment.initialize()
    let code = ChildProcess.withEnvironmentLocked { op2shim_petsc_initialize() }
    guard code == 0 else { return error(code) }
    MPIEnvironment.addFinalizer(.libraries) { PETSc.lock.withLock { op2shim_petsc_finalize() } }
    return nil
  }()

  /// Whether PETSc objects may still be destroyed (PETSc started and not yet finalised at exit).
  static var isRunning: Bool { op2shim_petsc_is_running() != 0 }

  /// Initialises PETSc on first use.
  /// - Throws: ``OP2Error/petsc(operation:_:)`` when MPI or PETSc fail to start.
  package static func initialize() throws(OP2Error) {
    if let failure = initialisation { throw .petsc(operation: "PetscInitialize", failure) }
  }

  /// Runs `body` holding ``lock``, after initialising PETSc.
  package static func locked<R>(_ body: () throws(OP2Error) -> R) throws(OP2Error) -> R {
    try initialize()
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  /// PETSc's texts for `code`: the generic sentence and the latest error's specific message.
  fileprivate static func error(_ code: PetscErrorCode, detail: String? = nil) -> PETScError {
    var text: UnsafePointer<CChar>?
    var specific: UnsafePointer<CChar>?
    op2shim_petsc_error_message(code, &text, &specific)
    return PETScError(rawValue: code, message: text.map { String(cString: $0) } ?? "",
                      detail: detail ?? specific.map { String(cString: $0) } ?? "")
  }

  /// Adds options to PETSc's database, as if given on the command line (`"-ksp_monitor -pc_type gamg"`).
  package static func insertOptions(_ text: String) throws(OP2Error) {
    try locked { () throws(OP2Error) in try petsc("PetscOptionsInsertString") { PetscOptionsInsertString(nil, text) } }
  }

  /// The name of a `KSPConvergedReason`, such as `DIVERGED_ITS`.
  package static func reasonName(_ raw: Int32) -> String {
    String(cString: op2shim_ksp_reason_name(raw))
  }
}

/// The one converter from PETSc's error codes: runs `body` and throws its nonzero code as
/// ``OP2Error/petsc(operation:_:)`` with PETSc's message. Call it holding ``PETSc/lock``.
@inline(__always)
func petsc(_ operation: @autoclosure () -> String, _ body: () -> PetscErrorCode) throws(OP2Error) {
  let code = body()
  if code != 0 { throw .petsc(operation: operation(), PETSc.error(code)) }
}

/// Wraps a Dat's owned values as a PETSc Vec for the duration of `body` (no copy), then destroys
/// the Vec, even when `body` throws: `VecCreateMPIWithArray` on the set's communicator for a
/// distributed set, `VecCreateSeqWithArray` otherwise.
private func withVec<R>(_ v: _VecStorage, _ body: (Vec?) throws(OP2Error) -> R) throws(OP2Error) -> R {
  var vec: Vec?
  let array = v.storage.baseAddress.assumingMemoryBound(to: Double.self)
  if let communicator = v.communicator {
    try petsc("VecCreateMPIWithArray") {
      op2shim_vec_wrap_mpi(communicator._handle, PetscInt(v.blockSize), PetscInt(v.count), PetscInt(v.globalCount), array, &vec)
    }
  } else {
    try petsc("VecCreateSeqWithArray") { op2shim_vec_wrap(PetscInt(v.blockSize), PetscInt(v.count), array, &vec) }
  }
  defer { VecDestroy(&vec) }
  return try body(vec)
}

/// A Dat's storage seen as a Vec: what ``withVec`` needs. `count` values here (the owned ones),
/// `globalCount` over all ranks, on `communicator` when the Dat's set is distributed.
package struct _VecStorage {
  package var storage: _UnsafeDatBuffer
  package var count: Int
  package var blockSize: Int
  package var communicator: Communicator?
  package var globalCount: Int
  package init(storage: _UnsafeDatBuffer, count: Int, blockSize: Int, communicator: Communicator? = nil, globalCount: Int? = nil) {
    self.storage = storage
    self.count = count
    self.blockSize = blockSize
    self.communicator = communicator
    self.globalCount = globalCount ?? count
  }
}

private func withOptionalVec<R>(_ v: _VecStorage?, _ body: (Vec?) throws(OP2Error) -> R) throws(OP2Error) -> R {
  guard let v else { return try body(nil) }
  return try withVec(v, body)
}

// MARK: - Mat

/// A PETSc matrix preallocated from a ``Sparsity``, with the insertion contexts generated
/// wrappers call through. Destroys the matrix on deinit.
///
/// Sequential (`MATSEQAIJ` on `PETSC_COMM_SELF`) when the row set is not distributed; otherwise
/// `MATMPIAIJ` on the sets' communicator, with local-to-global mappings over every local node
/// (entity, for an ``ExtrudedSet``: ``Set/contiguousEntityNumbers``), so
/// that wrappers insert with local indices (`MatSetValuesLocal`) and rows owned elsewhere are
/// dropped. Every collective call on a distributed Mat is made by every rank, in the same order.
package final class _MatHandle: @unchecked Sendable {
  fileprivate var mat: CPETSc.Mat?
  private let state: UnsafeMutablePointer<op2shim_mat_state>
  /// [ADD_VALUES context, INSERT_VALUES context].
  private let contexts: UnsafeMutablePointer<op2shim_mat_context>
  package let name: String
  /// The communicator of a distributed Mat; nil for a sequential one.
  package let communicator: Communicator?
  /// The insertion mode of the assembly loops run since the last assembly: the same on every
  /// rank, because every rank runs every loop (even over no elements).
  private var loopMode: Access?

  package init(sparsity: Sparsity, name: String) throws(OP2Error) {
    self.name = name
    let s = sparsity.storage
    let rowSet = s.rows.set, colSet = s.cols.set
    var distributed: Communicator?
    if rowSet.distribution != nil || colSet.distribution != nil {
      guard let rd = rowSet.distribution, let cd = colSet.distribution, rd.communicator === cd.communicator else {
        throw .linearAlgebraMismatch(
          operation: "Mat \(name)", object: "Sparsity \(sparsity.name)",
          expected: "rows and columns both distributed on one communicator, or neither",
          found: "rows on \(rowSet.name) \(rowSet.isDistributed ? "distributed" : "not distributed"), columns on \(colSet.name) \(colSet.isDistributed ? "distributed" : "not distributed")")
      }
      distributed = rd.communicator
    }
    communicator = distributed
    var created: CPETSc.Mat?
    try PETSc.locked { () throws(OP2Error) in
      let operation = "MatCreate (Mat \(name), \(sparsity.name))"
      // Distributed: columns in the contiguous numbering, and every local node's number for the
      // local-to-global mappings; sequential: local columns, no mappings.
      let columns = s.contiguousColumns()
      // Nodes are entities: an ExtrudedSet's column number × layers + layer.
      let rowNumbers = rowSet.contiguousEntityNumbers.map { $0.map { PetscInt($0) } } ?? []
      let colNumbers = colSet.contiguousEntityNumbers.map { $0.map { PetscInt($0) } } ?? []
      try s.rowOffsets.withUnsafeBufferPointer { (rowptr) throws(OP2Error) in
        try columns.withUnsafeBufferPointer { (colidx) throws(OP2Error) in
          try rowNumbers.withUnsafeBufferPointer { (rn) throws(OP2Error) in
            try colNumbers.withUnsafeBufferPointer { (cn) throws(OP2Error) in
              try petsc(operation) {
                // Nodes: an ExtrudedSet's are its entities (layers per column).
                op2shim_mat_create(distributed?._handle ?? op2shim_petsc_comm_self(),
                                   PetscInt(rowSet.size * rowSet.entitiesPerElement), PetscInt(colSet.size * colSet.entitiesPerElement),
                                   PetscInt(rowSet.globalSize * rowSet.entitiesPerElement), PetscInt(colSet.globalSize * colSet.entitiesPerElement),
                                   PetscInt(s.rows.dim), PetscInt(s.cols.dim), rowptr.baseAddress, colidx.baseAddress,
                                   PetscInt(rn.count), distributed == nil ? nil : rn.baseAddress,
                                   PetscInt(cn.count), distributed == nil ? nil : cn.baseAddress, &created)
              }
            }
          }
        }
      }
      if distributed != nil {
        // PETSc numbers rows by rank from the local sizes; the sets' contiguous numbering must
        // be that one, or local-to-global mappings would send values to the wrong rows.
        var first: PetscInt = 0, end: PetscInt = 0, firstColumn: PetscInt = 0
        try petsc("MatGetOwnershipRange") { MatGetOwnershipRange(created, &first, &end) }
        try petsc("MatGetOwnershipRangeColumn") { MatGetOwnershipRangeColumn(created, &firstColumn, &end) }
        let offsets = (rowSet.entityNumberingOffset!, colSet.entityNumberingOffset!)
        guard Int(first) == offsets.0 * s.rows.dim, Int(firstColumn) == offsets.1 * s.cols.dim else {
          MatDestroy(&created)
          throw .linearAlgebraMismatch(
            operation: "Mat \(name)", object: "the contiguous numbering of \(rowSet.name) and \(colSet.name)",
            expected: "numbering offsets \(Int(first) / s.rows.dim) and \(Int(firstColumn) / s.cols.dim) (the owned sizes of the lower ranks)",
            found: "\(offsets.0) and \(offsets.1)")
        }
      }
      try petsc("PetscObjectSetName") { PetscObjectSetName(created, name) }
    }
    mat = created
    (state, contexts) = Self.insertionContexts(for: created, rdim: PetscInt(s.rows.dim), cdim: PetscInt(s.cols.dim))
  }

  /// A block matrix (`MATNEST`) of `blocks[i][j]`, on their communicator (`PETSC_COMM_SELF` when
  /// they are sequential). The nest references the blocks' Mats (PETSc counts the references),
  /// so it stays valid while this handle lives; loops never insert into it directly.
  package init(nest blocks: [[_MatHandle]], name: String) throws(OP2Error) {
    self.name = name
    let shared = blocks[0][0].communicator
    communicator = shared
    let rows = blocks.count, cols = blocks[0].count
    var created: CPETSc.Mat?
    try PETSc.locked { () throws(OP2Error) in
      let mats: [CPETSc.Mat?] = blocks.flatMap { $0.map(\.mat) }
      try mats.withUnsafeBufferPointer { (m) throws(OP2Error) in
        try petsc("MatCreateNest (Mat \(name))") {
          MatCreateNest(shared?._handle ?? op2shim_petsc_comm_self(), PetscInt(rows), nil, PetscInt(cols), nil, m.baseAddress, &created)
        }
      }
      try petsc("PetscObjectSetName") { PetscObjectSetName(created, name) }
    }
    mat = created
    (state, contexts) = Self.insertionContexts(for: created, rdim: 1, cdim: 1)
  }

  /// A monolithic AIJ copy of an assembled nest (`MatConvert` to `MATAIJ`), in the nest's global
  /// numbering, so the nest's index sets describe its fields too.
  package init(convertingToAIJ nest: _MatHandle) throws(OP2Error) {
    name = nest.name
    communicator = nest.communicator
    var created: CPETSc.Mat?
    try PETSc.locked { () throws(OP2Error) in
      try petsc("MatConvert (Mat \(nest.name) to AIJ)") { MatConvert(nest.mat, MATAIJ, MAT_INITIAL_MATRIX, &created) }
    }
    mat = created
    (state, contexts) = Self.insertionContexts(for: created, rdim: 1, cdim: 1)
  }

  /// The insertion state and the two insertion contexts (ADD_VALUES, INSERT_VALUES) the generated
  /// Mat wrappers call through; freed in `deinit`.
  private static func insertionContexts(for mat: CPETSc.Mat?, rdim: PetscInt, cdim: PetscInt)
    -> (UnsafeMutablePointer<op2shim_mat_state>, UnsafeMutablePointer<op2shim_mat_context>) {
    let state = UnsafeMutablePointer<op2shim_mat_state>.allocate(capacity: 1)
    state.initialize(to: op2shim_mat_state())
    state.pointee.lastMode = NOT_SET_VALUES
    let contexts = UnsafeMutablePointer<op2shim_mat_context>.allocate(capacity: 2)
    for (k, mode) in [ADD_VALUES, INSERT_VALUES].enumerated() {
      (contexts + k).initialize(to: op2shim_mat_context(mat: mat, mode: mode, rdim: rdim, cdim: cdim, state: state))
    }
    return (state, contexts)
  }

  /// MatAssemblyBegin/End whatever the assembled flag says: a nest's blocks may have changed
  /// (new values, zeroed rows) since it was last assembled, and this is what tells a KSP that
  /// its operator changed (the object state rises). Collective under MPI.
  package func reassemble() throws(OP2Error) {
    try PETSc.locked { () throws(OP2Error) in
      try petsc("MatAssemblyBegin (Mat \(name))") { MatAssemblyBegin(mat, MAT_FINAL_ASSEMBLY) }
      try petsc("MatAssemblyEnd (Mat \(name))") { MatAssemblyEnd(mat, MAT_FINAL_ASSEMBLY) }
    }
  }

  deinit {
    PETSc.lock.withLock { if PETSc.isRunning { _ = MatDestroy(&mat) } }
    contexts.deinitialize(count: 2)
    contexts.deallocate()
    state.deinitialize(count: 1)
    state.deallocate()
  }

  /// The block a generated wrapper's Mat argument points at: the insertion function (local
  /// indices for a distributed Mat), the context for `access` (INC adds, WRITE inserts) and the
  /// column map's entries.
  package func launchBlock(access: Access, colMap: Map) -> _UnsafeDatBuffer {
    let block = _UnsafeDatBuffer(byteCount: 3 * MemoryLayout<UnsafeMutableRawPointer>.stride)
    let slots = block.baseAddress.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    let insert = communicator == nil ? op2shim_mat_add_pointer() : op2shim_mat_add_local_pointer()
    slots[0] = unsafeBitCast(insert, to: UnsafeMutableRawPointer?.self)
    slots[1] = UnsafeMutableRawPointer(contexts + (access == .write ? 1 : 0))
    slots[2] = colMap.storage.baseAddress
    return block
  }

  /// Called by every rank before an assembly loop inserts with `access`, holding the lock: a
  /// distributed Mat gets the flush that separates INC from WRITE here, collectively, rather than
  /// in the insertion callback, which a rank with no elements would never reach.
  package func prepareLoop(access: Access) {
    guard communicator != nil else { return }
    if let previous = loopMode, previous != access {
      let code = op2shim_mat_flush(mat, state)
      if code != 0, state.pointee.error == 0 { op2shim_mat_record_error(state, code) }
    }
    loopMode = access
  }

  /// Reports an insertion error of the loops that ran, then finishes assembly if values were set
  /// since the last one (MatAssemblyBegin/End with MAT_FINAL_ASSEMBLY). For a distributed Mat the
  /// ranks first agree on both (one allreduce of the largest error code and of "some rank set
  /// values"), so that all of them throw, or assemble, together.
  package func assemble() throws(OP2Error) {
    try PETSc.locked { () throws(OP2Error) in
      var assembled = PETSC_FALSE
      try petsc("MatAssembled") { MatAssembled(mat, &assembled) }
      var code = state.pointee.error
      var unassembled = assembled != PETSC_TRUE
      if let communicator {
        // On swift-op2's own communicator, never on PETSc's inner one.
        let agreed = communicator.allreduce([Int(code), unassembled ? 1 : 0], .max)
        code = PetscErrorCode(agreed[0])
        unassembled = agreed[1] != 0
      }
      if code != 0 {
        let message = state.pointee.error == 0 ? "an insertion failed on another rank" : withUnsafeBytes(of: &state.pointee.message) { raw in
          String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        state.pointee.error = 0
        throw .petsc(operation: "MatSetValues (assembling Mat \(name))", PETSc.error(code, detail: message))
      }
      if unassembled {
        try petsc("MatAssemblyBegin (Mat \(name))") { MatAssemblyBegin(mat, MAT_FINAL_ASSEMBLY) }
        try petsc("MatAssemblyEnd (Mat \(name))") { MatAssemblyEnd(mat, MAT_FINAL_ASSEMBLY) }
      }
      state.pointee.lastMode = NOT_SET_VALUES
      loopMode = nil
    }
  }

  /// Whether this rank's part is assembled, with no insertion error pending: what reading owned
  /// rows of a distributed Mat needs, found without communication.
  package func isAssembledHere() throws(OP2Error) -> Bool {
    try PETSc.locked { () throws(OP2Error) in
      var assembled = PETSC_FALSE
      try petsc("MatAssembled") { MatAssembled(mat, &assembled) }
      return assembled == PETSC_TRUE && state.pointee.error == 0
    }
  }

  /// MatZeroEntries: every stored entry becomes zero; the pattern stays.
  package func zeroEntries() throws(OP2Error) {
    try assemble()
    try PETSc.locked { () throws(OP2Error) in try petsc("MatZeroEntries (Mat \(name))") { MatZeroEntries(mat) } }
  }

  /// MatZeroRows (or MatZeroRowsColumns when `symmetric`) on scalar rows, with `diagonal` on the
  /// diagonal; with `x` and `b`, sets `b[row] = diagonal * x[row]` (and, when symmetric, moves the
  /// zeroed columns' contributions of `x` into `b`). For a distributed Mat `rows` are local
  /// scalar rows (halo ones included) and the `Local` variants map them; PETSc sends each to its
  /// owner.
  package func zeroRows(_ rows: [Int32], diagonal: Double, symmetric: Bool, x: _VecStorage?, b: _VecStorage?) throws(OP2Error) {
    try assemble()
    let local = communicator != nil
    try PETSc.locked { () throws(OP2Error) in
      try withOptionalVec(x) { (vx) throws(OP2Error) in
        try withOptionalVec(b) { (vb) throws(OP2Error) in
          try rows.withUnsafeBufferPointer { (r) throws(OP2Error) in
            let n = PetscInt(r.count)
            switch (symmetric, local) {
            case (true, false):
              try petsc("MatZeroRowsColumns (Mat \(name))") { MatZeroRowsColumns(mat, n, r.baseAddress, diagonal, vx, vb) }
            case (false, false):
              try petsc("MatZeroRows (Mat \(name))") { MatZeroRows(mat, n, r.baseAddress, diagonal, vx, vb) }
            case (true, true):
              try petsc("MatZeroRowsColumnsLocal (Mat \(name))") { MatZeroRowsColumnsLocal(mat, n, r.baseAddress, diagonal, vx, vb) }
            case (false, true):
              try petsc("MatZeroRowsLocal (Mat \(name))") { MatZeroRowsLocal(mat, n, r.baseAddress, diagonal, vx, vb) }
            }
          }
        }
      }
    }
  }

  /// The stored entries of scalar row `row` (a global row this rank owns): (global column,
  /// value), ascending by column. Call after ``assemble()``.
  package func row(_ row: Int) throws(OP2Error) -> [(column: Int, value: Double)] {
    try PETSc.locked { () throws(OP2Error) in
      var count: PetscInt = 0
      var cols: UnsafePointer<PetscInt>?
      var vals: UnsafePointer<PetscScalar>?
      try petsc("MatGetRow (Mat \(name), row \(row))") { MatGetRow(mat, PetscInt(row), &count, &cols, &vals) }
      var out: [(column: Int, value: Double)] = []
      out.reserveCapacity(Int(count))
      for k in 0..<Int(count) { out.append((Int(cols![k]), vals![k])) }
      try petsc("MatRestoreRow") { MatRestoreRow(mat, PetscInt(row), &count, &cols, &vals) }
      return out
    }
  }

  /// y = A x (MatMult).
  package func multiply(_ x: _VecStorage, into y: _VecStorage) throws(OP2Error) {
    try assemble()
    try PETSc.locked { () throws(OP2Error) in
      try withVec(x) { (vx) throws(OP2Error) in
        try withVec(y) { (vy) throws(OP2Error) in
          try petsc("MatMult (Mat \(name))") { MatMult(mat, vx, vy) }
        }
      }
    }
  }

  /// The sum of squares of every stored entry, square-rooted (MatNorm, NORM_FROBENIUS).
  package func frobeniusNorm() throws(OP2Error) -> Double {
    try assemble()
    return try PETSc.locked { () throws(OP2Error) in
      var norm: PetscReal = 0
      try petsc("MatNorm (Mat \(name))") { MatNorm(mat, NORM_FROBENIUS, &norm) }
      return norm
    }
  }
}

// MARK: - KSP

/// A PETSc Krylov solver (KSP with its PC). Destroys it on deinit.
package final class _KSPHandle: @unchecked Sendable {
  private var ksp: KSP?
  package let name: String
  /// The nest whose row index sets were given to this KSP's fieldsplit PC (once per KSP: PETSc
  /// appends a split for every call).
  private var fieldsOf: ObjectIdentifier?

  package init(name: String) throws(OP2Error) {
    self.name = name
    var created: KSP?
    try PETSc.locked { () throws(OP2Error) in
      try petsc("KSPCreate (Solver \(name))") { KSPCreate(op2shim_petsc_comm_self(), &created) }
    }
    ksp = created
  }

  deinit { PETSc.lock.withLock { if PETSc.isRunning { _ = KSPDestroy(&ksp) } } }

  /// Sets the operator and the options: first `options` (keys with or without the leading `-`,
  /// such as `ksp_type`, `pc_type`, `ksp_rtol`), then PETSc's options database under `prefix`,
  /// which overrides them (`PETSC_OPTIONS`, ``PETSc/insertOptions(_:)``).
  package func configure(operator mat: _MatHandle, options: [String: String], prefix: String, fields: _MatHandle? = nil) throws(OP2Error) {
    try mat.assemble()
    try PETSc.locked { () throws(OP2Error) in
      // The KSP lives on the Mat's communicator: made on PETSC_COMM_SELF, it is made again the
      // first time it meets a distributed Mat (and back, should a sequential one follow).
      if op2shim_ksp_comm(ksp) != op2shim_mat_comm(mat.mat) {
        var created: KSP?
        try petsc("KSPCreate (Solver \(name), Mat \(mat.name))") { KSPCreate(op2shim_mat_comm(mat.mat), &created) }
        KSPDestroy(&ksp)
        ksp = created
        fieldsOf = nil
      }
      try petsc("KSPSetOperators (Solver \(name), Mat \(mat.name))") { KSPSetOperators(ksp, mat.mat, mat.mat) }
      // The dictionary goes in under a private prefix, is read, and is taken out again, so that
      // solvers never see each other's options.
      let privatePrefix = "op2_\(UInt(bitPattern: ObjectIdentifier(self).hashValue))_"
      let names = options.keys.sorted().map { key in "-" + privatePrefix + (key.hasPrefix("-") ? String(key.dropFirst()) : key) }
      for (key, optionName) in zip(options.keys.sorted(), names) {
        let value = options[key]!
        try petsc("PetscOptionsSetValue (\(optionName) \(value))") {
          PetscOptionsSetValue(nil, optionName, value.isEmpty ? nil : value)
        }
      }
      defer { for n in names { _ = PetscOptionsClearValue(nil, n) } }
      try petsc("KSPSetOptionsPrefix") { KSPSetOptionsPrefix(ksp, privatePrefix) }
      try petsc("KSPSetFromOptions (Solver \(name), options \(options))") { KSPSetFromOptions(ksp) }
      try petsc("KSPSetOptionsPrefix") { KSPSetOptionsPrefix(ksp, prefix) }
      try petsc("KSPSetFromOptions (Solver \(name), options database)") { KSPSetFromOptions(ksp) }
      if let fields, fieldsOf != ObjectIdentifier(fields) { try setFields(of: fields) }
    }
  }

  /// Gives a fieldsplit PC the nest's row index sets as splits "0", "1", … (so that
  /// `-fieldsplit_0_pc_type` and `-pc_fieldsplit_type schur` apply to the blocks); does nothing
  /// for another PC type.
  private func setFields(of mat: _MatHandle) throws(OP2Error) {
    var pc: PC?
    var pcType: PCType?
    try petsc("KSPGetPC") { KSPGetPC(ksp, &pc) }
    try petsc("PCGetType") { PCGetType(pc, &pcType) }
    guard let pcType, String(cString: pcType) == "fieldsplit" else { return }
    var rows: PetscInt = 0, cols: PetscInt = 0
    try petsc("MatNestGetSize (Mat \(mat.name))") { MatNestGetSize(mat.mat, &rows, &cols) }
    var sets = [IS?](repeating: nil, count: Int(rows))
    try sets.withUnsafeMutableBufferPointer { (b) throws(OP2Error) in
      try petsc("MatNestGetISs (Mat \(mat.name))") { MatNestGetISs(mat.mat, b.baseAddress, nil) }
    }
    for (k, field) in sets.enumerated() {
      try petsc("PCFieldSplitSetIS (Solver \(name), field \(k))") { PCFieldSplitSetIS(pc, "\(k)", field) }
    }
    fieldsOf = ObjectIdentifier(mat)
  }

  /// KSPSolve on wrapped storage; returns the iteration count, the residual norm and the raw
  /// `KSPConvergedReason`.
  package func solve(b: _VecStorage, x: _VecStorage) throws(OP2Error) -> (iterations: Int, residual: Double, reason: Int32) {
    try PETSc.locked { () throws(OP2Error) in
      try withVec(b) { (vb) throws(OP2Error) in
        try withVec(x) { (vx) throws(OP2Error) in
          try petsc("KSPSolve (Solver \(name))") { KSPSolve(ksp, vb, vx) }
          var iterations: PetscInt = 0
          var residual: PetscReal = 0
          var reason = KSP_CONVERGED_ITERATING
          try petsc("KSPGetIterationNumber") { KSPGetIterationNumber(ksp, &iterations) }
          try petsc("KSPGetResidualNorm") { KSPGetResidualNorm(ksp, &residual) }
          try petsc("KSPGetConvergedReason") { KSPGetConvergedReason(ksp, &reason) }
          return (Int(iterations), residual, Int32(reason.rawValue))
        }
      }
    }
  }

  /// The KSP and PC type names in effect, such as ("cg", "gamg").
  package func types() throws(OP2Error) -> (ksp: String, pc: String) {
    try PETSc.locked { () throws(OP2Error) in
      var kspType: KSPType?
      var pc: PC?
      var pcType: PCType?
      try petsc("KSPGetType") { KSPGetType(ksp, &kspType) }
      try petsc("KSPGetPC") { KSPGetPC(ksp, &pc) }
      try petsc("PCGetType") { PCGetType(pc, &pcType) }
      return (kspType.map { String(cString: $0) } ?? "", pcType.map { String(cString: $0) } ?? "")
    }
  }
}

// MARK: - Mat arguments of loops

/// The matrix part of a loop ``Arg``: the maps and the launch block the wrapper reads.
///
/// Not API. The wrapper's data pointer for a Mat argument is ``block``: three pointers — the
/// insertion function (`op2shim_mat_add`), its context, and the column map's entries. The row
/// map travels in the argument's usual map slot.
package final class _MatArgument: @unchecked Sendable {
  package let handle: _MatHandle
  package let sparsity: Sparsity
  package let rowMap: Map
  package let colMap: Map
  package let block: _UnsafeDatBuffer
  /// What a Mat reports as its storage (never read).
  package static let noStorage = _UnsafeDatBuffer(byteCount: 0)

  package init(handle: _MatHandle, sparsity: Sparsity, access: Access, rowMap: Map, colMap: Map) {
    self.handle = handle
    self.sparsity = sparsity
    self.rowMap = rowMap
    self.colMap = colMap
    block = handle.launchBlock(access: access, colMap: colMap)
  }
}

extension Mat {
  /// Unused: a Mat argument's wrapper pointer is its launch block (see ``_MatArgument``).
  package var storage: _UnsafeDatBuffer { _MatArgument.noStorage }

  /// A Dat's owned values as a Vec, without a copy: on the set's communicator when it is
  /// distributed (`size * dim` here, `globalSize * dim` in all).
  package static func vec(_ dat: Dat<T>) -> _VecStorage {
    let set = dat.dataSet.set
    return _VecStorage(storage: dat.storage, count: dat.dataSet.count, blockSize: dat.dataSet.dim,
                       communicator: set.distribution?.communicator, globalCount: set.globalSize * set.entitiesPerElement * dat.dataSet.dim)
  }
}
