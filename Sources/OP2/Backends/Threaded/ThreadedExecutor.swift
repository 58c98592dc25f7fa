import Dispatch
import Foundation

/// Runs a loop on several threads by calling its range wrapper per block.
///
/// Loops that write through a map get a ``Plan``: the set is cut into contiguous blocks, each
/// thread owns a contiguous run of them, and blocks are coloured so that no two blocks of one
/// colour and different owners write the same element; colours run one after another, each
/// thread running its own blocks of the colour in order. Direct loops need no plan and split the
/// set into one contiguous chunk per thread.
///
/// Threads are Swift's (`DispatchQueue.concurrentPerform`), not OpenMP's: an empty parallel
/// region costs under 1 µs here against 7–60 µs for libgomp, and the same compiled wrapper then
/// serves every backend (see BENCHMARKS.md). Global reductions use one slot per thread, combined
/// in thread order after the loop, so results are deterministic for a fixed thread count.
///
/// A set of at most one block runs on the calling thread, as the sequential backend runs it.
///
/// Loops with ``Mat`` arguments never reach a backend: the runtime runs them on the calling thread,
/// whole set at once (PETSc's insertion is not thread-safe), so their results equal the
/// sequential backend's exactly.
///
/// The counterpart of PyOP2's `openmp` backend and OP2's `op_openmp`.
package struct ThreadedExecutor: BackendExecutor {
  package let threads: Int
  package init(threads: Int) { self.threads = max(1, threads) }

  /// Plans are cached by iteration set size, block size and the maps written through.
  package static let plans = PlanCache()

  package func execute(_ group: LoopGroup, range: Range<Int>, context: ExecutionContext) throws(OP2Error) {
    let size = range.count, first = range.lowerBound
    guard size > 0 else { return }
    // One block's worth of work (airfoil's 2800 boundary edges) is not worth waking a thread.
    if size <= group.blockSize { return try SequentialExecutor().execute(group, range: range, context: context) }
    let launches = group.loops.map { ThreadLaunches($0, threads: threads) }
    let box = LaunchBox(launches, wrappers: group.wrappers)
    let tile = group.tileSize
    let conflicts = Self.conflicts(of: group.loops, firstElement: first)
    if conflicts.isEmpty {
      let threads = self.threads
      let chunk = (size + threads - 1) / threads
      DispatchQueue.concurrentPerform(iterations: threads) { t in
        let part = (first + min(size, t * chunk))..<(first + min(size, (t + 1) * chunk))
        LoopGroup.forEachTile(of: part, tile: tile) { box.call(thread: t, range: $0) }
      }
    } else {
      let misses = Self.plans.misses
      let maps = Self.conflictMaps(of: group.loops)
      let plan = Self.plans.plan(setSize: size, blockSize: group.blockSize, conflicts: conflicts, owners: threads, maps: maps)
      if Self.plans.misses != misses {
        if context.checkPlans {
          let violations = plan.checkInvariants()
          precondition(violations.isEmpty, "plan of \(group.name) is invalid:\n" + violations.joined(separator: "\n"))
        }
        context.recordPlan(group.name, plan.constructionTime, plan.colourCount, plan.blockCount)
      }
      // Each thread runs its own blocks of a colour in order; colours run one after another.
      let threads = self.threads
      for colour in 0..<plan.colourCount {
        DispatchQueue.concurrentPerform(iterations: threads) { t in
          for b in plan.blocks(ofColour: colour, owner: t) {
            let r = plan.blockRange(b)
            box.call(thread: t, range: (first + r.lowerBound)..<(first + r.upperBound))
          }
        }
      }
    }
    for launch in launches { launch.combineReductions() }
  }

  /// The maps the loops write through, with the slots written, one entry per map.
  static func conflicts(of loops: [ParLoop], firstElement: Int = 0) -> [PlanConflict] {
    var order: [Map] = []
    var slots: [ObjectIdentifier: [Int]?] = [:]
    for arg in loops.lazy.flatMap(\.args) where !arg.isGlobal && arg.access.writes {
      guard let map = arg.map else { continue }
      let id = ObjectIdentifier(map)
      if slots[id] == nil { order.append(map); slots[id] = .some([]) }
      if let index = arg.index, case .some(.some(var list)) = slots[id] {
        if !list.contains(index) { list.append(index) }
        slots[id] = .some(list)
      } else {
        slots[id] = .some(nil)
      }
    }
    if let extruded = loops.first?.set as? ExtrudedSet {
      // Columns are the elements: a column writes through every layer's entities.
      let cellLayers = extruded.layers - 1
      return order.map { map in
        let written = slots[ObjectIdentifier(map)]!.map { Array(Swift.Set($0.map { $0 % map.arity })).sorted() }
        return PlanConflict(mapID: ObjectIdentifier(map), values: map.layerFootprint(cellLayers: cellLayers),
                            arity: map.arity * cellLayers, targetSize: map.to.totalEntityCount,
                            indices: written.map { $0.flatMap { j in (j * cellLayers)..<((j + 1) * cellLayers) } },
                            firstElement: firstElement)
      }
    }
    return order.map { map in
      let indices = slots[ObjectIdentifier(map)]!
      return PlanConflict(mapID: ObjectIdentifier(map), values: map.values, arity: map.arity,
                          targetSize: map.to.totalEntityCount, indices: indices?.sorted(), firstElement: firstElement)
    }
  }
}

