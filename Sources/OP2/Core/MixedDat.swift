/// Data on a mixed space: one ``Dat`` per component of a ``MixedDataSet``, such as the velocity
/// and pressure of a Stokes solution.
///
/// **In loops** a MixedDat argument passes one argument per component to the kernel, in order,
/// as PyOP2 does: `u(.read)` passes each component directly (each must live on the iteration
/// set), `u(.inc, mixedMap)` passes component `i` through map `i` of the ``MixedMap`` (`T **`
/// each), and `u(.inc, mixedMap[k])` through slot `k` of each (`T *` each). A kernel for a
/// two-component `u(.inc, cellToSpace)` therefore takes two parameters:
///
/// ```swift
/// let up = try MixedDat<Double>(space ** [2, 1], name: "up")
/// let k = Kernel(code: "void f(double *u[3], double *p[3]) { ... }", name: "f")
/// try parLoop(k, over: cells, up(.inc, cellToSpace))
/// ```
///
/// The components are ordinary Dats: they take part in lazy evaluation, fusion, halo exchanges
/// and every backend as any Dat does, and can be used on their own (`up[0]`). A block ``Mat``
/// solves with MixedDats as solution and right-hand side
/// (``Solver/solve(_:solution:rhs:)-(_,MixedDat<T>,_)``).
///
/// The corresponding PyOP2 class is `op2.MixedDat`; OP2 has none.
public final class MixedDat<T: OP2Scalar>: CustomStringConvertible, @unchecked Sendable {
  /// The component Dats, in order (PyOP2's `MixedDat.split`).
  public let dats: [Dat<T>]
  /// The name used in messages.
  public let name: String

  /// Groups existing Dats into a mixed Dat (no copy: the components are these Dats).
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` for an empty list.
  public init(_ dats: [Dat<T>], name: String? = nil) throws(OP2Error) {
    let name = name ?? "(" + dats.map(\.name).joined(separator: ", ") + ")"
    guard !dats.isEmpty else { throw .invalidMixed(object: "MixedDat \"\(name)\"", reason: "no component Dats were given") }
    self.dats = dats
    self.name = name
  }

  /// Creates a zeroed mixed Dat on `dataSet`, with components named `name[0]`, `name[1]`, ….
  public init(_ dataSet: MixedDataSet, name: String? = nil) {
    let name = name ?? "mixed_dat"
    dats = dataSet.dataSets.enumerated().map { Dat<T>($0.element, name: "\(name)[\($0.offset)]") }
    self.name = name
  }

  /// Creates a mixed Dat holding `values[i]` in component `i`.
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` when `values` has another number of
  ///   components, ``OP2Error/valueCountMismatch(object:expected:got:)`` for a component of the
  ///   wrong length.
  public convenience init(_ dataSet: MixedDataSet, values: [[T]], name: String? = nil) throws(OP2Error) {
    guard values.count == dataSet.count else {
      throw .invalidMixed(object: "MixedDat \"\(name ?? "mixed_dat")\" on \(dataSet)",
                          reason: "\(values.count) value arrays were given for \(dataSet.count) components")
    }
    for (i, (ds, v)) in zip(dataSet.dataSets, values).enumerated() where v.count != ds.count {
      throw .valueCountMismatch(object: "MixedDat \"\(name ?? "mixed_dat")\" component \(i) on \(ds)", expected: ds.count, got: v.count)
    }
    self.init(dataSet, name: name)
    for (dat, v) in zip(dats, values) { try dat.setData(v) }
  }

  /// The component data sets.
  public var dataSet: MixedDataSet { MixedDataSet(nonEmpty: dats.map(\.dataSet)) }
  /// The number of components.
  public var count: Int { dats.count }
  /// Component `i`.
  public subscript(i: Int) -> Dat<T> { dats[i] }
  /// The components (PyOP2's `MixedDat.split`).
  public var split: [Dat<T>] { dats }

  /// Each component's values (this rank's owned elements), after the queued loops that write them.
  public var data: [[T]] { dats.map(\.data) }

  /// Sets every component to zero (after the queued loops that use them).
  public func zero() { for d in dats { d.zero() } }

  /// Direct arguments: each component, which must live on the iteration set, as `T *`.
  public func callAsFunction(_ access: Access) -> Arg {
    mixedArg(access, components: dats.map { $0(access) }, summary: name, problem: nil)
  }

  /// Component `i` through map `i` of `map`, as `T **` with one pointer per map entry.
  public func callAsFunction(_ access: Access, _ map: MixedMap) -> Arg {
    let problem = map.count == count ? nil
      : "MixedDat \(name) has \(count) components but MixedMap \(map.name) has \(map.count) maps"
    return mixedArg(access, components: zip(dats, map.maps).map { $0(access, $1) },
                    summary: "\(name) via \(map.name)", problem: problem)
  }

  /// Component `i` through slot `slot.index` of map `i`, as `T *`.
  public func callAsFunction(_ access: Access, _ slot: MixedMapSlot) -> Arg {
    let problem = slot.map.count == count ? nil
      : "MixedDat \(name) has \(count) components but MixedMap \(slot.map.name) has \(slot.map.count) maps"
    return mixedArg(access, components: zip(dats, slot.map.maps).map { $0(access, $1[slot.index]) },
                    summary: "\(name) via \(slot.map.name)[\(slot.index)]", problem: problem)
  }

  /// Not a valid argument: a MixedDat needs one map per component. `parLoop` throws
  /// ``OP2Error/mixedArgumentMismatch(_:reason:)``; pass a ``MixedMap`` (or a component, `u[i]`).
  public func callAsFunction(_ access: Access, _ map: Map) -> Arg {
    mixedArg(access, components: [], summary: "\(name) via \(map.name)",
             problem: "MixedDat \(name) needs a MixedMap with one map per component, not the single Map \(map.name); pass a MixedMap, or a component (\(name)[i]) with the Map")
  }

  private func mixedArg(_ access: Access, components: [Arg], summary: String, problem: String?) -> Arg {
    Arg(data: dats[0], access: access, map: nil, index: nil,
        mixed: _MixedArgument(components: components, problem: problem, summary: summary))
  }

  public var description: String { "MixedDat<\(T.self)>(\"\(name)\", \(dataSet))" }
}
