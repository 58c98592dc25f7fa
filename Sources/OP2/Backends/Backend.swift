/// What runs a rank's share of each loop: the node executor (PyOP2's backend).
///
/// Independent of how loops are *distributed*: a process started by `mpirun` runs its part of
/// every distributed set with the backend chosen here, so `mpirun -n 2` with `.threaded(threads: 2)`
/// is two ranks of two threads each (see ``OP2/distribution``). Choose with ``OP2/configure(backend:lazy:)`` or the environment variable `OP2_BACKEND`
/// (`sequential`, `threaded`, `opencl`; `OP2_THREADS` sets the thread count). The host backends
/// run the same generated range wrapper and differ only in how they split the iteration set;
/// `opencl` is a device target with its own generated program and device-resident data (see the
/// OpenCL article).
///
/// The corresponding PyOP2 setting is `op2.init(backend=...)` (`sequential`, `openmp`,
/// `opencl`, ...); OP2 links one of `libop2_seq`, `libop2_openmp`, `libop2_cuda`, ....
public enum Backend: Hashable, Sendable, CustomStringConvertible {
  /// One call of the wrapper over the whole set, on the calling thread.
  case sequential
  /// Blocks of the set on `threads` threads, colour by colour, so that no two threads write the
  /// same element at once.
  case threaded(threads: Int)
  /// An OpenCL device: `platform` and `device` are indices or parts of names (case-insensitive;
  /// `nil`: the first device of the first platform). `staging` says where loops on a plan keep
  /// their blocks' indirect data (``OpenCLStaging``; `nil`: `OP2_OPENCL_STAGING`, else `auto`).
  /// See the OpenCL article.
  case opencl(platform: String? = nil, device: String? = nil, staging: OpenCLStaging? = nil)

  /// Every backend that works on this machine, for tests that run on each
  /// (`@Test(arguments: Backend.available)`).
  /// OpenCL is among them where a platform with a device exists (PoCL's CPU device counts).
  public static var available: [Backend] {
    [.sequential, .threaded(threads: 2), .threaded(threads: 3)] + (OpenCLExecutor.isAvailable ? [.opencl()] : [])
  }

  /// The backend named by `OP2_BACKEND` and `OP2_THREADS` (default: sequential); for `opencl`,
  /// `OP2_OPENCL_PLATFORM` and `OP2_OPENCL_DEVICE` pick the device and `OP2_OPENCL_BLOCK_SIZE`
  /// the work-group size.
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
    case "opencl", "ocl":
      _ = try OpenCLExecutor.blockSize(fromEnvironment: env["OP2_OPENCL_BLOCK_SIZE"])
      return .opencl(platform: env["OP2_OPENCL_PLATFORM"], device: env["OP2_OPENCL_DEVICE"],
                     staging: try OpenCLStaging.fromEnvironment(env["OP2_OPENCL_STAGING"]))
    default:
      throw .invalidConfiguration(variable: backendSource, value: name, expected: "sequential, threaded or opencl")
    }
  }

  /// Parses `OP2_THREADS`; `nil` means one thread per core.
  package static func threadCount(_ value: String?, source: String = "OP2_THREADS") throws(OP2Error) -> Int {
    guard let n = try Setting.positiveInteger(source, value) else { return ProcessorCount.online }
    guard n <= maxThreads else {
      throw .invalidConfiguration(variable: source, value: value ?? "", expected: "at most \(maxThreads) threads")
    }
    return n
  }

  /// The most threads the threaded backend accepts: each thread gets its own argument vectors
  /// and reduction slots, and more threads than this are a mistake, not a machine.
  public static let maxThreads = 4096

  /// Why this backend cannot run, or nil: a thread count outside `1...maxThreads`.
  package var validationError: OP2Error? {
    if case .threaded(let n) = self, n < 1 || n > Self.maxThreads {
      return .invalidConfiguration(variable: "threads", value: String(n), expected: "from 1 to \(Self.maxThreads) threads")
    }
    return nil
  }

  public var description: String {
    switch self {
    case .sequential: return "sequential"
    case .threaded(let threads): return "threaded(\(threads) threads)"
    case .opencl(let platform, let device, let staging):
      let choice = [platform.map { "platform \($0)" }, device.map { "device \($0)" }, staging.map { "\($0.rawValue) staging" }].compactMap { $0 }
      return choice.isEmpty ? "opencl" : "opencl(\(choice.joined(separator: ", ")))"
    }
  }

  /// The execution target: a host executor over the compiled C wrappers, or a device target;
  /// `cacheDirectory` holds a device target's program binaries.
  package func makeExecutor(cacheDirectory: String? = nil) -> any BackendExecutor {
    switch self {
    case .sequential: return SequentialExecutor()
    case .threaded(let threads): return ThreadedExecutor(threads: threads)
    case .opencl(let platform, let device, let staging):
      return OpenCLExecutor(platform: platform, device: device, staging: staging, cacheDirectory: cacheDirectory)
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
///
/// This is the execution-target seam: host targets (sequential, threaded) launch the compiled C
/// wrapper that the runtime built for every loop; a device target (``OpenCLExecutor``; a CUDA
/// target would be another) builds its own program in ``prepare(_:)``, keeps data on the device
/// through each object's ``_DataResidence``, and adds its transfers to the timing report.
package protocol BackendExecutor: Sendable {
  /// Runs every loop of `group` on the elements in `range`.
  func execute(_ group: LoopGroup, range: Range<Int>, context: ExecutionContext) throws(OP2Error)
  /// Builds what the target needs for `loop` when the loop is recorded, so that build errors
  /// throw from `parLoop`. Host targets need nothing beyond the runtime's C wrapper.
  func prepare(_ loop: ParLoop) throws(OP2Error)
  /// Called before the runtime runs `group` on the host itself (loops that assemble a Mat): a
  /// device target brings the group's data back.
  func prepareHostRun(_ group: LoopGroup)
  /// Adds what the target measured (transfers, device build time, notes) to a report.
  func annotate(_ report: inout TimingReport)
  /// Clears what ``annotate(_:)`` reports.
  func resetCounters()
  /// How this target runs the tiles of a chain (see ``SparseTiling``): `false` one after another,
  /// `true` the tiles of one colour at once (threads); nil when the target does not run tiled
  /// chains (the runtime then runs their loops as usual).
  var runsTilesAtOnce: Bool? { get }
  /// Runs every loop of `chain` tile by tile as `plan` schedules them (only called when
  /// ``runsTilesAtOnce`` is not nil, with a plan coloured when it is `true`).
  func executeTiled(_ chain: TiledChain, plan: TilePlan)
}

extension BackendExecutor {
  package func prepare(_ loop: ParLoop) throws(OP2Error) {}
  package func prepareHostRun(_ group: LoopGroup) {}
  package func annotate(_ report: inout TimingReport) {}
  package func resetCounters() {}
  package var runsTilesAtOnce: Bool? { nil }
  package func executeTiled(_ chain: TiledChain, plan: TilePlan) {
    preconditionFailure("executeTiled: this target does not run tiled chains")
  }
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
