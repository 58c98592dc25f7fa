/// What runs a rank's share of each loop: the node executor (PyOP2's backend).
///
/// Independent of how loops are *distributed*: a process started by `mpirun` runs its part of
/// every distributed set with the backend chosen here, so `mpirun -n 2` with `.threaded(threads: 2)`
/// is two ranks of two threads each (see ``OP2/distribution``). Choose with ``OP2/configure(backend:lazy:)`` or the environment variable `OP2_BACKEND`
/// (`sequential`, `threaded`; `OP2_THREADS` sets the thread count). Every backend runs the same
/// generated range wrapper; they differ only in how they split the iteration set.
///
/// The corresponding PyOP2 setting is `op2.init(backend=...)` (`sequential`, `openmp`, ...); OP2
/// links one of `libop2_seq`, `libop2_openmp`, ....
public enum Backend: Hashable, Sendable, CustomStringConvertible {
  /// One call of the wrapper over the whole set, on the calling thread.
  case sequential
  /// Blocks of the set on `threads` threads, colour by colour, so that no two threads write the
  /// same element at once.
  case threaded(threads: Int)

  /// Every backend that works on this machine, for tests that run on each
  /// (`@Test(arguments: Backend.available)`).
  public static var available: [Backend] { [.sequential, .threaded(threads: 2), .threaded(threads: 3)] }

  /// The backend named by `OP2_BACKEND` and `OP2_THREADS` (default: sequential).
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for an unknown name or
  ///   a thread count that is not a positive integer.
  ///   `OP2_THREADS` is checked even when the backend does not use it.
  public static func fromEnvironment(_ env: [String: String]) throws(OP2Error) -> Backend {
    try fromEnvironment(env, backendSource: "OP2_BACKEND", threadsSource: "OP2_THREADS")
  }

  /// As ``fromEnvironment(_:)``, naming the settings in errors as `backendSource` and
  /// `threadsSource` (`--backend` when an app's flag supplied the value).
  package static func fromEnvironment(
    _ env: [String: String], backendSource: String, threadsSource: String
  ) throws(OP2Error) -> Backend {
    let name = env["OP2_BACKEND"].flatMap { $0.isEmpty ? nil : $0 } ?? "sequential"  // empty is unset
    let threads = try threadCount(env["OP2_THREADS"], source: threadsSource)
    switch name.lowercased() {
    case "sequential", "seq":
      return .sequential
    case "threaded", "openmp", "threads":
      return .threaded(threads: threads)
    default:
      throw .invalidConfiguration(variable: backendSource, value: name, expected: "sequential or threaded")
    }
  }

  /// Parses `OP2_THREADS`; `nil` means one thread per core.
  package static func threadCount(_ value: String?, source: String = "OP2_THREADS") throws(OP2Error) -> Int {
    try Setting.positiveInteger(source, value) ?? ProcessorCount.online
  }

  public var description: String {
    switch self {
    case .sequential: return "sequential"
    case .threaded(let threads): return "threaded(\(threads) threads)"
    }
  }

  package func makeExecutor() -> any BackendExecutor {
    switch self {
    case .sequential: return SequentialExecutor()
    case .threaded(let threads): return ThreadedExecutor(threads: threads)
    }
  }
}

/// The one protocol a node executor implements: launch validated loops' compiled wrappers over a
/// range of the iteration set.
///
/// Everything shared — validation, code generation, compilation, fusion, timing, and the
/// distribution layer's halo exchanges and reductions across ranks — happens around this call,
/// so an executor holds only what differs (how a range is split among threads). A group of more
/// than one loop is fused (see ``LoopGroup``): the executor runs every loop on a block before the
/// next block. Loops that assemble a ``Mat`` run the same way everywhere and do not come here.
package protocol BackendExecutor: Sendable {
  /// Runs every loop of `group` on the elements in `range`.
  func execute(_ group: LoopGroup, range: Range<Int>, context: ExecutionContext) throws(OP2Error)
}

/// What an executor may need from the runtime that runs it, passed down rather than looked up.
package struct ExecutionContext: Sendable {
  /// Check every new plan's invariants (``OP2/Configuration/checkPlans``).
  package var checkPlans: Bool
  /// Records a new plan's construction time and shape in the timing report.
  package var recordPlan: @Sendable (_ loop: String, _ seconds: Double, _ colours: Int, _ blocks: Int) -> Void

  package init(checkPlans: Bool = false,
              recordPlan: @escaping @Sendable (String, Double, Int, Int) -> Void = { _, _, _, _ in }) {
    self.checkPlans = checkPlans
    self.recordPlan = recordPlan
  }
}

package enum ProcessorCount {
  package static var online: Int { max(1, Runtime.processorCount) }
}
