import CMPI
import Foundation

// Every MPI call swift-op2 makes, as thin forwards over one communicator type (compare
// swift-system's Syscalls.swift). This file and its C shim are the only places that see MPI's
// handles and pointers. MPI's default error handler (MPI_ERRORS_ARE_FATAL) stays in place: a
// failing MPI call ends the whole job with MPI's message, which is what a user wants from a
// broken network, and no rank is left waiting.

/// A number type MPI can reduce (`MPI_SUM`, `MPI_MIN`, `MPI_MAX`).
package protocol MPIReducible: BitwiseCopyable {
  /// The code of the MPI datatype in `op2shim_mpi_type`.
  static var mpiTypeCode: Int32 { get }
}
extension Double: MPIReducible { package static var mpiTypeCode: Int32 { 1 } }
extension Float: MPIReducible { package static var mpiTypeCode: Int32 { 2 } }
extension Int32: MPIReducible { package static var mpiTypeCode: Int32 { 3 } }
extension Int64: MPIReducible { package static var mpiTypeCode: Int32 { 4 } }
extension Int: MPIReducible { package static var mpiTypeCode: Int32 { 4 } }
extension UInt64: MPIReducible { package static var mpiTypeCode: Int32 { 5 } }

/// An MPI communicator: its rank and size and the collectives swift-op2 needs, typed.
///
/// Collectives over arrays move any `BitwiseCopyable` element as bytes; counts are in elements
/// (a contiguous MPI datatype of the element's size), so a message may hold up to 2³¹ − 1
/// elements rather than bytes. Every call must be made by every rank of the communicator, in the
/// same order — the rule of MPI itself.
package final class Communicator: @unchecked Sendable {
  package enum Reduction: Int32 { case sum = 0, min = 1, max = 2 }

  fileprivate let handle: MPI_Comm
  /// The raw handle, for the C libraries that work on the communicator of a distributed set:
  /// PETSc (`PETSc+Unsafe.swift`: matrices, vectors, solvers) and PT-Scotch (`SCOTCH_dgraphInit`).
  /// Nothing else should use it; nothing may free it.
  var _handle: MPI_Comm { handle }
  /// This process's rank in the communicator.
  package let rank: Int
  /// The number of ranks.
  package let size: Int
  /// Whether `deinit` frees the communicator (a duplicate or split made by swift-op2).
  private let owned: Bool

  fileprivate init(handle: MPI_Comm, owned: Bool) {
    self.handle = handle
    self.owned = owned
    var r: Int32 = 0, s: Int32 = 0
    MPI_Comm_rank(handle, &r)
    MPI_Comm_size(handle, &s)
    rank = Int(r)
    size = Int(s)
  }

  deinit {
    if owned, op2shim_mpi_is_finalized() == 0 {
      var h: MPI_Comm? = handle
      MPI_Comm_free(&h)
    }
  }

  /// A private duplicate (`MPI_Comm_dup`): messages on it never match those of the program or of
  /// PETSc on the original.
  package func duplicate() -> Communicator {
    var out: MPI_Comm?
    MPI_Comm_dup(handle, &out)
    return Communicator(handle: out!, owned: true)
  }

  /// The ranks that share this one's memory (`MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`):
  /// the processes of one node.
  package func nodeLocal() -> Communicator {
    var out: MPI_Comm?
    MPI_Comm_split_type(handle, op2shim_mpi_comm_type_shared(), Int32(rank), op2shim_mpi_info_null(), &out)
    return Communicator(handle: out!, owned: true)
  }

  package func barrier() { MPI_Barrier(handle) }

  /// Ends every process of the job (`MPI_Abort`) with `code`.
  package func abort(code: Int32) -> Never {
    MPI_Abort(handle, code)
    exit(code)
  }

  // MARK: Reductions

  /// The element-wise reduction of `values` over all ranks, on every rank.
  package func allreduce<T: MPIReducible>(_ values: [T], _ op: Reduction) -> [T] {
    var out = values
    guard !values.isEmpty else { return out }
    values.withUnsafeBytes { src in
      out.withUnsafeMutableBytes { dst in
        _ = MPI_Allreduce(src.baseAddress, dst.baseAddress, Int32(values.count), op2shim_mpi_type(T.mpiTypeCode),
                          op2shim_mpi_op(op.rawValue), handle)
      }
    }
    return out
  }

  /// The reduction of one value over all ranks, on every rank.
  package func allreduce<T: MPIReducible>(_ value: T, _ op: Reduction) -> T { allreduce([value], op)[0] }

  /// In place: `buffer`'s first `count` values, of the MPI datatype `typeCode` (see
  /// ``MPIReducible``), become their reduction over all ranks.
  package func allreduceInPlace(_ buffer: _UnsafeDatBuffer, count: Int, typeCode: Int32, _ op: Reduction) {
    guard count > 0 else { return }
    MPI_Allreduce(op2shim_mpi_in_place(), buffer.baseAddress, Int32(count), op2shim_mpi_type(typeCode),
                  op2shim_mpi_op(op.rawValue), handle)
  }

  // MARK: Gathers, scatters, broadcasts

  /// One value from every rank, in rank order, on every rank.
  package func allgather<T: BitwiseCopyable>(_ value: T) -> [T] {
    allgather([value]).map { $0[0] }
  }

  /// Every rank's array, in rank order, on every rank (`MPI_Allgatherv`).
  package func allgather<T: BitwiseCopyable>(_ values: [T]) -> [[T]] {
    var counts = [Int32](repeating: 0, count: size)
    var mine = Int32(values.count)
    MPI_Allgather(&mine, 1, op2shim_mpi_type(3), &counts, 1, op2shim_mpi_type(3), handle)
    let (displacements, total) = Self.offsets(counts)
    var flat = [T]()
    withElementType(T.self) { type in
      flat = [T](unsafeUninitializedCapacity: total) { buffer, initialized in
        values.withUnsafeBytes { src in
          _ = MPI_Allgatherv(src.baseAddress, mine, type, buffer.baseAddress, counts, displacements, type, handle)
        }
        initialized = total
      }
    }
    return Self.split(flat, counts: counts, displacements: displacements)
  }

  /// Every rank's array on `root` (in rank order); empty elsewhere (`MPI_Gatherv`).
  package func gather<T: BitwiseCopyable>(_ values: [T], root: Int) -> [[T]] {
    var counts = [Int32](repeating: 0, count: size)
    var mine = Int32(values.count)
    MPI_Gather(&mine, 1, op2shim_mpi_type(3), &counts, 1, op2shim_mpi_type(3), Int32(root), handle)
    let (displacements, total) = Self.offsets(counts)
    var flat = [T]()
    withElementType(T.self) { type in
      flat = [T](unsafeUninitializedCapacity: rank == root ? total : 0) { buffer, initialized in
        values.withUnsafeBytes { src in
          _ = MPI_Gatherv(src.baseAddress, mine, type, buffer.baseAddress, counts, displacements, type, Int32(root), handle)
        }
        initialized = rank == root ? total : 0
      }
    }
    return rank == root ? Self.split(flat, counts: counts, displacements: displacements) : []
  }

  /// Part `r` of `parts` (given on `root`) on rank `r` (`MPI_Scatterv`).
  package func scatter<T: BitwiseCopyable>(_ parts: [[T]], root: Int) -> [T] {
    var counts = rank == root ? parts.map { Int32($0.count) } : [Int32](repeating: 0, count: size)
    MPI_Bcast(&counts, Int32(size), op2shim_mpi_type(3), Int32(root), handle)
    let (displacements, _) = Self.offsets(counts)
    let flat = rank == root ? parts.flatMap { $0 } : []
    let mine = Int(counts[rank])
    var out = [T]()
    withElementType(T.self) { type in
      out = [T](unsafeUninitializedCapacity: mine) { buffer, initialized in
        flat.withUnsafeBytes { src in
          _ = MPI_Scatterv(src.baseAddress, counts, displacements, type, buffer.baseAddress, Int32(mine), type, Int32(root), handle)
        }
        initialized = mine
      }
    }
    return out
  }

  /// `values` from `root` on every rank (the length travels first).
  package func broadcast<T: BitwiseCopyable>(_ values: [T], root: Int) -> [T] {
    var count = Int64(values.count)
    MPI_Bcast(&count, 1, op2shim_mpi_type(4), Int32(root), handle)
    var out = rank == root ? values : [T]()
    let n = Int(count)
    if rank != root {
      out = [T](unsafeUninitializedCapacity: n) { _, initialized in initialized = n }
    }
    guard n > 0 else { return out }
    withElementType(T.self) { type in
      out.withUnsafeMutableBytes { buffer in
        _ = MPI_Bcast(buffer.baseAddress, Int32(n), type, Int32(root), handle)
      }
    }
    return out
  }

  /// A string from `root` on every rank.
  package func broadcast(_ text: String, root: Int) -> String {
    String(decoding: broadcast(Array(text.utf8), root: root), as: UTF8.self)
  }

  /// Personalised all-to-all (`MPI_Alltoallv`): `outgoing[r]` goes to rank `r`; the result's
  /// element `r` came from rank `r`.
  package func alltoall<T: BitwiseCopyable>(_ outgoing: [[T]]) -> [[T]] {
    precondition(outgoing.count == size, "alltoall: \(outgoing.count) parts for \(size) ranks")
    var sendCounts = outgoing.map { Int32($0.count) }
    var receiveCounts = [Int32](repeating: 0, count: size)
    MPI_Alltoall(&sendCounts, 1, op2shim_mpi_type(3), &receiveCounts, 1, op2shim_mpi_type(3), handle)
    let (sendDisplacements, _) = Self.offsets(sendCounts)
    let (receiveDisplacements, total) = Self.offsets(receiveCounts)
    let flat = outgoing.flatMap { $0 }
    var incoming = [T]()
    withElementType(T.self) { type in
      incoming = [T](unsafeUninitializedCapacity: total) { buffer, initialized in
        flat.withUnsafeBytes { src in
          _ = MPI_Alltoallv(src.baseAddress, sendCounts, sendDisplacements, type,
                            buffer.baseAddress, receiveCounts, receiveDisplacements, type, handle)
        }
        initialized = total
      }
    }
    return Self.split(incoming, counts: receiveCounts, displacements: receiveDisplacements)
  }

  // MARK: Point to point

  /// Non-blocking sends and receives of raw buffers, completed together by ``wait()``.
  ///
  /// The buffers must stay alive and untouched until `wait` returns: they are memory the caller
  /// allocated explicitly (a Swift array's `&` pointer lives for one call only).
  package final class Requests {
    private var requests: UnsafeMutablePointer<MPI_Request?>
    private var capacity: Int
    private(set) var count = 0
    private let communicator: Communicator

    fileprivate init(_ communicator: Communicator, capacity: Int) {
      self.communicator = communicator
      self.capacity = max(capacity, 1)
      requests = .allocate(capacity: self.capacity)
    }

    deinit {
      if count > 0 { wait() }
      requests.deallocate()
    }

    private func reserve() {
      guard count == capacity else { return }
      let bigger = UnsafeMutablePointer<MPI_Request?>.allocate(capacity: capacity * 2)
      bigger.moveInitialize(from: requests, count: count)
      requests.deallocate()
      requests = bigger
      capacity *= 2
    }

    /// Posts a receive of `bytes` bytes from `source` into `buffer`.
    package func receive(into buffer: UnsafeMutableRawPointer, bytes: Int, from source: Int, tag: Int32) {
      reserve()
      (requests + count).initialize(to: op2shim_mpi_request_null())
      MPI_Irecv(buffer, Int32(bytes), op2shim_mpi_type(0), Int32(source), tag, communicator.handle, requests + count)
      count += 1
    }

    /// Posts a send of `bytes` bytes from `buffer` to `destination`.
    package func send(_ buffer: UnsafeRawPointer, bytes: Int, to destination: Int, tag: Int32) {
      reserve()
      (requests + count).initialize(to: op2shim_mpi_request_null())
      MPI_Isend(buffer, Int32(bytes), op2shim_mpi_type(0), Int32(destination), tag, communicator.handle, requests + count)
      count += 1
    }

    /// Waits for every posted request (`MPI_Waitall`).
    package func wait() {
      guard count > 0 else { return }
      op2shim_mpi_waitall(Int32(count), requests)
      requests.deinitialize(count: count)
      count = 0
    }
  }

  /// A new, empty set of requests on this communicator.
  package func requests(capacity: Int = 8) -> Requests { Requests(self, capacity: capacity) }

  // MARK: Helpers

  /// Runs `body` with an MPI datatype of `T`'s stride (MPI_BYTE for one-byte types).
  private func withElementType<T>(_: T.Type, _ body: (MPI_Datatype) -> Void) {
    let stride = MemoryLayout<T>.stride
    if stride == 1 { return body(op2shim_mpi_type(0)) }
    var type: MPI_Datatype?
    MPI_Type_contiguous(Int32(stride), op2shim_mpi_type(0), &type)
    MPI_Type_commit(&type)
    body(type!)
    MPI_Type_free(&type)
  }

  private static func offsets(_ counts: [Int32]) -> ([Int32], Int) {
    var displacements = [Int32](repeating: 0, count: counts.count)
    var total = 0
    for (i, c) in counts.enumerated() {
      precondition(total <= Int(Int32.max), "MPI message of more than 2^31 elements")
      displacements[i] = Int32(total)
      total += Int(c)
    }
    return (displacements, total)
  }

  private static func split<T>(_ flat: [T], counts: [Int32], displacements: [Int32]) -> [[T]] {
    zip(counts, displacements).map { c, d in Array(flat[Int(d)..<(Int(d) + Int(c))]) }
  }
}

