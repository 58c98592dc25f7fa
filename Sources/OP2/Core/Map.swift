import Synchronization

/// A fixed-arity mapping from each element of one set to elements of another.
///
/// Entry `j` of element `i` is `values[i * arity + j]`. Maps are validated when created: every
/// value must be a valid index of the target set. Maps are immutable, so loops and plans may
/// cache anything derived from them.
///
/// ```swift
/// let edge2cell = try Map(from: edges, to: cells, arity: 2, values: ecell, name: "pecell")
/// try parLoop(resCalc, over: edges, res(.inc, edge2cell[0]), res(.inc, edge2cell[1]))
/// ```
///
/// The corresponding PyOP2 class is `op2.Map`; in OP2, `op_map` from `op_decl_map`.
public final class Map: Hashable, CustomStringConvertible, @unchecked Sendable {
  /// The set whose elements are mapped (the iteration set of loops using this map).
  public let from: Set
  /// The set the values index into.
  public let to: Set
  /// Entries per source element.
  public let arity: Int
  /// The name used in messages.
  public let name: String
  /// The entries, read by every launch (no dynamic exclusivity checks).
  @exclusivity(unchecked) package private(set) var storage: _UnsafeDatBuffer
  /// The entries as a Swift array too: plans and partitioners read them without copying, and
  /// since maps never change (but for partitioning, which replaces both), the array and
  /// ``storage`` always agree.
  private var entries: [Int32]
  /// Per-slot layer offsets of a map from an ``ExtrudedSet`` (entity of slot `j` at layer `k` is
  /// `values[c * arity + j] + k * offset[j]`); nil for a map without (offset 0 in every slot).
  package private(set) var layerOffsets: [Int32]? = nil
  /// Whether this is a ``Subset``'s map to its superset: arguments through it are direct, not
  /// indirect, for distributed execution (no halo exchange or exec halo on their account).
  package private(set) var isSubsetElements = false
  /// ``layerFootprint(cellLayers:)``, made once.
  private let footprint = Mutex<(cellLayers: Int, values: [Int32])?>(nil)

  /// Creates a map, validating its shape and every entry.
  ///
  /// - Parameters:
  ///   - from: The source set.
  ///   - to: The target set.
  ///   - arity: Entries per source element (at least 1).
  ///   - values: `from.size * arity` indices into `to`, row-major by source element. For a set
  ///     declared in blocks (``Set/init(globalSize:localSize:name:)``) these are this rank's rows,
  ///     and the indices are global indices of `to` (`0..<to.globalSize`). From an
  ///     ``ExtrudedSet`` made after its base was partitioned: `from.executedSize * arity` local
  ///     indices (owned and exec-halo columns, into `to`'s entities on this rank, halo included),
  ///     as the partitioned base maps hold them.
  ///   - name: A name for messages.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for an arity below 1,
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `values` has the wrong length,
  ///   ``OP2Error/mapValueOutOfRange(map:entry:value:targetSet:targetSize:)`` for an entry outside `to`,
  ///   ``OP2Error/declaredAfterPartitioning(object:set:)`` when either set is already distributed
  ///   (declare Maps before ``OP2/partition(primary:map:method:)``; but maps from an extruded
  ///   set, declared after it, in local numbering).
  public init<S: Sequence>(from: Set, to: Set, arity: Int, values: S, name: String? = nil) throws(OP2Error)
  where S.Element: BinaryInteger {
    let name = name ?? "map_\(from.name)_to_\(to.name)"
    guard arity >= 1 else { throw .invalidSize(object: "Map \"\(name)\"", what: "arity (at least 1)", value: arity) }
    // From the columns of an extruded set that follows a partitioned base: local numbering.
    let local = Self.declaredLocally(from: from)
    if local {
      guard to.isDistributed, to.distribution?.communicator === from.distribution?.communicator else {
        throw .unsupportedOnExtrudedSet(set: from.name, reason: "Map \"\(name)\": its columns are distributed over MPI ranks but its target \(to.name) is not; map to a partitioned set or an extruded set made after OP2.partition")
      }
    } else {
      for set in [from, to] where set.isDistributed {
        throw .declaredAfterPartitioning(object: "Map \"\(name)\"", set: set.name)
      }
    }
    let targetSize = local ? to.totalEntityCount : to.globalSize * to.entitiesPerElement
    let rows = local ? from.executedSize : from.size
    // A rank holds only its rows of a set declared in blocks: their range is checked by
    // partitioning, on every rank at once, so that every rank throws the same error.
    let deferred = from.layout.declaredInBlocks || to.layout.declaredInBlocks
    let converted = try Self.entries(of: values, targetSize: deferred ? nil : targetSize, map: name, target: to.name)
    guard converted.count == rows * arity else {
      throw .valueCountMismatch(object: "Map \"\(name)\" (\(from.name) → \(to.name), arity \(arity))",
                                expected: rows * arity, got: converted.count)
    }
    self.from = from
    self.to = to
    self.arity = arity
    self.name = name
    storage = _UnsafeDatBuffer(byteCount: converted.count * 4)
    storage.store(converted)
    entries = converted
    // Partitioning never sees maps from or to extruded sets (they are not distributed).
    if !(from is ExtrudedSet || to is ExtrudedSet) { DistributedRegistry.shared.register(self) }
  }

