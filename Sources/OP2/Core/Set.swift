import Synchronization

/// A set of mesh entities (vertices, edges, cells, ...) that loops iterate over and data lives on.
///
/// A `Set` has only a size and a name; the topology between sets is given by ``Map``s and the
/// data on a set by ``Dat``s. Sets compare by identity: two sets of the same size are different
/// sets.
///
/// ```swift
/// let cells = Set(size: 720_000, name: "cells")
/// ```
///
/// **Naming.** This type deliberately shadows the standard library's `Swift.Set` in files that
/// import OP2, so that code reads like PyOP2's `op2.Set`. Write `Swift.Set<Int>` where you need
/// the standard one. The corresponding PyOP2 class is `op2.Set`; in OP2, `op_set` from `op_decl_set`.
public class Set: Hashable, CustomStringConvertible, @unchecked Sendable {
  /// The number of elements this rank owns: every element without MPI or before
  /// ``OP2/partition(primary:map:method:)``, this rank's part after it (PyOP2's `Set.size`).
  public var size: Int { layout.owned }
  /// The name used in messages and timing output.
  public let name: String
  /// How the elements lie on this rank; replaced only by partitioning, when no loop is queued.
  /// (Read by every loop: no dynamic exclusivity checks.)
  @exclusivity(unchecked) package private(set) var layout: SetLayout
  /// The halo, neighbours and numbering after partitioning; nil for a set that is not distributed.
  @exclusivity(unchecked) package private(set) var distribution: _SetDistribution?
  /// Entities stored per element: 1, or an ``ExtrudedSet``'s `layers` (its elements are columns).
  package let entitiesPerElement: Int

  /// Creates a set of `size` elements.
  ///
  /// - Parameters:
  ///   - size: The number of elements; must not be negative.
  ///   - name: A name for messages; defaults to `set_<n>`.
  /// - Precondition: `0 <= size <= Set.maxSize`; a violation stops the program with the message
  ///   of ``init(checkedSize:name:)``'s error (in release builds too). Use that initializer to get
  ///   a thrown error instead.
  public init(size: Int, name: String? = nil) {
    if let error = Set.sizeError(size, name: name) { fatalError(error.description) }
    layout = SetLayout(whole: size)
    entitiesPerElement = 1
    self.name = name ?? "set_\(Set.counter.add(1, ordering: .relaxed).newValue)"
    DistributedRegistry.shared.register(self)
  }

  /// A set that partitioning never sees, not registered for distribution: the iteration set of a
  /// ``Subset``.
  package init(unregisteredSize size: Int, name: String, entitiesPerElement: Int = 1) {
    layout = SetLayout(whole: size)
    self.entitiesPerElement = entitiesPerElement
    self.name = name
  }

  /// Entities on this rank, halo included: `totalSize`, times `layers` for an ``ExtrudedSet``
  /// (what a Dat on the set stores per unit of `dim`, and what a map into the set addresses).
  package var totalEntityCount: Int { totalSize * entitiesPerElement }

  /// Creates a set, throwing for a negative size.
  ///
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` when `size < 0` or
  ///   `size > Set.maxSize`.
  public convenience init(checkedSize size: Int, name: String? = nil) throws(OP2Error) {
    if let error = Set.sizeError(size, name: name) { throw error }
    self.init(size: size, name: name)
  }

  /// The largest set: generated wrappers index elements and map entries with 32-bit `int`s (as
  /// OP2 does), so larger sets, and map entries beyond, cannot be addressed.
  public static let maxSize = Int(Int32.max)

  private static func sizeError(_ size: Int, name: String?) -> OP2Error? {
    if size < 0 { return .invalidSize(object: "Set \"\(name ?? "?")\"", what: "size (at least 0)", value: size) }
    if size > maxSize { return .invalidSize(object: "Set \"\(name ?? "?")\"", what: "size (at most \(maxSize), what 32-bit indices address)", value: size) }
    return nil
  }

  private static let counter = Atomic<Int>(0)

  package func install(layout: SetLayout, distribution: _SetDistribution?) {
    self.layout = layout
    self.distribution = distribution
    LoopPlanEpoch.advance()
  }

  public static func == (lhs: Set, rhs: Set) -> Bool { lhs === rhs }
  public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
  public var description: String { "Set(\"\(name)\", size: \(size))" }
}

/// A set together with the number of values stored per element: the shape of a ``Dat``.
///
/// Spell it `cells ** 4` (as in PyOP2) or `DataSet(cells, dim: 4)`.
/// The corresponding PyOP2 class is `op2.DataSet`; OP2 passes the dimension to `op_decl_dat`.
public struct DataSet: Hashable, Sendable, CustomStringConvertible {
  /// The set the data lives on.
  public let set: Set
  /// Values per element (at least 1).
  public let dim: Int

  /// Creates a data set of `dim` values per element of `set`.
  /// - Precondition: `dim >= 1`.
  public init(_ set: Set, dim: Int) {
    if dim < 1 { fatalError("DataSet on \(set.name): dim must be at least 1, got \(dim)") }
    self.set = set
    self.dim = dim
  }

  /// The total number of values: `set.size * dim` (times `layers` on an ``ExtrudedSet``).
  public var count: Int { self.set.size * self.set.entitiesPerElement * dim }
  /// Values stored on this rank, halo included: `set.totalSize * dim` (times `layers` on an
  /// ``ExtrudedSet``).
  package var storedCount: Int { self.set.totalEntityCount * dim }
  public var description: String { "\(self.set.name)**\(dim)" }
}

infix operator ** : MultiplicationPrecedence

/// `set ** dim` is the ``DataSet`` of `dim` values per element of `set`, as in PyOP2.
public func ** (set: Set, dim: Int) -> DataSet { DataSet(set, dim: dim) }
