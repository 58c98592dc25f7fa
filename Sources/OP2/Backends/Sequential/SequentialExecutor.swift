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
    if group.count == 1 {
      LaunchArguments.call(group.first, group.firstWrapper, range: range)
      return
    }
    // A loop repeated back to back (a handle, or parLoop called again on the same data) is one
    // run: one argument vector, its wrapper called once per repeat on each tile.
    let runs = group.runs
    if runs.count == 1 {
      LaunchArguments.call(group.first, group.firstWrapper, range: range, tile: group.tileSize, repeats: group.count)
      return
    }
    let launches = runs.map { LaunchArguments($0.loop) }
    LoopGroup.forEachTile(of: range, tile: group.tileSize) { tile in
      for (launch, run) in zip(launches, runs) {
        for _ in 0..<run.count { launch.call(run.wrapper, range: tile) }
      }
    }
  }

  package var runsTilesAtOnce: Bool? { false }

  /// Tiles in order, every loop of the chain on a tile before the next tile.
  package func executeTiled(_ chain: TiledChain, plan: TilePlan) {
    let launches = chain.entries.map { LaunchArguments($0.loop) }
    for tile in 0...plan.tileCount {
      for (k, entry) in chain.entries.enumerated() {
        launches[k].call(entry.wrapper, schedule: plan.loops[k], tile: tile)
      }
    }
  }
}
