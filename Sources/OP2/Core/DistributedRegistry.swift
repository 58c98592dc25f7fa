import Synchronization

/// A Dat seen without its element type, as partitioning moves it: its shape and its storage.
package protocol _DistributableData: _ArgData {
  /// Values per element and bytes per value.
  var dataSet: DataSet { get }
  /// Replaces the storage (partitioning migrates the values and adds halo space).
  func replaceStorage(_ storage: _UnsafeDatBuffer)
}

/// The live Sets, Maps and Dats of a process launched by `mpirun`, in declaration order: what
/// ``OP2/partition(primary:map:method:)`` distributes (OP2 keeps the same lists, `OP_set_list`,
/// `OP_map_list`, `OP_dat_list`).
///
/// Entries are weak, so an object the program dropped is neither kept alive nor partitioned.
/// Nothing is recorded in a process that MPI did not launch, where partitioning has nothing to do.
package final class DistributedRegistry: Sendable {
  package static let shared = DistributedRegistry()

  private struct Weak<T: AnyObject> { weak var value: T? }
  private struct State {
    var sets: [Weak<Set>] = []
    var maps: [Weak<Map>] = []
    var dats: [Weak<AnyObject>] = []
    var sinceCompaction = 0
  }
  private let state = Mutex(State())
  private let enabled = MPIEnvironment.launched

  func register(_ set: Set) {
    guard enabled else { return }
    state.withLock { $0.sets.append(Weak(value: set)); Self.compactIfDue(&$0) }
  }

  func register(_ map: Map) {
    guard enabled else { return }
    state.withLock { $0.maps.append(Weak(value: map)); Self.compactIfDue(&$0) }
  }

  func register(_ dat: some _DistributableData) {
    guard enabled else { return }
    state.withLock { $0.dats.append(Weak(value: dat)); Self.compactIfDue(&$0) }
  }

  /// The live objects, in declaration order.
  package var sets: [Set] { state.withLock { $0.sets.compactMap(\.value) } }
  package var maps: [Map] { state.withLock { $0.maps.compactMap(\.value) } }
  package var dats: [any _DistributableData] {
    state.withLock { $0.dats.compactMap { $0.value as? any _DistributableData } }
  }

  private static func compactIfDue(_ s: inout State) {
    s.sinceCompaction += 1
    guard s.sinceCompaction >= 1024 else { return }
    s.sinceCompaction = 0
    s.sets.removeAll { $0.value == nil }
    s.maps.removeAll { $0.value == nil }
    s.dats.removeAll { $0.value == nil }
  }
}
