/// Everything the generated wrapper depends on, and nothing else: the in-process cache key of a
/// compiled loop. Two loops with equal signatures share one compiled wrapper, whatever sets,
/// sizes or data objects they run on.
package struct LoopSignature: Hashable, Sendable {
  package enum ArgumentKind: UInt8, Hashable, Sendable { case direct, mapSlot, wholeMap, global }

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
  }

  package var kernelHash: String
  package var kernelName: String
  /// C declarations of the Consts the kernel uses, with their current values.
  package var constDeclarations: String
  package var arguments: [ArgumentDescriptor]
}
