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
  /// How the loops so far use each object.
  private var uses: [ObjectIdentifier: Use]

  /// How a group of loops uses one object.
  private struct Use {
    var writes = false
    var indirect = false
    var global = false

    mutating func add(_ arg: Arg) {
      formUnion(Use(writes: arg.access.writes, indirect: arg.map != nil || arg.matrix != nil, global: arg.isGlobal))
    }

    mutating func formUnion(_ other: Use) {
      writes = writes || other.writes
      indirect = indirect || other.indirect
      global = global || other.global
    }
  }

  /// A group of one loop, with the block size of the runtime that runs it.
  package init(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int) {
    loops = [loop]
    wrappers = [wrapper]
    self.blockSize = blockSize
    uses = Self.uses(of: loop)
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
    for loop in loops {
      if parts.last?.name == loop.kernel.name { parts[parts.count - 1].count += 1 } else { parts.append((loop.kernel.name, 1)) }
    }
    return parts.map { $0.count == 1 ? $0.name : "\($0.name)×\($0.count)" }.joined(separator: "+")
  }
  /// Every argument of every loop, in order.
  package var arguments: [Arg] { loops.flatMap(\.args) }
  /// Bytes the group moves at least: shared data counts once.
  package var bytesMoved: Int { loops.count == 1 ? loops[0].bytesMoved : ParLoop.estimateBytes(arguments, set: set) }

  /// Adds `loop` to the group if it may run fused with the loops already in it (see the type's
  /// documentation); returns whether it did.
  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, blockSize: Int) -> Bool {
    guard loop.set === set, blockSize == self.blockSize,
          !loop.assemblesMatrices, !loops[0].assemblesMatrices else { return false }
    let next = Self.uses(of: loop)
    var sharesDirectData = false
    for (id, use) in next {
      guard let earlier = uses[id] else { continue }
      let writes = use.writes || earlier.writes
      let direct = !use.indirect && !earlier.indirect && !use.global && !earlier.global
      if writes && !direct { return false }
      if direct { sharesDirectData = true }
    }
    guard sharesDirectData else { return false }
    loops.append(loop)
    wrappers.append(wrapper)
    for (id, use) in next { uses[id, default: Use()].formUnion(use) }
    return true
  }

  private static func uses(of loop: ParLoop) -> [ObjectIdentifier: Use] {
    var uses: [ObjectIdentifier: Use] = [:]
    for arg in loop.args { uses[ObjectIdentifier(arg.data), default: Use()].add(arg) }
    return uses
  }

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
