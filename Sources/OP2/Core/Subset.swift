import Synchronization

/// Some elements of a ``Set``, to iterate over: a loop over a subset runs the kernel only for
/// those elements, with every argument as it would be over the whole set — direct Dats indexed by
/// the superset's element, Maps that start from the superset.
///
/// ```swift
/// let boundary = try Subset(of: edges, indices: boundaryEdges, name: "boundary")
/// try parLoop(bres, over: boundary, x(.read, edge2node), res(.inc, edge2cell[0]), flag(.read))
/// let wallCells = try Subset(of: cells, indices: wallCellIndices, name: "wall_cells")
/// try res.zero(subset: wallCells)                 // zero part of a Dat
/// ```
///
/// Indices are sorted and de-duplicated, so the kernel meets the elements in ascending order. A
/// subset of a subset takes indices into its parent (its `n`th element is the parent's `n`th) and
/// is itself a subset of the root ``Set``.
///
/// **How it runs.** A subset has an iteration set of its own and a map from it to the superset;
/// a loop over the subset becomes a loop over that set in which direct arguments go through
/// that map and Maps are composed with it (cached per Map). So it runs on every backend, queues
/// and orders like any loop; loops that write a Dat over a subset are coloured as indirect writes.
///
/// **Under MPI** a subset follows its superset's partition, as in PyOP2: make it *after*
/// ``OP2/partition(primary:map:method:)``, with this rank's local indices of the superset —
/// owned elements (`0..<set.size`) and, if wanted, exec-halo elements
/// (`set.size..<set.executedSize`); see ``Set/globalIndices`` to pick them from global numbers.
/// The subset's core, owned and exec-halo parts are its indices that fall in the superset's, so a
/// loop over it runs like a loop over the superset: core elements while halos are exchanged, then
/// owned ones, then the exec halo when it writes through a Map; Globals count owned elements only.
/// Every rank calls the loop (a rank's subset may be empty).
///
/// **Limits.** ``Mat`` arguments throw; so does a loop over a subset made before its superset
/// was partitioned (its indices number the elements before partitioning), and a subset of a set
/// declared in blocks and not partitioned yet.
///
/// The corresponding PyOP2 class is `op2.Subset(superset, indices)`; OP2 has none.
public final class Subset: CustomStringConvertible, @unchecked Sendable {
  /// The root set: a subset of a subset is a subset of its parent's superset.
  public let superset: Set
  /// The elements, in the superset's (rank-local) numbering, ascending and distinct.
  public let indices: [Int]
  /// The name used in messages.
  public let name: String
  /// The loops' iteration set: one element per index.
  package let iterationSet: Set
  /// `iterationSet` → `superset`, arity 1: element `n` is `indices[n]`.
  package let elements: Map
  /// Maps from the superset, composed with `elements`, by the identity of the Map.
  private let composed = Mutex<[ObjectIdentifier: Map]>([:])
  /// The superset's distribution when the subset was made (nil: not distributed).
  private let madeOver: _SetDistribution?

