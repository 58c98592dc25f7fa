/// Runs a loop with one call of its wrapper over the whole iteration set.
///
/// Global reductions go straight into the Global's storage: the wrapper accumulates in a local
/// and stores once at the end. A fused ``LoopGroup`` runs block by block, every loop on a block
/// before the next block; the wrappers start each call from the Global's stored value, so the
/// reduction order is the same. The counterpart of PyOP2's `sequential` backend and OP2's
/// `op_seq`.
package struct SequentialExecutor: BackendExecutor {
  package init() {}

  package func execute(_ group: LoopGroup, range: Range<Int>, context: ExecutionContext) throws(OP2Error) {
    // One loop: one call, with its argument vector on the stack.
    if group.loops.count == 1 {
      LaunchArguments.call(group.loops[0], group.wrappers[0], range: range)
      return
    }
    // A loop repeated back to back (a handle, or parLoop called again on the same data) shares
    // one argument vector.
    var launches: [LaunchArguments] = []
    launches.reserveCapacity(group.loops.count)
    var previous: ParLoop?
    for loop in group.loops {
      launches.append(loop === previous ? launches[launches.count - 1] : LaunchArguments(loop))
      previous = loop
    }
    LoopGroup.forEachTile(of: range, tile: group.tileSize) { tile in
      for (launch, wrapper) in zip(launches, group.wrappers) { launch.call(wrapper, range: tile) }
    }
  }
}
