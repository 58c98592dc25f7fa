/// The data a loop argument refers to: a ``Dat`` or a ``Global`` seen without its element type.
///
/// Not API: the type-erased view the code generator and the backends work with.
package protocol _ArgData: AnyObject, Sendable {
  var name: String { get }
  var cType: String { get }
  var dim: Int { get }
  var elementSize: Int { get }
  var storage: _UnsafeDatBuffer { get }
  /// The set the data lives on; `nil` for a ``Global``.
  var set: Set? { get }
  /// The halo state of a Dat; nil for Globals and Mats.
  var halo: _HaloState? { get }
  /// Whether the host or a device holds the current values (see ``_DataResidence``).
  var residence: _DataResidence { get }
}

extension _ArgData {
  package var halo: _HaloState? { nil }
}

/// One argument of a ``parLoop(_:over:_:)-(Kernel,Set,Arg...)`` call: data, access mode and, for
/// indirect data, the map.
///
/// Build arguments by calling the data object: `dat(.read)` (direct), `dat(.inc, map)` (the kernel
/// receives `T **` with one pointer per map entry), `dat(.inc, map[1])` (one entry, `T *`),
/// `global(.inc)`, `mat(.inc, rows: map, cols: map)`. The corresponding PyOP2 object is `pyop2.base.Arg`; in OP2, `op_arg` from
/// `op_arg_dat` / `op_arg_gbl`.
public struct Arg: Sendable {
  package let data: any _ArgData
  /// The access mode.
  public let access: Access
  /// The map for indirect access; `nil` for direct and Global arguments.
  public let map: Map?
  /// The map slot, or `nil` when the kernel receives every entry of the map.
  public let index: Int?
  /// For a ``Mat`` argument: its maps and launch block (`map` is then the row map).
  package let matrix: _MatArgument?
  /// For an argument built from mixed objects (a ``MixedDat``, a block ``Mat`` through
  /// ``MixedMap``s): the arguments it expands to, one per component, or why it cannot be used.
  /// `parLoop` expands it before anything else, so nothing past validation sees it.
  package let mixed: _MixedArgument?

  package init(data: any _ArgData, access: Access, map: Map?, index: Int?, matrix: _MatArgument? = nil,
               mixed: _MixedArgument? = nil) {
    self.data = data
    self.access = access
    self.map = map
    self.index = index
    self.matrix = matrix
    self.mixed = mixed
  }

  /// Whether the argument is a Global.
  package var isGlobal: Bool { data.set == nil }

  /// A short rendering for messages, like `res via pecell[0]`.
  public var summary: String {
    if let mixed { return mixed.summary }
    if let matrix { return "\(data.name) via (\(matrix.rowMap.name), \(matrix.colMap.name))" }
    guard let map else { return data.name }
    if let index { return "\(data.name) via \(map.name)[\(index)]" }
    return "\(data.name) via \(map.name)"
  }
}

/// The mixed part of an ``Arg``: its components, in the order the kernel receives them, or the
/// reason it cannot be used (reported by `parLoop` with the argument's position).
package struct _MixedArgument: Sendable {
  package var components: [Arg]
  package var problem: String?
  package var summary: String
}
