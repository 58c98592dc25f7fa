/// One ``Map`` per component of a mixed space, all from the same iteration set: map `i` leads to
/// component `i` of a ``MixedSet``.
///
/// Pass it with a ``MixedDat`` (`u(.inc, mixedMap)`): component `i` of the Dat goes through map
/// `i`, and the kernel receives one argument per component. `mixedMap[k]` is slot `k` of every
/// component map. A ``Sparsity`` over ``MixedDataSet``s takes pairs of mixed maps.
///
/// ```swift
/// let cellToSpace = try MixedMap([cellToNode, cellToNode], name: "cell2space")
/// try parLoop(residual, over: cells, r(.inc, cellToSpace), x(.read, cellToNode))
/// ```
///
/// The corresponding PyOP2 class is `op2.MixedMap`; OP2 has none.
public struct MixedMap: Hashable, Sendable, CustomStringConvertible {
  /// The component maps, in order.
  public let maps: [Map]
  /// The name used in messages.
  public let name: String

  /// Creates a mixed map.
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` for an empty list or maps that start
  ///   from different sets.
  public init(_ maps: [Map], name: String? = nil) throws(OP2Error) {
    let name = name ?? "(" + maps.map(\.name).joined(separator: ", ") + ")"
    guard let first = maps.first else { throw .invalidMixed(object: "MixedMap \"\(name)\"", reason: "no component maps were given") }
    if let other = maps.first(where: { $0.from !== first.from }) {
      throw .invalidMixed(object: "MixedMap \"\(name)\"",
                          reason: "component maps start from different sets: \(first.name) from \(first.from.name), \(other.name) from \(other.from.name)")
    }
    self.maps = maps
    self.name = name
  }

  /// The number of components.
  public var count: Int { maps.count }
  /// The components (PyOP2's `MixedMap.split`).
  public var split: [Map] { maps }
  /// The iteration set every component map starts from.
  public var from: Set { maps[0].from }
  /// The target sets, as a mixed set.
  public var to: MixedSet { MixedSet(nonEmpty: maps.map(\.to)) }
  /// Entries per element of each component.
  public var arities: [Int] { maps.map(\.arity) }
  /// Slot `index` of every component map: `u(.read, mixedMap[0])`.
  public subscript(index: Int) -> MixedMapSlot { MixedMapSlot(map: self, index: index) }

  public static func == (lhs: MixedMap, rhs: MixedMap) -> Bool {
    lhs.maps.count == rhs.maps.count && zip(lhs.maps, rhs.maps).allSatisfy { $0 === $1 }
  }
  public func hash(into hasher: inout Hasher) { for m in maps { hasher.combine(ObjectIdentifier(m)) } }
  public var description: String { "MixedMap(\"\(name)\", [\(maps.map(\.name).joined(separator: ", "))])" }
}

/// Slot `index` of each map of a ``MixedMap``: each component of a ``MixedDat`` argument gets
/// `T *` at that entry's values.
public struct MixedMapSlot: Hashable, Sendable {
  /// The mixed map.
  public let map: MixedMap
  /// The slot, checked against each component map's arity when the loop is built.
  public let index: Int
}
