/// Everything the generated wrapper depends on, and nothing else: the in-process cache key of a
/// compiled loop. Two loops with equal signatures share one compiled wrapper, whatever sets,
/// sizes or data objects they run on.
package struct LoopSignature: Hashable, Sendable {
  /// `matrix`: a ``Mat`` assembled from element matrices (`arity`/`dim` are the rows',
  /// `colArity`/`colDim` the columns').
  package enum ArgumentKind: UInt8, Hashable, Sendable { case direct, mapSlot, wholeMap, global, matrix }

  package struct ArgumentDescriptor: Hashable, Sendable {
    package var kind: ArgumentKind
    package var cType: String
    package var dim: Int
    package var arity: Int
    /// The map slot, or -1.
    package var index: Int
    package var access: Access
    /// Index of the first argument with the same data object (itself if none): arguments that
    /// share data share one base pointer, so `restrict` stays truthful.
    package var dataAlias: Int
    /// Index of the first argument with the same map (itself if none).
    package var mapAlias: Int
    /// A matrix argument's column map arity and values per column node (0 otherwise).
    package var colArity: Int = 0
    package var colDim: Int = 0
  }

  package var kernelHash: String
  package var kernelName: String
  /// C declarations of the folded Consts the kernel uses, with their current values.
  package var constDeclarations: String
  /// The run-time Consts the kernel uses, in the order of their argument buffer (see ``ConstLayout``).
  package var runtimeConsts: [ConstDescriptor] = []
  package var arguments: [ArgumentDescriptor]
}