  /// Creates a subset of `set`.
  ///
  /// - Parameters:
  ///   - set: The superset.
  ///   - indices: Elements of `set`, in any order, repeats allowed (they are sorted and
  ///     de-duplicated). For a distributed set, this rank's local indices: owned elements and
  ///     exec-halo elements, `0..<set.executedSize`.
  ///   - name: A name for messages; defaults to `<set>_subset`.
  /// - Throws: ``OP2Error/subsetIndexOutOfRange(subset:index:set:size:)`` for an index outside
  ///   `0..<set.executedSize` (`0..<set.size` when `set` is not distributed);
  ///   ``OP2Error/unsupportedOnSubset(subset:reason:)`` when `set` is an ``ExtrudedSet``, or
  ///   declared in blocks and not partitioned yet.
  public init(of set: Set, indices: [Int], name: String? = nil) throws(OP2Error) {
    let name = name ?? "\(set.name)_subset"
    if set is ExtrudedSet {
      throw .unsupportedOnSubset(subset: name, reason: "\(set.name) is an ExtrudedSet; subsets of extruded sets are not supported (use an iteration region)")
    }
    guard !set.layout.declaredInBlocks else {
      throw .unsupportedOnSubset(subset: name, reason: "set \(set.name) is declared in blocks and not partitioned yet; make the subset after OP2.partition, with local indices")
    }
    // Non-exec halo elements are never run, and Maps hold no rows for them.
    let layout = set.layout
    if let bad = indices.first(where: { $0 < 0 || $0 >= layout.executed }) {
      throw .subsetIndexOutOfRange(subset: name, index: bad, set: set.name, size: layout.executed)
    }
    var sorted = indices.sorted()
    sorted.dedupOrdered()
    superset = set
    self.indices = sorted
    self.name = name
    madeOver = set.distribution
    iterationSet = Set(unregisteredSize: sorted.count, name: name)
    if let distribution = set.distribution {
      // The superset numbers core, then other owned, then exec-halo elements: so do the sorted
      // indices, and a loop over the subset runs each part where the superset's would.
      var part = SetLayout(whole: sorted.count)
      part.core = sorted.firstIndex { $0 >= layout.core } ?? sorted.count
      part.owned = sorted.firstIndex { $0 >= layout.owned } ?? sorted.count
      iterationSet.install(layout: part, distribution: distribution)
    }
    elements = Map(unregisteredFrom: iterationSet, to: set, arity: 1, entries: sorted.map { Int32($0) }, name: name,
                   subsetElements: true)
  }

  /// Creates a subset of a subset: `indices` are positions in `parent` (`0..<parent.totalSize`).
  ///
  /// - Throws: ``OP2Error/subsetIndexOutOfRange(subset:index:set:size:)`` for a position outside
  ///   `0..<parent.totalSize`.
  public convenience init(of parent: Subset, indices: [Int], name: String? = nil) throws(OP2Error) {
    let name = name ?? "\(parent.name)_subset"
    if let bad = indices.first(where: { $0 < 0 || $0 >= parent.totalSize }) {
      throw .subsetIndexOutOfRange(subset: name, index: bad, set: parent.name, size: parent.totalSize)
    }
    try self.init(of: parent.superset, indices: indices.map { parent.indices[$0] }, name: name)
  }

  /// The number of elements this rank owns: every element when the superset is not
  /// distributed (PyOP2's `Subset.size`).
  public var size: Int { iterationSet.layout.owned }
  /// The owned elements that are in the superset's core (PyOP2's `Subset.core_size`).
  public var coreSize: Int { iterationSet.layout.core }
  /// Every element on this rank, exec halo included: `indices.count` (PyOP2's `total_size`).
  public var totalSize: Int { indices.count }

  public var description: String { "Subset(\"\(name)\" of \(superset.name), size: \(size))" }

  /// `args` for a loop over the iteration set: direct Dats through `elements`, Maps composed.
  /// The caller has validated them against the superset.
  package func lower(_ args: [Arg], loop: String) throws(OP2Error) -> [Arg] {
    guard superset.distribution === madeOver else {
      throw .unsupportedOnSubset(subset: name, reason: "set \(superset.name) was partitioned after the subset was made, so its indices number elements that moved; make subsets after OP2.partition, with local indices")
    }
    var lowered: [Arg] = []
    lowered.reserveCapacity(args.count)
    for (i, arg) in args.enumerated() {
      if arg.matrix != nil {
        throw .unsupportedArgument(.init(loop: loop, position: i + 1, argument: arg.summary),
                                   reason: "Mat arguments are not supported in loops over a Subset (\(name))")
      }
      if arg.isGlobal {
        lowered.append(arg)
      } else if let map = arg.map {
        lowered.append(Arg(data: arg.data, access: arg.access, map: composedMap(map), index: arg.index))
      } else {
        lowered.append(Arg(data: arg.data, access: arg.access, map: elements, index: 0))
      }
    }
    return lowered
  }

  /// `map` restricted to the subset's elements (row `n` is row `indices[n]` of `map`), made once.
  private func composedMap(_ map: Map) -> Map {
    composed.withLock { cache in
      if let m = cache[ObjectIdentifier(map)] { return m }
      let values = map.values, arity = map.arity
      var rows: [Int32] = []
      rows.reserveCapacity(indices.count * arity)
      for e in indices { rows.append(contentsOf: values[(e * arity)..<((e + 1) * arity)]) }
      let m = Map(unregisteredFrom: iterationSet, to: map.to, arity: arity, entries: rows, name: "\(map.name)|\(name)")
      cache[ObjectIdentifier(map)] = m
      return m
    }
  }
}

