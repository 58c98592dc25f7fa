/// An ordered collection of ``Set``s that together describe a mixed (multi-field) space, such as
/// the velocity and pressure nodes of a Stokes problem.
///
/// A mixed set is not an iteration set: loops still run over a plain ``Set`` (the cells), and
/// reach each component through the matching map of a ``MixedMap``. Components may repeat (P1/P1
/// velocity and pressure both live on the nodes). Mixed sets compare by their components.
///
/// ```swift
/// let space = try MixedSet([nodes, nodes], name: "velocity_pressure")
/// let shape = space ** [2, 1]                      // MixedDataSet: velocity dim 2, pressure dim 1
/// ```
///
/// The corresponding PyOP2 class is `op2.MixedSet`; OP2 has none.
public struct MixedSet: Hashable, Sendable, CustomStringConvertible {
  /// The component sets, in order.
  public let sets: [Set]
  /// The name used in messages.
  public let name: String

  /// Creates a mixed set of `sets`.
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` for an empty list.
  public init(_ sets: [Set], name: String? = nil) throws(OP2Error) {
    let name = name ?? "(" + sets.map(\.name).joined(separator: ", ") + ")"
    guard !sets.isEmpty else { throw .invalidMixed(object: "MixedSet \"\(name)\"", reason: "no component sets were given") }
    self.sets = sets
    self.name = name
  }

  /// A mixed set of a non-empty list (checked by the caller).
  package init(nonEmpty sets: [Set]) {
    self.sets = sets
    name = "(" + sets.map(\.name).joined(separator: ", ") + ")"
  }

  /// The number of components.
  public var count: Int { sets.count }
  /// Component `i`.
  public subscript(i: Int) -> Set { sets[i] }
  /// The components (PyOP2's `MixedSet.split`).
  public var split: [Set] { sets }
  /// Owned elements over every component.
  public var size: Int { sets.reduce(0) { $0 + $1.size } }

  public static func == (lhs: MixedSet, rhs: MixedSet) -> Bool {
    lhs.sets.count == rhs.sets.count && zip(lhs.sets, rhs.sets).allSatisfy { $0 === $1 }
  }
  public func hash(into hasher: inout Hasher) { for s in sets { hasher.combine(ObjectIdentifier(s)) } }
  public var description: String { "MixedSet(\"\(name)\", [\(sets.map(\.name).joined(separator: ", "))])" }
}

/// One ``DataSet`` per component of a mixed space: the shape of a ``MixedDat`` and of the rows or
/// columns of a block ``Mat``.
///
/// Spell it `mixedSet ** [2, 1]` (one dim per component), `mixedSet ** 1` (the same dim for
/// every component) or `MixedDataSet([nodes ** 2, nodes ** 1])`.
///
/// The corresponding PyOP2 class is `op2.MixedDataSet`; OP2 has none.
public struct MixedDataSet: Hashable, Sendable, CustomStringConvertible {
  /// The component data sets, in order.
  public let dataSets: [DataSet]

  /// Creates a mixed data set from its components.
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` for an empty list.
  public init(_ dataSets: [DataSet]) throws(OP2Error) {
    guard !dataSets.isEmpty else { throw .invalidMixed(object: "MixedDataSet", reason: "no component data sets were given") }
    self.dataSets = dataSets
  }

  /// A mixed data set of a non-empty list (checked by the caller).
  package init(nonEmpty dataSets: [DataSet]) { self.dataSets = dataSets }

  /// Creates a mixed data set of `set` with `dims[i]` values per element of component `i`.
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` when `dims` has another length than the
  ///   set has components, or a dim is below 1.
  public init(_ set: MixedSet, dims: [Int]) throws(OP2Error) {
    guard dims.count == set.count else {
      throw .invalidMixed(object: "MixedDataSet on \(set.name)", reason: "\(dims.count) dims were given for \(set.count) component sets")
    }
    if let bad = dims.firstIndex(where: { $0 < 1 }) {
      throw .invalidMixed(object: "MixedDataSet on \(set.name)", reason: "dim \(dims[bad]) of component \(bad) is below 1")
    }
    dataSets = zip(set.sets, dims).map { DataSet($0, dim: $1) }
  }

  /// The number of components.
  public var count: Int { dataSets.count }
  /// Component `i`.
  public subscript(i: Int) -> DataSet { dataSets[i] }
  /// The components (PyOP2's `MixedDataSet.split`).
  public var split: [DataSet] { dataSets }
  /// The component sets.
  public var set: MixedSet { MixedSet(nonEmpty: dataSets.map(\.set)) }
  /// Values per element of each component (PyOP2's `MixedDataSet.dim`).
  public var dims: [Int] { dataSets.map(\.dim) }
  /// Owned values over every component: the length of the vector a block ``Mat`` multiplies.
  public var valueCount: Int { dataSets.reduce(0) { $0 + $1.count } }
  public var description: String { "(" + dataSets.map(\.description).joined(separator: ", ") + ")" }
}

/// `mixedSet ** dims` is the ``MixedDataSet`` with `dims[i]` values per element of component `i`.
/// - Throws: as ``MixedDataSet/init(_:dims:)``.
public func ** (set: MixedSet, dims: [Int]) throws(OP2Error) -> MixedDataSet { try MixedDataSet(set, dims: dims) }

/// `mixedSet ** dim` is the ``MixedDataSet`` with `dim` values per element of every component.
/// - Throws: as ``MixedDataSet/init(_:dims:)``.
public func ** (set: MixedSet, dim: Int) throws(OP2Error) -> MixedDataSet {
  try MixedDataSet(set, dims: [Int](repeating: dim, count: set.count))
}