  /// Creates a map from the columns of an ``ExtrudedSet`` with per-slot layer offsets, as PyOP2's
  /// `Map(iterset, toset, arity, values, offset=...)` does.
  ///
  /// Column `c`'s entity in slot `j` at layer `k` is `values[c * arity + j] + k * offset[j]`:
  /// `values` give the bottom layer (layer 0) and the generated wrapper adds `k * offset[j]` as
  /// it walks up the column, reading the row once per column. With the target numbered column by
  /// column (an ``ExtrudedSet`` of `layers` entities, entity `(c, k)` at `c * layers + k`), the
  /// bottom vertices of a prism are `v * layers`, its top vertices `v * layers + 1`, and every
  /// offset is 1.
  ///
  /// - Parameters:
  ///   - from: The extruded iteration set; `values` has one row per column (`from.size * arity`).
  ///   - to: The target set (entities are its ``ExtrudedSet`` entities when it is extruded).
  ///   - arity: Entries per column.
  ///   - values: The layer-0 entries, row-major by column.
  ///   - offset: One offset per slot (`arity` of them).
  ///   - name: A name for messages.
  /// - Throws: what ``init(from:to:arity:values:name:)`` throws;
  ///   ``OP2Error/notExtruded(operation:set:)`` when `from` is not an ``ExtrudedSet``;
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `offset.count != arity`;
  ///   ``OP2Error/mapValueOutOfRange(map:entry:value:targetSet:targetSize:)`` when an entry's top
  ///   cell layer (`values[i] + (layers - 2) * offset[j]`) leaves the target.
  public convenience init<S: Sequence>(from: Set, to: Set, arity: Int, values: S, offset: [Int], name: String? = nil) throws(OP2Error)
  where S.Element: BinaryInteger {
    let label = name ?? "map_\(from.name)_to_\(to.name)"
    guard let extruded = from as? ExtrudedSet else {
      throw .notExtruded(operation: "Map \"\(label)\" with layer offsets", set: from.name)
    }
    guard offset.count == arity else {
      throw .valueCountMismatch(object: "offsets of Map \"\(label)\" (one per slot, arity \(arity))", expected: arity, got: offset.count)
    }
    guard offset.allSatisfy({ $0.magnitude <= UInt(Set.maxSize) }) else {
      throw .invalidSize(object: "Map \"\(label)\"", what: "layer offset (at most \(Set.maxSize) in size)",
                         value: offset.first { $0.magnitude > UInt(Set.maxSize) }!)
    }
    // Checked before the map exists, so that a bad map changes nothing.
    let ints = values.map { Int(clamping: $0) }
    let targetSize = to.totalEntityCount, top = extruded.layers - 2
    if arity >= 1, ints.count == (Self.declaredLocally(from: from) ? from.executedSize : from.size) * arity {
      for (e, v) in ints.enumerated() where v >= 0 && v < targetSize {
        let last = v + top * offset[e % arity]
        if !(last >= 0 && last < targetSize) {
          throw .mapValueOutOfRange(map: "\(label) at cell layer \(top)", entry: e, value: last, targetSet: to.name, targetSize: targetSize)
        }
      }
    }
    try self.init(from: from, to: to, arity: arity, values: ints, name: name)
    layerOffsets = offset.map { Int32($0) }
  }

  /// Whether a map from `from` is declared after partitioning, in local numbering: `from` is an
  /// ``ExtrudedSet`` that follows a partitioned base (one row per owned and exec-halo column,
  /// entries are local entities of the target, halo included).
  static func declaredLocally(from: Set) -> Bool {
    guard let extruded = from as? ExtrudedSet else { return false }
    return extruded.isDistributed
  }

  /// The layer offsets, one per slot (all 0 for a map created without offsets): PyOP2's `Map.offset`.
  public var offset: [Int] { layerOffsets.map { $0.map(Int.init) } ?? Array(repeating: 0, count: arity) }

