/// Runs a loop with one call of its wrapper over the whole iteration set.
///
/// Global reductions go straight into the Global's storage: the wrapper accumulates in a local
/// and stores once at the end. The counterpart of PyOP2's `sequential` backend and OP2's
/// `op_seq`.
package struct SequentialExecutor: BackendExecutor {
  package init() {}

  package func execute(_ loop: ParLoop, wrapper: CompiledWrapper) throws(OP2Error) {
    if loop.assemblesMatrices { return loop.runAssembly(wrapper) }
    LaunchArguments(loop).call(wrapper, range: 0..<loop.set.size)
  }
}