extension ThreadedExecutor {
  /// The maps the loops write through (what their cached plan must not outlive).
  static func conflictMaps(of loops: [ParLoop]) -> [Map] {
    var maps: [Map] = []
    for arg in loops.lazy.flatMap(\.args) where !arg.isGlobal && arg.access.writes {
      if let map = arg.map, !maps.contains(where: { $0 === map }) { maps.append(map) }
    }
    return maps
  }
}

extension ThreadedExecutor {
  package var runsTilesAtOnce: Bool? { threads > 1 }

  /// Colour after colour (the plan's order when uncoloured), the tiles of a colour shared among the threads (tile `i` of the colour
  /// on thread `i % threads`), every loop of the chain on a tile before the thread's next tile;
  /// then the remainder on one thread. Reductions go to per-thread slots, combined in thread order.
  package func executeTiled(_ chain: TiledChain, plan: TilePlan) {
    let box = TiledLaunchBox(chain: chain, plan: plan, threads: threads)
    let threads = self.threads
    for colour in 0..<plan.colours {
      let tiles = plan.tiles(ofColour: colour)
      if tiles.count <= 1 || threads == 1 {
        for tile in tiles { box.run(tile: tile, thread: 0) }
        continue
      }
      DispatchQueue.concurrentPerform(iterations: min(threads, tiles.count)) { t in
        var i = t
        while i < tiles.count {
          box.run(tile: tiles[i], thread: t)
          i += threads
        }
      }
    }
    box.run(tile: plan.tileCount, thread: 0)
    for launch in box.launches { launch.combineReductions() }
  }
}

/// Per-thread argument vectors of a tiled chain's loops, with the plan, shared with the worker
/// closures; each thread touches only its own vectors.
private final class TiledLaunchBox: @unchecked Sendable {
  let launches: [ThreadLaunches]
  let wrappers: [CompiledWrapper]
  let plan: TilePlan
  init(chain: TiledChain, plan: TilePlan, threads: Int) {
    launches = chain.entries.map { ThreadLaunches($0.loop, threads: threads) }
    wrappers = chain.entries.map(\.wrapper)
    self.plan = plan
  }
  /// Every loop of the chain on `tile`, in program order, with `thread`'s vectors.
  func run(tile: Int, thread: Int) {
    for k in launches.indices {
      launches[k].perThread[thread].call(wrappers[k], schedule: plan.loops[k], tile: tile)
    }
  }
}

/// One loop's argument vectors, one per thread, with reductions redirected to per-thread slots.
private final class ThreadLaunches: @unchecked Sendable {
  let loop: ParLoop
  let perThread: [LaunchArguments]
  /// Positions of the reduced Globals, and their slots: `slots[thread][k]` for `reductions[k]`.
  let reductions: [Int]
  let slots: [[_UnsafeDatBuffer]]

  init(_ loop: ParLoop, threads: Int) {
    self.loop = loop
    reductions = loop.args.indices.filter { loop.args[$0].isGlobal && loop.args[$0].access != .read }
    var slots: [[_UnsafeDatBuffer]] = []
    var perThread: [LaunchArguments] = []
    for _ in 0..<threads {
      let launch = LaunchArguments(loop)
      var mine: [_UnsafeDatBuffer] = []
      for position in reductions {
        let arg = loop.args[position]
        let slot = _UnsafeDatBuffer(byteCount: arg.data.dim * arg.data.elementSize)
        // INC sums from zero; MIN and MAX start from the current value, which they never pass.
        if arg.access != .inc { slot.copyBytes(from: arg.data.storage) }
        launch.redirect(argument: position, to: slot)
        mine.append(slot)
      }
      slots.append(mine)
      perThread.append(launch)
    }
    self.slots = slots
    self.perThread = perThread
  }

  /// Folds the per-thread slots into the Globals, in thread order.
  func combineReductions() {
    for (k, position) in reductions.enumerated() {
      let target = loop.args[position].data as! any _ReductionTarget
      target.combine(partials: slots.map { $0[k] }, access: loop.args[position].access)
    }
  }
}

/// Per-thread argument vectors of a group's loops, shared with the worker closures; each thread
/// touches only its own.
private final class LaunchBox: @unchecked Sendable {
  let launches: [ThreadLaunches]
  let wrappers: [CompiledWrapper]
  init(_ launches: [ThreadLaunches], wrappers: [CompiledWrapper]) {
    self.launches = launches
    self.wrappers = wrappers
  }
  /// Runs every loop of the group on `range`, in program order.
  func call(thread: Int, range: Range<Int>) {
    for (launch, wrapper) in zip(launches, wrappers) { launch.perThread[thread].call(wrapper, range: range) }
  }
}
