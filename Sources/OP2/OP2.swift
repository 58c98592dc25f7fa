import Foundation

/// Library-wide settings, statistics and timings.
///
/// ```swift
/// OP2.configure(backend: .threaded(threads: 2))
/// try parLoop(...)
/// OP2.flush()                      // run every queued loop
/// print(OP2.timingReport())        // like OP2's op_timing_output
/// ```
///
/// Settings start from the environment: `OP2_BACKEND` (`sequential`, `threaded`, `opencl`, with
/// `OP2_OPENCL_PLATFORM`, `OP2_OPENCL_DEVICE`, `OP2_OPENCL_BLOCK_SIZE`), `OP2_THREADS`,
/// `OP2_LAZY` (`0` runs every loop at once), `OP2_FUSION`, `OP2_TILING`, `OP2_TILE_SIZE`, `OP2_BLOCK_SIZE`, `OP2_CC`, `OP2_CFLAGS`,
/// `OP2_CACHE_DIR` and `OP2_CACHE_MAX_BYTES`, all read by one parser (see the Files and Settings
/// article): a bad value of any of them is an ``OP2Error/invalidConfiguration(variable:value:expected:)``.
/// The corresponding PyOP2 call is `op2.init(...)` with `configuration`.
public enum OP2 {
  /// Everything that can be configured.
  public struct Configuration: Sendable {
    /// Where loops run.
    public var backend: Backend = .sequential
    /// Whether loops are deferred until a result is needed.
    public var lazy = true
    /// Whether consecutive queued loops over one set that share directly accessed data run fused,
    /// block by block (see the Lazy Evaluation article); `OP2_FUSION=0` turns it off.
    public var fusion = true
    /// Default block size of threaded plans.
    public var blockSize = Plan.standardBlockSize
    /// Block sizes for particular loops, by kernel name.
    public var blockSizes: [String: Int] = [:]
    /// Check every new threaded plan's invariants (OP2's `op_plan_check`) and trap on a violation;
    /// `OP2_PLAN_CHECK=1`. Costs about as much as building the plan; the tests turn it on.
    public var checkPlans = false
    /// The C compiler command, e.g. `["cc"]` or `["ccache", "gcc"]`.
    public var compilerCommand: [String] { get { compiler.command } set { compiler.command = newValue } }
    /// Flags for the C compiler (`-fPIC -shared -fvisibility=hidden` are always added).
    public var compilerFlags: [String] { get { compiler.flags } set { compiler.flags = newValue } }
    /// Folder of the disk cache of compiled wrappers (`OP2_CACHE_DIR`, default `~/.cache/swift-op2`).
    public var cacheDirectory: String { get { compiler.cacheDirectory } set { compiler.cacheDirectory = newValue } }
    /// Bytes the disk cache may hold (`OP2_CACHE_MAX_BYTES`, default 1 GiB): after each compile,
    /// the least recently used wrappers are removed until it fits. `op2-cache` inspects and prunes it.
    public var cacheMaxBytes: Int { get { compiler.cacheMaxBytes } set { compiler.cacheMaxBytes = newValue } }
    package var compiler = Compiler.Configuration.fromEnvironment()
    /// Whether wrappers may run in vectorizable chunks (``ChunkPlan``); off only in tests that
    /// compare chunked and plain wrappers.
    package var chunking = true
    /// How chunked wrappers read data through maps (`OP2_CHUNK_READS`, default
    /// ``ChunkReads/automatic``: by the compiler). Results are the same either way.
    public var chunkReads: ChunkReads = .automatic
    /// Whether chains of queued loops, indirect ones included, run as sparse tiles (see
    /// ``SparseTiling``); `OP2_TILING=1` turns it on. Sequential and threaded backends only.
    public var tiling = false
    /// Elements of a chain's first loop per tile when ``tiling`` is on (`OP2_TILE_SIZE`, default
    /// ``SparseTiling/defaultTileSize``).
    public var tileSize = SparseTiling.defaultTileSize

    /// The defaults, with the compiler taken from the environment.
    public init() {}

    /// Reads every `OP2_*` variable.
    /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for a bad value of any
    ///   of them, whether or not the setting is used (`OP2_THREADS=abc` is an error with the
    ///   sequential backend too).
    public static func fromEnvironment(_ env: [String: String]) throws(OP2Error) -> Configuration {
      try fromEnvironment(env, backendSource: "OP2_BACKEND", threadsSource: "OP2_THREADS")
    }

    /// The environment's configuration with command-line choices on top, as apps offer them:
    /// `backend` overrides `OP2_BACKEND`, `threads` overrides `OP2_THREADS` and, when no backend is
    /// named anywhere, selects the threaded backend.
    /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for a bad value,
    ///   naming `--backend` or `--threads` when the value came from the command line.
    public static func fromEnvironment(
      _ env: [String: String], backend: String?, threads: Int?
    ) throws(OP2Error) -> Configuration {
      var env = env
      if let backend { env["OP2_BACKEND"] = backend }
      if let threads {
        env["OP2_THREADS"] = String(threads)
        if env["OP2_BACKEND"]?.isEmpty ?? true { env["OP2_BACKEND"] = "threaded" }  // empty is unset
      }
      return try fromEnvironment(
        env, backendSource: backend == nil ? "OP2_BACKEND" : "--backend", threadsSource: threads == nil ? "OP2_THREADS" : "--threads")
    }