extension Array where Element: Equatable {
  /// Removes adjacent repeats (all repeats, once sorted).
  fileprivate mutating func dedupOrdered() {
    var out: [Element] = []
    out.reserveCapacity(count)
    for x in self where out.last != x { out.append(x) }
    self = out
  }
}

/// Runs `kernel` for the elements of `subset` only; see ``Subset`` and
/// ``parLoop(_:over:_:)-(Kernel,Set,Arg...)``.
///
/// - Throws: ``OP2Error`` for an invalid call (checked as over the superset), for a Mat argument,
///   or for a subset made before its superset was partitioned.
///
/// The corresponding PyOP2 call is `op2.par_loop(kernel, subset, *args)`.
public func parLoop(_ kernel: Kernel, over subset: Subset, _ args: Arg...) throws(OP2Error) {
  try parLoop(kernel, over: subset, args)
}

/// Runs `kernel` over `subset` with an array of arguments; see ``parLoop(_:over:_:)-(Kernel,Subset,Arg...)``.
public func parLoop(_ kernel: Kernel, over subset: Subset, _ args: [Arg]) throws(OP2Error) {
  try Runtime.current.submit(ParLoop(kernel: kernel, subset: subset, args: args))
}

extension ParLoop {
  /// Validates a loop over a subset for repeated runs; see ``Subset``.
  /// - Throws: ``OP2Error`` as ``parLoop(_:over:_:)-(Kernel,Subset,Arg...)`` does.
  public convenience init(_ kernel: Kernel, over subset: Subset, _ args: Arg...) throws(OP2Error) {
    try self.init(kernel: kernel, subset: subset, args: args)
  }

  /// The loop over `subset`'s iteration set, after validating `args` over the superset (so that
  /// messages name the user's own arguments).
  package convenience init(kernel: Kernel, subset: Subset, args: [Arg]) throws(OP2Error) {
    _ = try ParLoop(kernel: kernel, set: subset.superset, args: args)
    try self.init(kernel: kernel, set: subset.iterationSet,
                  args: subset.lower(ParLoop.expand(args, loop: kernel.name), loop: kernel.name))
  }
}

extension Dat {
  /// Sets the values of the subset's elements to zero, leaving the others as they are.
  ///
  /// A generated loop over `subset` (this Dat WRITE), queued when evaluation is lazy; compare
  /// ``zero()``, which zeroes everything on the host.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when `subset` is
  ///   not a subset of this Dat's set.
  ///
  /// The corresponding PyOP2 call is `Dat.zero(subset=subset)`.
  public func zero(subset: Subset) throws(OP2Error) {
    guard subset.superset === dataSet.set else {
      throw .algebraMismatch(operation: "\(name).zero(subset: \(subset.name))", operand: "Subset \"\(subset.name)\"",
                             found: "of \(subset.superset.name)", expected: "a subset of \(dataSet.set.name)")
    }
    try parLoop(DatAlgebra.kernel(for: .init(form: .zero, cType: T.cType, dim: dim)), over: subset, self(.write))
  }

  /// Copies this Dat's values into `other` on the elements of `subset` only (a generated loop
  /// over the subset, queued lazily like ``copy(to:)``); `other`'s other values stay.
  /// Copying a Dat to itself does nothing. PyOP2's `Dat.copy(other, subset=)`.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when `other` is on
  ///   another set or dim, or `subset` is not a subset of this Dat's set; as a loop over a
  ///   Subset.
  public func copy(to other: Dat<T>, subset: Subset) throws(OP2Error) {
    let operation = "\(name).copy(to: \(other.name), subset: \(subset.name))"
    try other.checkOperand(self, operation: operation)
    guard subset.superset === dataSet.set else {
      throw .algebraMismatch(operation: operation, operand: "Subset \"\(subset.name)\"",
                             found: "of \(subset.superset.name)", expected: "a subset of \(dataSet.set.name)")
    }
    guard other !== self else { return }
    try parLoop(DatAlgebra.kernel(for: .init(form: .copy, cType: T.cType, dim: dim)), over: subset, other(.write), self(.read))
  }
}
