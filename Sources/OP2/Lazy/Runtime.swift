import Foundation

/// The state behind the public ``OP2`` API: configuration, compiled-wrapper cache, the queue of
/// deferred loops and the timings.
///
/// There is one shared runtime configured from the environment; ``OP2/withConfiguration(_:_:)``
/// installs another for the duration of a closure (a task-local value), which keeps tests that
/// run in parallel from seeing each other's settings and caches.
package final class Runtime: @unchecked Sendable {
  package let configuration: OP2.Configuration
  package let compiler: Compiler
  private let executor: any BackendExecutor
  private let lock = NSRecursiveLock()
  // Only touched under `lock`: no dynamic exclusivity checks (they cost more than the lock).
  @exclusivity(unchecked) private var wrappers: [CacheKey: CompiledWrapper] = [:]
  @exclusivity(unchecked) private var timings = LoopTimings()
  @exclusivity(unchecked) private var counters = OP2.Statistics()
  private let configurationError: OP2Error?
  /// What executors get from this runtime (made once: a group's run allocates no closure).
  @exclusivity(unchecked) private var executionContext = ExecutionContext()

  package init(configuration: OP2.Configuration, configurationError: OP2Error? = nil) {
    self.configuration = configuration
    self.configurationError = configurationError ?? configuration.backend.validationError
    compiler = Compiler(configuration: configuration.compiler)
    executor = configuration.backend.makeExecutor(cacheDirectory: configuration.compiler.cacheDirectory)
    // Unowned: the runtime holds the context, and the context is only used while the runtime
    // runs a group.
    executionContext = ExecutionContext(checkPlans: configuration.checkPlans) { [unowned self] loop, seconds, colours, blocks in
      self.recordPlan(loop: loop, seconds: seconds, colours: colours, blocks: blocks)
    }
  }

  package static let shared: Runtime = {
    let env = ProcessInfo.processInfo.environment
    if let warning = Setting.misspellingWarning(for: env) {
      FileHandle.standardError.write(Data((warning + "\n").utf8))
    }
    do throws(OP2Error) {
      return Runtime(configuration: try OP2.Configuration.fromEnvironment(env))
    } catch {
      return Runtime(configuration: OP2.Configuration(), configurationError: error)
    }
  }()

  @TaskLocal package static var override: Runtime?
  nonisolated(unsafe) private static var configured: Runtime?
  private static let configuredLock = NSLock()

  /// The runtime in effect: a task-local override, else the configured one, else the shared one.
  package static var current: Runtime {
    if let o = override { return o }
    return configuredLock.withLock { configured } ?? shared
  }

  /// Replaces the process-wide runtime. A barrier: the replaced runtime's queued loops run
  /// first (with the settings they were recorded under), and loops another thread records in it
  /// meanwhile stay in the process queue, so nothing is dropped.
  package static func install(_ runtime: Runtime) {
    let replaced = configuredLock.withLock { () -> Runtime? in
      defer { configured = runtime }
      return configured
    }
    (replaced ?? shared).flushAll()
  }

  /// Runs every queued loop of every runtime (before data moves between ranks, and at exit).
  package static func flushEverywhere() {
    ProcessQueue.shared.runAll()
  }

  /// Registered on the first deferred loop: at normal process exit, run what is still queued, so
  /// that no pending work is dropped silently (a kernel may have effects beyond its data, such as
  /// printing). Compile errors cannot surface here: wrappers are compiled when the loop is recorded.
  private static let flushAtExit: Void = {
    atexit { ProcessQueue.shared.runAll() }
    // Under MPI, finalisation may come first (it was set up earlier): it runs them too.
    MPIEnvironment.addFinalizer(.queuedWork) { Runtime.flushEverywhere() }
  }()

  /// Queued items at which the next loop first runs its runtime's queued work.
  package static var queueLimit: Int { ProcessQueue.limit }

  package static let processorCount = ProcessInfo.processInfo.activeProcessorCount

  // MARK: Loops

  /// Prepares `loop` (compiling its wrapper if needed) and runs it now or queues it.
  package func submit(_ loop: ParLoop) throws(OP2Error) {
    if let configurationError { throw configurationError }
    ReplicationNotice.check(loop)
    let wrapper: CompiledWrapper
    if let known = loop.wrapper(in: self) {
      wrapper = known
    } else {
      wrapper = try self.wrapper(for: loop)
      try executor.prepare(loop)
      loop.remember(wrapper, in: self)
    }
    if configuration.lazy {
      Self.flushAtExit
      ProcessQueue.shared.append(loop, wrapper: wrapper, runtime: self)
    } else {
      // Loops other runtimes or threads queued on this data run first.
      ProcessQueue.shared.runDependencies(of: loop)
      run(LoopGroup(loop, wrapper: wrapper, blockSize: configuration.blockSize(for: loop.kernel.name)))
    }
  }

  /// The compiled wrapper of a loop, from memory, disk or the compiler.
  ///
  /// A loop over a distributed set is compiled collectively: on each node one rank compiles (or
  /// finds the wrapper in the disk cache) while the node's other ranks wait, then they load it
  /// from the cache — or compile it themselves if their cache directory is another one. A
  /// compile error on the compiling rank is thrown on every rank of the node. Such loops keep
  /// their own memory cache, so that every rank takes part in the same collective compiles
  /// whatever else it ran alone.
  package func wrapper(for loop: ParLoop) throws(OP2Error) -> CompiledWrapper {
    lock.lock()
    defer { lock.unlock() }
    let node = loop.set.isDistributed ? MPIEnvironment.node : nil
    let key = CacheKey(signature: loop.signature, collective: node != nil)
    if let known = wrappers[key] {
      counters.memoryCacheHits += 1
      return known
    }
    let reads = configuration.chunkReads.resolved(compilerIdentity: try compiler.identity())
    // Sparse tiling calls loops on lists of elements: only loops it may tile get that entry point.
    let generated = WrapperGenerator.generate(
      signature: loop.signature, kernelCode: loop.kernel.code, chunked: configuration.chunking, reads: reads,
      elementLists: configuration.tiling && SparseTiling.mayTile(loop))
    let load = { () throws(OP2Error) -> CompiledWrapper in
      try self.compiler.load(source: generated.source, functionName: generated.functionName,
                             constsFunctionName: generated.constsFunctionName,
                             listFunctionName: generated.listFunctionName, kernelName: loop.kernel.name)
    }
    let wrapper: CompiledWrapper
    let started = ContinuousClock.now
    defer {
      // The lock is held: record under it directly.
      timings.recordCompile(kernel: loop.kernel.name, seconds: Double((ContinuousClock.now - started) / .nanoseconds(1)) / 1e9)
    }
    if let node, node.size > 1 {
      if let compiled = try ErrorAgreement.leaderRuns(on: node, load) {
        wrapper = compiled
      } else {
        wrapper = try load()
      }
    } else {
      wrapper = try load()
    }
    wrappers[key] = wrapper
    return wrapper
  }

  /// The memory cache's key: the signature, and whether the wrapper was loaded collectively.
  private struct CacheKey: Hashable {
    var signature: LoopSignature
    var collective: Bool
  }

  /// Runs a group: the distribution decides which ranges of the set run (all of it in one
  /// process; core, owned and exec halo of a distributed set, around its halo exchanges and
  /// reductions), the node executor runs each range.
  package func run(_ group: LoopGroup) {
    // Dispatch's monotonic clock: an integer read (ContinuousClock's instants and durations are
    // 128-bit, and converting one to seconds costs more than a queued loop).
    let start = DispatchTime.now().uptimeNanoseconds
    let context = executionContext
    // The run-time Consts' values as of this point of the program, before any thread starts.
    group.forEachRun { run in run.wrapper.passConsts(of: run.loop) }
    let traffic: DistributedLoop.Traffic
    do {
      // PETSc's MatSetValues is not thread-safe: on every backend, a loop that assembles a Mat
      // runs on the calling thread (such loops are never fused).
      if group.first.assemblesMatrices {
        executor.prepareHostRun(group)
        traffic = try DistributedLoop.run(group) { range in group.first.runAssembly(group.firstWrapper, range: range) }
      } else {
        traffic = try DistributedLoop.run(group) { (range) throws(OP2Error) in
          try executor.execute(group, range: range, context: context)
        }
      }
    } catch {
      preconditionFailure("parLoop \"\(group.name)\": \(error)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    lock.withLock {
      timings.record(name: group.name, seconds: seconds, bytes: group.bytesMoved)
      if traffic.exchanges > 0 {
        timings.recordHalo(name: group.name, seconds: traffic.haloSeconds, bytes: traffic.haloBytes, exchanges: traffic.exchanges)
      }
      counters.loopsExecuted += group.count
      if group.count > 1 { counters.loopsFused += group.count }
    }
  }

  // MARK: Tiled chains

  /// Tile plans of every runtime (cached by chain shape, see ``TilePlanCache``).
  package static let tilePlans = TilePlanCache()

  /// Whether this runtime runs chains of queued loops tiled: tiling is on and its target can.
  package var tilesChains: Bool { configuration.tiling && executor.runsTilesAtOnce != nil }

  /// Runs `chain` tile by tile (see ``SparseTiling``), recorded in the timing report as one row.
  package func runTiled(_ chain: TiledChain) {
    guard let atOnce = executor.runsTilesAtOnce else {
      preconditionFailure("runTiled: the \(configuration.backend) backend does not run tiled chains")
    }
    let start = DispatchTime.now().uptimeNanoseconds
    // The run-time Consts' values as of this point of the program, before any thread starts.
    for entry in chain.entries { entry.wrapper.passConsts(of: entry.loop) }
    let (plan, built) = Self.tilePlans.plan(for: chain.loops, tileSize: configuration.tileSize, coloured: atOnce)
    if built { recordPlan(loop: chain.name, seconds: plan.constructionTime, colours: plan.colours, blocks: plan.tileCount) }
    executor.executeTiled(chain, plan: plan)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let bytes = chain.entries.reduce(0) { $0 + $1.loop.bytesMoved }
    lock.withLock {
      timings.record(name: chain.name, seconds: seconds, bytes: bytes)
      counters.loopsExecuted += chain.count
      counters.loopsTiled += chain.count
    }
  }

  // MARK: Forcing

  /// Runs the queued loops that `object` depends on before the host reads it (`writing: false`)
  /// or overwrites it (`writing: true`): those of every runtime and thread (the queue is the
  /// process's, see ``ProcessQueue``).
  package func prepareHostAccess(to object: AnyObject, writing: Bool) {
    ProcessQueue.shared.runDependencies(of: object, writing: writing)
    // Then bring a device copy's values back (or mark it stale, for a write).
    (object as? any _ArgData)?.prepareHostStorage(writing: writing)
  }

  /// Stores into a small object (a Global) now, or — when queued loops still use it — queues the
  /// store behind them, so that setting a Global between two loops does not force the first.
  package func hostStore(into object: AnyObject, _ store: @escaping @Sendable () -> Void) {
    ProcessQueue.shared.store(into: object, owner: self, store)
  }

  /// Runs every loop this runtime queued, with the queued work of other runtimes they depend on.
  package func flushAll() {
    ProcessQueue.shared.run(ownedBy: self)
  }

  /// Items this runtime queued that have not run.
  package var pendingCount: Int { ProcessQueue.shared.count(ownedBy: self) }

  package var statistics: OP2.Statistics {
    let c = compiler.statistics
    var s = lock.withLock { counters }
    s.compilations = c.compilations
    s.diskCacheHits = c.diskHits
    s.corruptedCacheEntriesRebuilt = c.corruptedRebuilt
    s.compileSeconds = c.compileSeconds
    return s
  }

  package func timingReport() -> TimingReport {
    var report = TimingReport(rows: lock.withLock { timings.rowsWithCompileTimes }, compileSeconds: compiler.statistics.compileSeconds)
    executor.annotate(&report)
    return report
  }

  package func recordPlan(loop: String, seconds: Double, colours: Int, blocks: Int) {
    lock.withLock { timings.recordPlan(name: loop, seconds: seconds, colours: colours, blocks: blocks) }
  }

  package func resetTimings() {
    lock.withLock { timings.reset() }
    executor.resetCounters()
  }
}