    /// Every `OP2_*` variable through ``Setting``; the sources name the backend and thread
    /// settings in messages.
    private static func fromEnvironment(
      _ env: [String: String], backendSource: String, threadsSource: String
    ) throws(OP2Error) -> Configuration {
      var c = Configuration()
      c.compiler = .fromEnvironment(env)
      _ = try Setting.byteCount("OP2_CACHE_MAX_BYTES", env["OP2_CACHE_MAX_BYTES"])
      c.backend = try Backend.fromEnvironment(env, backendSource: backendSource, threadsSource: threadsSource)
      c.lazy = try Setting.flag("OP2_LAZY", env["OP2_LAZY"]) ?? c.lazy
      c.fusion = try Setting.flag("OP2_FUSION", env["OP2_FUSION"]) ?? c.fusion
      c.checkPlans = try Setting.flag("OP2_PLAN_CHECK", env["OP2_PLAN_CHECK"]) ?? c.checkPlans
      c.chunkReads = try ChunkReads.fromEnvironment(env["OP2_CHUNK_READS"]) ?? c.chunkReads
      c.tiling = try Setting.flag("OP2_TILING", env["OP2_TILING"]) ?? c.tiling
      c.tileSize = try SparseTiling.tileSize(fromEnvironment: env["OP2_TILE_SIZE"]) ?? c.tileSize
      c.blockSize = try Plan.blockSize(fromEnvironment: env["OP2_BLOCK_SIZE"])
      _ = try Setting.flag("OP2_PARTITION_REPORT", env["OP2_PARTITION_REPORT"])
      return c
    }

    package func blockSize(for loop: String) -> Int { blockSizes.isEmpty ? blockSize : blockSizes[loop] ?? blockSize }
  }

  /// Counters of the work the library did.
  public struct Statistics: Sendable, Equatable {
    /// Wrappers compiled by the C compiler.
    public var compilations = 0
    /// Wrappers loaded from the disk cache.
    public var diskCacheHits = 0
    /// Loops that found their wrapper already loaded in this process.
    public var memoryCacheHits = 0
    /// Corrupted disk-cache entries that were detected and rebuilt.
    public var corruptedCacheEntriesRebuilt = 0
    /// Loops executed.
    public var loopsExecuted = 0
    /// Loops that ran fused with a neighbour (counted in `loopsExecuted` too).
    public var loopsFused = 0
    /// Loops run as part of a tiled chain (see ``SparseTiling``).
    public var loopsTiled = 0
    /// Seconds spent compiling.
    public var compileSeconds = 0.0
  }

  /// The configuration in effect.
  public static var configuration: Configuration { Runtime.current.configuration }

  /// Changes the backend and/or laziness for the rest of the process, after running the loops
  /// queued under the replaced configuration (a barrier: no queued loop is ever dropped, even
  /// when another thread records loops meanwhile). Compiled wrappers are kept on disk but loaded anew.
  public static func configure(backend: Backend? = nil, lazy: Bool? = nil) {
    var c = Runtime.current.configuration
    if let backend { c.backend = backend }
    if let lazy { c.lazy = lazy }
    configure(c)
  }

  /// Replaces the whole configuration for the rest of the process, after running every queued loop.
  public static func configure(_ configuration: Configuration) {
    Runtime.install(Runtime(configuration: configuration))
  }

  /// Runs `body` with its own configuration, caches and timings, then runs the loops it left
  /// queued. Other threads and tasks keep theirs: tests use this to run side by side. The queue
  /// is the process's: data that loops queued outside `body` write is brought up to date before
  /// `body` reads it, and loops `body` queues run before anything outside reads their data.
  public static func withConfiguration<R>(_ configuration: Configuration, _ body: () throws -> R) rethrows -> R {
    let runtime = Runtime(configuration: configuration)
    defer { runtime.flushAll() }
    return try Runtime.$override.withValue(runtime) { try body() }
  }

  /// Runs every loop queued under the current configuration (and the queued loops of other
  /// configurations they depend on).
  public static func flush() { Runtime.current.flushAll() }

  /// Loops recorded but not yet run.
  public static var pendingLoopCount: Int { Runtime.current.pendingCount }

  /// What the library has done so far in the current configuration.
  public static var statistics: Statistics { Runtime.current.statistics }

  /// Per-loop timings so far (runs queued loops first, so they are counted).
  public static func timingReport() -> TimingReport {
    flush()
    return Runtime.current.timingReport()
  }

  /// Clears the timings.
  public static func resetTimings() { Runtime.current.resetTimings() }
}