// MARK: - Process-wide MPI state

/// Whether this process runs under MPI, and the world communicator when it does.
///
/// MPI starts on first use when the process was launched by `mpirun` (Open MPI's
/// `OMPI_COMM_WORLD_SIZE`, PMIx's `PMIX_RANK` or MPICH's `PMI_RANK` is set), and for PETSc in
/// any case (a singleton when not launched by `mpirun`). At exit, MPI is finalised after every
/// queued loop has run and PETSc has finished; a process that exits with a non-zero status while
/// other ranks may still be running ends the whole job with `MPI_Abort` instead, so that no rank
/// is left waiting in a collective for it.
package enum MPIEnvironment {
  /// Whether a launcher started this process as one rank of a job.
  package static let launched: Bool = {
    let env = ProcessInfo.processInfo.environment
    return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil
  }()

  /// The job's ranks on a private duplicate of `MPI_COMM_WORLD`, or nil when not launched by
  /// `mpirun` (then the process is rank 0 of 1 and never needs MPI for distribution).
  package static let world: Communicator? = {
    guard launched else { return nil }
    initialize()
    return Communicator(handle: op2shim_mpi_comm_world(), owned: false).duplicate()
  }()

  /// This process's ranks on its node, on a private communicator.
  package static let node: Communicator? = world?.nodeLocal()

  /// Starts MPI (once), and arranges its orderly end at exit.
  package static func initialize() { _ = started }

  private static let started: Void = {
    // MPI_Init sets environment variables: not while a compiler is being started.
    let rc = ChildProcess.withEnvironmentLocked { op2shim_mpi_init_if_needed() }
    precondition(rc == op2shim_mpi_success(), "swift-op2: MPI_Init failed with code \(rc)")
    on_exit({ status, _ in MPIEnvironment.atExit(status: status) }, nil)
  }()

  /// When a finalizer runs at exit, before `MPI_Finalize`: stage by stage, in this order.
  package enum FinalizationStage: Int, Comparable, Sendable {
    /// Run what is still queued (loops may communicate and use PETSc).
    case queuedWork
    /// Complete communication still in flight.
    case communication
    /// Finish the libraries on top of MPI (PETSc).
    case libraries
    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
  }

  /// Work that must happen before MPI ends at exit, registered by the layers above (the
  /// runtime, halo exchanges, the PETSc bridge).
  nonisolated(unsafe) private static var finalizers: [(stage: FinalizationStage, body: () -> Void)] = []
  private static let finalizerLock = NSLock()

  package static func addFinalizer(_ stage: FinalizationStage, _ body: @escaping () -> Void) {
    finalizerLock.withLock { finalizers.append((stage, body)) }
  }

  private static func atExit(status: Int32) {
    guard op2shim_mpi_is_finalized() == 0 else { return }
    if status != 0, let world, world.size > 1 {
      FileHandle.standardError.write(Data("swift-op2: rank \(world.rank) of \(world.size) is exiting with status \(status); ending the job\n".utf8))
      world.abort(code: status)
    }
    // A stable sort keeps registration order within a stage.
    let ordered = finalizerLock.withLock { finalizers }.enumerated().sorted { ($0.element.stage, $0.offset) < ($1.element.stage, $1.offset) }
    for (_, f) in ordered { f.body() }
    MPI_Finalize()
  }
}
