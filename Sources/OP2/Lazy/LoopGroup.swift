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
package struct LoopGroup {
  package private(set) var loops: [ParLoop]
  package private(set) var wrappers: [CompiledWrapper]
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
    loops = [loop]
    wrappers = [wrapper]
    self.blockSize = blockSize
    uses = loop.objectUses
  }

  /// The iteration set.
  package var set: Set { loops[0].set }
  /// Block size of plans and of the fused schedule: the first loop's, in its runtime's configuration.
  package let blockSize: Int
  /// Elements per call of each wrapper: a block when loops are fused, else everything at once.
  package var tileSize: Int { loops.count > 1 ? blockSize : .max }
  /// The name in timing reports: the kernel names joined by `+`, a run of one kernel as `name×n`.
  package var name: String {
    guard loops.count > 1 else { return loops[0].kernel.name }
    var parts: [(name: String, count: Int)] = []
    var previous: Kernel?
    for loop in loops {
      // The same kernel object as the previous loop: the same name, without comparing strings.
      if loop.kernel === previous || parts.last?.name == loop.kernel.name {
        parts[parts.count - 1].count += 1
      } else {
        parts.append((loop.kernel.name, 1))
      }
      previous = loop.kernel
    }
    return parts.map { $0.count == 1 ? $0.name : "\($0.name)×\($0.count)" }.joined(separator: "+")
  }
  /// Every argument of every loop, in order.
  package var arguments: [Arg] { loops.flatMap(\.args) }
  /// Bytes the group moves at least: shared data counts once.
  package var bytesMoved: Int { traffic?.total ?? loops[0].bytesMoved }
  /// The fused loops' traffic, accumulated as they join (nil for a group of one).
  private var traffic: TrafficEstimate?

  /// Adds `loop` to the group if it may run fused with the loops already in it (see the type's
  /// documentation); returns whether it did.
  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int) -> Bool {
    guard loop.set === set, blockSize == self.blockSize, loop.extrusionBlock == nil, loops[0].extrusionBlock == nil,
          !loop.assemblesMatrices, !loops[0].assemblesMatrices else { return false }
    // A repeat of the last loop, already found fusable with the group as it is now: the group's
    // uses already include this loop's, so they are unchanged and the check would pass again.
    if let repeated = fusableRepeat, repeated.loop === loop {
      traffic!.addRepeat(bytes: repeated.bytes)
      loops.append(loop)
      wrappers.append(wrapper)
      return true
    }
    let isRepeat = loop === loops[loops.count - 1]
    let next = loop.objectUses
    var sharesDirectData = false
    for use in next {
      guard let earlier = uses.first(where: { $0.object == use.object }) else { continue }
      let writes = use.writes || earlier.writes
      let direct = !use.indirect && !earlier.indirect && !use.global && !earlier.global
      if writes && !direct { return false }
      if direct { sharesDirectData = true }
    }
    guard sharesDirectData else { return false }
    if traffic == nil {
      var first = TrafficEstimate()
      first.add(loops[0].args, set: set)
      traffic = first
    }
    let before = traffic!.total
    traffic!.add(loop.args, set: set)
    loops.append(loop)
    wrappers.append(wrapper)
    // Checked against uses that already held this loop's: unchanged by it, so a further repeat
    // passes too, and adds what this one added (see ``TrafficEstimate/addRepeat(bytes:)``).
    fusableRepeat = isRepeat ? (loop, traffic!.total - before) : nil
    guard !isRepeat else { return true }
    for use in next {
      if let i = uses.firstIndex(where: { $0.object == use.object }) { uses[i].formUnion(use) } else { uses.append(use) }
    }
    return true
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