  /// Every entity a column reaches through each slot over `cellLayers` cell layers: row `c` holds,
  /// for each slot `j`, `values[c * arity + j] + k * offset[j]` for `k` in `0..<cellLayers`
  /// (arity `arity * cellLayers`). The threaded backend colours columns by it: two columns that
  /// share no entity of it never write the same element. Made once and kept.
  package func layerFootprint(cellLayers: Int) -> [Int32] {
    footprint.withLock { cache in
      if let cache, cache.cellLayers == cellLayers { return cache.values }
      let offsets = layerOffsets ?? Array(repeating: 0, count: arity)
      var out: [Int32] = []
      out.reserveCapacity(entries.count * cellLayers)
      for (e, v) in entries.enumerated() {
        let offset = offsets[e % arity]
        for k in 0..<Int32(cellLayers) { out.append(v &+ k &* offset) }
      }
      cache = (cellLayers, out)
      return out
    }
  }

  /// A map that partitioning never sees, not registered for distribution (a ``Subset``'s maps);
  /// `entries` must lie in `0..<to.size`.
  package init(unregisteredFrom from: Set, to: Set, arity: Int, entries: [Int32], name: String, subsetElements: Bool = false) {
    precondition(entries.count == from.executedSize * arity, "Map \(name): \(entries.count) entries for \(from.executedSize) elements of arity \(arity)")
    isSubsetElements = subsetElements
    self.from = from
    self.to = to
    self.arity = arity
    self.name = name
    storage = _UnsafeDatBuffer(byteCount: entries.count * 4)
    storage.store(entries)
    self.entries = entries
  }

  /// `values` as 32-bit entries, each checked against `targetSize` (unless nil).
  ///
  /// The generic initializer runs unspecialized when called from another module, which costs a
  /// type-metadata lookup per value (seconds for OP2's 720 000-cell grid): the common element
  /// types go through non-generic loops, an `[Int32]` without a copy.
  private static func entries<S: Sequence>(of values: S, targetSize: Int?, map: String, target: String) throws(OP2Error) -> [Int32]
  where S.Element: BinaryInteger {
    if let ints = values as? [Int32] {
      try check(ints, targetSize: targetSize, map: map, target: target)
      return ints
    }
    if let ints = values as? [Int] {
      try check(ints, targetSize: targetSize, map: map, target: target)
      return ints.map { Int32(clamping: $0) }
    }
    var converted = [Int32]()
    converted.reserveCapacity(values.underestimatedCount)
    for (entry, v) in values.enumerated() {
      if let targetSize, !(v >= 0 && v < targetSize) {
        throw .mapValueOutOfRange(map: map, entry: entry, value: Int(v), targetSet: target, targetSize: targetSize)
      }
      converted.append(Int32(clamping: v))
    }
    return converted
  }

  private static func check<T: FixedWidthInteger>(_ values: [T], targetSize: Int?, map: String, target: String) throws(OP2Error) {
    guard let targetSize else { return }
    if let bad = values.firstIndex(where: { $0 < 0 || Int($0) >= targetSize }) {
      throw .mapValueOutOfRange(map: map, entry: bad, value: Int(values[bad]), targetSet: target, targetSize: targetSize)
    }
  }

  /// Replaces the entries (partitioning renumbers them to local indices).
  package func replaceValues(_ values: [Int32]) {
    let buffer = _UnsafeDatBuffer(byteCount: values.count * 4)
    buffer.store(values)
    storage = buffer
    entries = values
  }

  /// The map's entries, row-major by source element (no copy is made). After partitioning: one
  /// row per element of `from` that this rank executes (`from.executedSize`), in local indices
  /// of `to`.
  public var values: [Int32] { entries }

  /// A single slot of the map, for arguments that pass one entry per element (`map[0]`).
  ///
  /// - Precondition: `0 <= index < arity` is checked when the argument reaches `parLoop`,
  ///   which throws ``OP2Error/mapIndexOutOfRange(map:index:arity:)``.
  public subscript(index: Int) -> MapSlot { MapSlot(map: self, index: index) }

  public static func == (lhs: Map, rhs: Map) -> Bool { lhs === rhs }
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
  public var description: String { "Map(\"\(name)\", \(from.name) → \(to.name), arity: \(arity))" }
}

/// One slot `map[index]` of a ``Map``: the kernel receives a single `T *` for it.
public struct MapSlot: Hashable, Sendable {
  /// The map.
  public let map: Map
  /// The slot, in `0..<map.arity`.
  public let index: Int
}
