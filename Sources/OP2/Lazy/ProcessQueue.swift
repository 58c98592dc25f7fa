import Foundation

/// The one queue of deferred work in the process, shared by every ``Runtime``.
///
/// Loops recorded under different configurations (``OP2/withConfiguration(_:_:)``, a later
/// ``OP2/configure(_:)``) and on different threads all go here, each item with the runtime that
/// runs it. So the rule "queued work runs before any host access to its data" holds by
/// construction: a host access from any runtime or thread sees every pending write, and
/// replacing a runtime cannot strand its queued loops.
///
/// Queued work runs while the queue's lock is held: a thread that forces a Dat waits for another
/// thread that is running the loops writing it. Eager loops run their queued dependencies first,
/// then run outside the lock.
package final class ProcessQueue: @unchecked Sendable {
  package static let shared = ProcessQueue()

  /// Items one runtime may have queued: at this count, its next loop first runs them.
  package static let limit = 4096

  // Recursive: running a store or a loop may reach host access (a Mat's assembly flushes it).
  private let lock = NSRecursiveLock()
  // Only touched under `lock`: no dynamic exclusivity checks.
  @exclusivity(unchecked) private var queue = LoopQueue()

  /// Queues a loop recorded by `runtime`.
  package func append(_ loop: ParLoop, wrapper: CompiledWrapper, runtime: Runtime) {
    lock.lock()
    defer { lock.unlock() }
    // A program that never reads a result would queue without bound: run what its runtime queued.
    if queue.count(ownedBy: runtime) >= Self.limit { Self.run(queue.takeItems(ownedBy: runtime)) }
    queue.append(loop, wrapper: wrapper, runtime: runtime)
  }

  /// Runs the queued items `loop` depends on (before it runs eagerly).
  package func runDependencies(of loop: ParLoop) {
    lock.lock()
    defer { lock.unlock() }
    guard !queue.isEmpty else { return }
    let (reads, writes) = loop.accesses
    Self.run(queue.takeDependencies(reads: reads, writes: writes))
  }

  /// Runs the queued items that must precede a host read (`writing: false`) or write of `object`.
  package func runDependencies(of object: AnyObject, writing: Bool) {
    lock.lock()
    defer { lock.unlock() }
    guard !queue.isEmpty else { return }
    Self.run(queue.takeDependencies(of: ObjectIdentifier(object), writing: writing))
  }

  /// Performs `store` now, or queues it behind the queued items that use `object`.
  package func store(into object: AnyObject, owner: Runtime, _ store: @escaping @Sendable () -> Void) {
    lock.lock()
    defer { lock.unlock() }
    let id = ObjectIdentifier(object)
    if queue.uses(id) {
      queue.appendStore(to: id, owner: owner, store)
    } else {
      store()
    }
  }

  /// Runs everything `runtime` queued, with the items of other runtimes they depend on.
  package func run(ownedBy runtime: Runtime) {
    lock.lock()
    defer { lock.unlock() }
    guard !queue.isEmpty else { return }
    Self.run(queue.takeItems(ownedBy: runtime))
  }

  /// Runs everything queued (reconfiguration, data moving between ranks, process exit).
  package func runAll() {
    lock.lock()
    defer { lock.unlock() }
    Self.run(queue.takeAll())
  }

  /// Items `runtime` queued that have not run.
  package func count(ownedBy runtime: Runtime) -> Int {
    lock.withLock { queue.count(ownedBy: runtime) }
  }

  /// Runs dequeued work in order: chains of loops tiled where their runtime tiles (see
  /// ``SparseTiling``), other loops fusing where ``LoopGroup`` allows it. A loop's repeats run as
  /// appending them one by one would: as many as fuse join the group, and each one that does not
  /// starts a new group.
  private static func run(_ work: [LoopQueue.Work]) {
    let work = hoistingStores(work)
    var group: LoopGroup?
    var groupRuntime: Runtime?
    var i = 0
    while i < work.count {
      let item = work[i]
      switch item {
      case .loop(let loop, let wrapper, let runtime, let repeats):
        if runtime.tilesChains {
          let (chain, next) = chain(in: work, from: i, runtime: runtime)
          if chain.isWorthTiling {
            if let g = group { groupRuntime!.run(g) }
            group = nil
            groupRuntime = nil
            runtime.runTiled(chain)
            i = next
            continue
          }
        }
        let blockSize = runtime.configuration.blockSize(for: loop.kernel.name)
        let fusion = runtime.configuration.fusion
        var left = repeats
        while left > 0 {
          if runtime === groupRuntime, fusion {
            left -= group!.append(loop, wrapper: wrapper, blockSize: blockSize, repeats: left)
            if left == 0 { break }
          }
          if let g = group { groupRuntime!.run(g) }
          group = LoopGroup(loop, wrapper: wrapper, blockSize: blockSize)
          groupRuntime = runtime
          left -= 1
        }
      case .store(_, let store):
        if let g = group { groupRuntime!.run(g) }
        group = nil
        groupRuntime = nil
        store()
      }
      i += 1
    }
    if let g = group { groupRuntime!.run(g) }
  }

  /// The longest chain of loops of `runtime` from `work[start]` that may run tiled, and the
  /// index of the first item after it.
  private static func chain(in work: [LoopQueue.Work], from start: Int, runtime: Runtime) -> (TiledChain, next: Int) {
    var chain = TiledChain()
    var i = start
    while i < work.count, case .loop(let loop, let wrapper, let owner, let repeats) = work[i], owner === runtime,
          chain.append(loop, wrapper: wrapper, repeats: repeats) {
      i += 1
    }
    return (chain, i)
  }

  /// `work` with each host store moved ahead of the loops just before it that do not use its
  /// object, where those loops' runtime tiles chains: a store between two stages
  /// (`rms.value = [0]` before `update`) then no longer cuts the chain of loops around it.
  /// Nothing that uses the object moves across the store, so every result is unchanged.
  private static func hoistingStores(_ work: [LoopQueue.Work]) -> [LoopQueue.Work] {
    guard work.contains(where: { if case .loop(_, _, let runtime, _) = $0 { return runtime.tilesChains } else { return false } }) else {
      return work
    }
    var work = work
    for i in work.indices {
      guard case .store(let object, _) = work[i] else { continue }
      var j = i
      while j > 0, case .loop(let loop, _, let runtime, _) = work[j - 1], runtime.tilesChains,
            !loop.accesses.reads.contains(object), !loop.accesses.writes.contains(object) {
        work.swapAt(j, j - 1)
        j -= 1
      }
    }
    return work
  }
}
