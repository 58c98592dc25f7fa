/// Consecutive loops over one iteration set that run together, block by block: loop fusion.
///
/// When the lazy queue runs, consecutive loops over the same ``Set`` are fused if element `i` of
/// a later loop depends on no element of an earlier loop but `i` itself: every Dat that two of
/// them share and one of them writes is accessed *directly* (without a map) by both, and no
/// Global one of them reduces into is used by the other. A backend then runs the group one block
/// of the set at a time — all the loops on elements `start..<end`, in program order, then the next
/// block — so data that one loop writes and the next reads is still in cache. Each loop keeps its
/// own compiled wrapper; the order of every update to every element is the unfused one, so fused
/// and unfused runs give identical results.
///
/// Airfoil's `update` → `save_soln` → `adt_calc` is such a chain: `q` is written by `update`,
/// copied by `save_soln` and read by `adt_calc`, each at the element itself. Only loops that share
/// directly accessed data are fused (there is nothing to gain otherwise), and loops that assemble
/// a ``Mat`` never are. `OP2_FUSION=0` or ``OP2/Configuration/fusion`` turns fusion off.
///
/// A restricted form of the loop chains and sparse tiling of PyOP2/Firedrake (SLOPE): the
/// dependence between fused loops is always the identity, so any block schedule is valid.
/// ``SparseTiling`` (`OP2_TILING=1`) runs chains with indirect loops too.
package struct LoopGroup {
  /// A loop and the number of times it runs back to back (a handle called again, or `parLoop`
  /// repeated on the same data while lazy evaluation reuses its queued loop object).
  package struct Run {
    package let loop: ParLoop
    package let wrapper: CompiledWrapper
    package fileprivate(set) var count: Int
  }
  /// The first run, inline: a group of one loop (every eager loop) allocates nothing.
  private var head: Run
  /// The runs after the first, in program order (empty, and unallocated, for most groups).
  private var tail: [Run] = []
  /// Loops in the group, repeats included.
  package private(set) var count: Int
  /// How the loops so far use each object (a handful per group: a linear search beats hashing).
  private var uses: [ObjectUse]

  /// How a loop or a group of loops uses one object.
  package struct ObjectUse {
    var object: ObjectIdentifier
    var writes = false
    var indirect = false
    var global = false

    mutating func formUnion(_ other: ObjectUse) {
      writes = writes || other.writes
      indirect = indirect || other.indirect
      global = global || other.global
    }
  }

  /// How `args` use each object they name, one entry per object in order of first use.
  package static func uses(of args: [Arg]) -> [ObjectUse] {
    var uses: [ObjectUse] = []
    uses.reserveCapacity(args.count)
    for arg in args {
      let use = ObjectUse(object: ObjectIdentifier(arg.data), writes: arg.access.writes,
                          indirect: arg.map != nil || arg.matrix != nil, global: arg.isGlobal)
      if let i = uses.firstIndex(where: { $0.object == use.object }) { uses[i].formUnion(use) } else { uses.append(use) }
    }
    return uses
  }

  /// A group of one loop, with the block size of the runtime that runs it.
  package init(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int) {
    head = Run(loop: loop, wrapper: wrapper, count: 1)
    count = 1
    self.blockSize = blockSize
    uses = loop.objectUses
  }

  /// The first loop of the group.
  package var first: ParLoop { head.loop }
  /// The first loop's wrapper.
  package var firstWrapper: CompiledWrapper { head.wrapper }
  /// The runs of the group in program order: each loop with the number of times it runs back to back.
  package var runs: [Run] { tail.isEmpty ? [head] : [head] + tail }
  /// Calls `body` with each run in program order (without making an array).
  package func forEachRun<E: Error>(_ body: (Run) throws(E) -> Void) throws(E) {
    try body(head)
    for run in tail { try body(run) }
  }
  /// Every loop of the group in program order, a run of `n` repeats as `n` entries.
  package var loops: [ParLoop] {
    var loops: [ParLoop] = []
    loops.reserveCapacity(count)
    forEachRun { run in for _ in 0..<run.count { loops.append(run.loop) } }
    return loops
  }
  /// Each loop's wrapper, as ``loops``.
  package var wrappers: [CompiledWrapper] {
    var wrappers: [CompiledWrapper] = []
    wrappers.reserveCapacity(count)
    forEachRun { run in for _ in 0..<run.count { wrappers.append(run.wrapper) } }
    return wrappers
  }

  /// The iteration set.
  package var set: Set { head.loop.set }
  /// Block size of plans and of the fused schedule: the first loop's, in its runtime's configuration.
  package let blockSize: Int
  /// Elements per call of each wrapper: a block when loops are fused, else everything at once.
  package var tileSize: Int { count > 1 ? blockSize : .max }
  /// The name in timing reports: the kernel names joined by `+`, a run of one kernel as `name×n`.
  package var name: String {
    guard count > 1 else { return head.loop.kernel.name }
    var parts: [(name: String, count: Int)] = []
    var previous: Kernel?
    forEachRun { run in
      let kernel = run.loop.kernel
      // The same kernel object as the previous loop: the same name, without comparing strings.
      if kernel === previous || parts.last?.name == kernel.name {
        parts[parts.count - 1].count += run.count
      } else {
        parts.append((kernel.name, run.count))
      }
      previous = kernel
    }
    return parts.map { $0.count == 1 ? $0.name : "\($0.name)×\($0.count)" }.joined(separator: "+")
  }
  /// Every argument of every run, in order (a run's arguments once: its repeats have the same).
  package var arguments: [Arg] { runs.flatMap(\.loop.args) }
  /// Bytes the group moves at least: shared data counts once.
  package var bytesMoved: Int { traffic?.total ?? head.loop.bytesMoved }
  /// The fused loops' traffic, accumulated as they join (nil for a group of one).
  private var traffic: TrafficEstimate?

  /// Adds `loop` to the group if it may run fused with the loops already in it (see the type's
  /// documentation); returns whether it did.
  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int) -> Bool {
    append(loop, wrapper: wrapper, blockSize: blockSize, repeats: 1) == 1
  }

  /// Adds `loop` run `repeats` times back to back, as many of them as may run fused with the
  /// group, and returns how many joined (`0...repeats`): exactly those that appending them one
  /// by one would add. The first is checked against the group, the second (a repeat) against the
  /// group holding the first; once a repeat has joined, the group's uses hold the loop's and no
  /// longer change, so every further repeat joins too, without a check.
  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int, repeats: Int) -> Int {
    guard repeats > 0, loop.set === set, blockSize == self.blockSize, loop.extrusionBlock == nil,
          head.loop.extrusionBlock == nil, !loop.assemblesMatrices, !head.loop.assemblesMatrices else { return 0 }
    // A repeat of the last loop, already found fusable with the group as it is now: the group's
    // uses already include this loop's, so they are unchanged and the check would pass again.
    if let repeated = fusableRepeat, repeated.loop === loop, wrapper.isSame(as: lastRun.wrapper) {
      traffic!.addRepeat(bytes: repeated.bytes, times: repeats)
      extendLastRun(by: repeats)
      return repeats
    }
    let isRepeat = loop === lastRun.loop
    let next = loop.objectUses
    var sharesDirectData = false
    for use in next {
      guard let earlier = uses.first(where: { $0.object == use.object }) else { continue }
      let writes = use.writes || earlier.writes
      let direct = !use.indirect && !earlier.indirect && !use.global && !earlier.global
      if writes && !direct { return 0 }
      if direct { sharesDirectData = true }
    }
    guard sharesDirectData else { return 0 }
    if traffic == nil {
      var first = TrafficEstimate()
      first.add(head.loop.args, set: set)
      traffic = first
    }
    let before = traffic!.total
    traffic!.add(loop.args, set: set)
    if isRepeat, wrapper.isSame(as: lastRun.wrapper) {
      extendLastRun(by: 1)
    } else {
      tail.append(Run(loop: loop, wrapper: wrapper, count: 1))
      count += 1
    }
    // Checked against uses that already held this loop's: unchanged by it, so a further repeat
    // passes too, and adds what this one added (see ``TrafficEstimate/addRepeat(bytes:times:)``).
    fusableRepeat = isRepeat ? (loop, traffic!.total - before) : nil
    if !isRepeat {
      for use in next {
        if let i = uses.firstIndex(where: { $0.object == use.object }) { uses[i].formUnion(use) } else { uses.append(use) }
      }
    }
    guard repeats > 1 else { return 1 }
    // The others are repeats of the loop just added: the next is checked (or, after a repeat, is
    // known to pass), the rest follow it.
    return 1 + append(loop, wrapper: wrapper, blockSize: blockSize, repeats: repeats - 1)
  }

  /// The last run of the group.
  private var lastRun: Run { tail.isEmpty ? head : tail[tail.count - 1] }

  private mutating func extendLastRun(by n: Int) {
    if tail.isEmpty { head.count += n } else { tail[tail.count - 1].count += n }
    count += n
  }

  /// The last loop, when appending it again was found fusable, and the bytes that repeat added.
  private var fusableRepeat: (loop: ParLoop, bytes: Int)?

  /// Calls `body` with consecutive sub-ranges of `range` of at most `tile` elements.
  package static func forEachTile(of range: Range<Int>, tile: Int, _ body: (Range<Int>) -> Void) {
    var start = range.lowerBound
    while start < range.upperBound {
      let end = range.upperBound - start > tile ? start + tile : range.upperBound
      body(start..<end)
      start = end
    }
  }
}
