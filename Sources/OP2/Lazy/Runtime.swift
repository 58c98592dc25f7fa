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
  private var wrappers: [CacheKey: CompiledWrapper] = [:]
  private var queue = LoopQueue()
  private var timings = LoopTimings()
  private var counters = OP2.Statistics()
  private let configurationError: OP2Error?

  package init(configuration: OP2.Configuration, configurationError: OP2Error? = nil) {
    self.configuration = configuration
    self.configurationError = configurationError
    compiler = Compiler(configuration: configuration.compiler)
    executor = configuration.backend.makeExecutor(cacheDirectory: configuration.compiler.cacheDirectory)
  }

  package static let shared: Runtime = {
    let env = ProcessInfo.processInfo.environment
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

  /// Replaces the process-wide runtime (after running its queued loops).
  package static func install(_ runtime: Runtime) {
    current.flushAll()
    configuredLock.withLock { configured = runtime }
  }

  /// Runs the queued loops of every runtime this thread can reach: the current one, the
  /// configured one and the shared one (before data moves between ranks, and at exit).
  package static func flushEverywhere() {
    current.flushAll()
    configuredLock.withLock { configured }?.flushAll()
    shared.flushAll()
  }

  /// Registered on the first deferred loop: at normal process exit, run what is still queued, so
  /// that no pending work is dropped silently (a kernel may have effects beyond its data, such as
  /// printing). Compile errors cannot surface here: wrappers are compiled when the loop is recorded.
  private static let flushAtExit: Void = {
    atexit {
      Runtime.shared.flushAll()
      Runtime.configuredLock.withLock { Runtime.configured }?.flushAll()
    }
    // Under MPI, finalisation may come first (it was set up earlier): it runs them too.
    MPIEnvironment.addFinalizer(.queuedWork) { Runtime.flushEverywhere() }
  }()

  /// Queued items at which the next loop first runs everything queued.
  package static let queueLimit = 4096

  package static let processorCount = ProcessInfo.processInfo.activeProcessorCount

  // MARK: Loops

  /// Prepares `loop` (compiling its wrapper if needed) and runs it now or queues it.
  package func submit(_ loop: ParLoop) throws(OP2Error) {
    if let configurationError { throw configurationError }
    ReplicationNotice.check(loop)
    let wrapper = try wrapper(for: loop)
    try executor.prepare(loop)
    if configuration.lazy {
      Self.flushAtExit
      lock.withLock {
        // A program that never reads a result would queue without bound: run what is queued.
        if queue.count >= Self.queueLimit { run(queue.takeAll()) }
        queue.append(loop, wrapper: wrapper)
      }
    } else {
      run(LoopGroup(loop, wrapper: wrapper))
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
    let generated = WrapperGenerator.generate(signature: loop.signature, kernelCode: loop.kernel.code)
    let load = { () throws(OP2Error) -> CompiledWrapper in
      try self.compiler.load(source: generated.source, functionName: generated.functionName, kernelName: loop.kernel.name)
    }
    let wrapper: CompiledWrapper
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
  private func run(_ group: LoopGroup) {
    let start = ContinuousClock.now
    let context = executionContext
    let traffic: DistributedLoop.Traffic
    do {
      // PETSc's MatSetValues is not thread-safe: on every backend, a loop that assembles a Mat
      // runs on the calling thread (such loops are never fused).
      if group.loops[0].assemblesMatrices {
        executor.prepareHostRun(group)
        traffic = try DistributedLoop.run(group) { range in group.loops[0].runAssembly(group.wrappers[0], range: range) }
      } else {
        traffic = try DistributedLoop.run(group) { (range) throws(OP2Error) in
          try executor.execute(group, range: range, context: context)
        }
      }
    } catch {
      preconditionFailure("parLoop \"\(group.name)\": \(error)")
    }
    let seconds = Double((ContinuousClock.now - start) / .nanoseconds(1)) / 1e9
    lock.withLock {
      timings.record(name: group.name, seconds: seconds, bytes: group.bytesMoved)
      if traffic.exchanges > 0 {
        timings.recordHalo(name: group.name, seconds: traffic.haloSeconds, bytes: traffic.haloBytes, exchanges: traffic.exchanges)
      }
      counters.loopsExecuted += group.loops.count
      if group.loops.count > 1 { counters.loopsFused += group.loops.count }
    }
  }

  /// What executors get from this runtime.
  private var executionContext: ExecutionContext {
    ExecutionContext(checkPlans: configuration.checkPlans) { [weak self] loop, seconds, colours, blocks in
      self?.recordPlan(loop: loop, seconds: seconds, colours: colours, blocks: blocks)
    }
  }

  /// Runs dequeued work in order, fusing consecutive loops where ``LoopGroup`` allows it.
  private func run(_ work: [LoopQueue.Work]) {
    var group: LoopGroup?
    for item in work {
      switch item {
      case .loop(let loop, let wrapper):
        if configuration.fusion, group?.append(loop, wrapper: wrapper) == true { continue }
        if let g = group { run(g) }
        group = LoopGroup(loop, wrapper: wrapper)
      case .store(let store):
        if let g = group { run(g) }
        group = nil
        store()
      }
    }
    if let g = group { run(g) }
  }

  // MARK: Forcing

  /// Runs the queued loops that `object` depends on before the host reads it (`writing: false`)
  /// or overwrites it (`writing: true`).
  package func prepareHostAccess(to object: AnyObject, writing: Bool) {
    lock.lock()
    defer { lock.unlock() }
    if !queue.isEmpty { run(queue.takeDependencies(of: ObjectIdentifier(object), writing: writing)) }
    (object as? any _ArgData)?.prepareHostStorage(writing: writing)
  }

  /// Stores into a small object (a Global) now, or — when queued loops still use it — queues the
  /// store behind them, so that setting a Global between two loops does not force the first.
  package func hostStore(into object: AnyObject, _ store: @escaping @Sendable () -> Void) {
    lock.lock()
    defer { lock.unlock() }
    let id = ObjectIdentifier(object)
    if configuration.lazy, queue.uses(id) {
      queue.appendStore(to: id, store)
    } else {
      store()
    }
  }

  /// Runs every queued loop.
  package func flushAll() {
    lock.lock()
    defer { lock.unlock() }
    run(queue.takeAll())
  }

  package var pendingCount: Int { lock.withLock { queue.count } }

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
    var report = TimingReport(rows: lock.withLock { timings.entries }, compileSeconds: compiler.statistics.compileSeconds)
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
