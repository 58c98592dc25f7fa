/// A base ``Set`` repeated in columns of `layers` layers: the mesh of a layered (extruded) domain,
/// as in Firedrake's ocean, atmosphere and ice-sheet models.
///
/// Its elements are the columns (``size`` is the base's size, as PyOP2's `ExtrudedSet.size`);
/// each column holds `layers` layers of entities and `layers - 1` cells between them (PyOP2's
/// convention: `layers` counts layers of entities, so a column of `layers - 1` prisms has
/// `layers` vertex layers).
///
/// - **Data.** A ``Dat`` on an extruded set stores `layers` entities per column, column by column:
///   entity `(c, k)` is at `c * layers + k`. A Dat of vertex values on `ExtrudedSet(vertices, layers: L)`
///   fills it exactly; cell data read directly in a cell loop uses entries `0..<layers - 1` of each
///   column (the top one is left alone by cell loops, and covered by Dat algebra).
/// - **Loops.** A loop over an extruded set runs over its cells: each column, then its layers
///   `k` in the chosen ``IterationRegion`` (every cell, the bottom or top cell, or the interior
///   horizontal facets). A direct argument is entity `(c, k)`; an indirect one goes through a
///   ``Map`` from the extruded set with per-slot offsets
///   (``Map/init(from:to:arity:values:offset:name:)``), whose row the generated wrapper reads once
///   per column. The kernel can receive `k` as a last `int` parameter
///   (``parLoop(_:over:iterate:passLayer:_:)-(Kernel,ExtrudedSet,IterationRegion,Bool,Arg...)``).
///
/// ```swift
/// let columns = try ExtrudedSet(triangles, layers: 11)          // 10 prisms per column
/// let nodes = try ExtrudedSet(vertices, layers: 11)             // 11 vertices per column
/// let prism2node = try Map(from: columns, to: nodes, arity: 6,
///                          values: bottomAndTop, offset: [1, 1, 1, 1, 1, 1])
/// try parLoop(volume, over: columns, iterate: .all, passLayer: true, x(.read, prism2node), vol(.inc))
/// ```
///
/// **MPI.** Extrude a base *after* ``OP2/partition(primary:map:method:)``: the extruded set then
/// follows its base's partition (a column is an element: same owned, exec-halo and non-exec-halo
/// columns, halo lists and numbering). Dats on it are declared on this rank's columns and exchange
/// halos a column at a time; Maps from it are declared in local numbering, one row per owned and
/// exec-halo column (`executedSize` rows), built from the renumbered base maps
/// (see <doc:Extruded>). ``Dat/gatheredData()`` returns columns in the declared order.
/// ``Sparsity``, ``Mat`` and ``Solver`` work on it as on a plain distributed set: each rank owns
/// its owned columns' entities, numbered for PETSc column by column (column number × layers +
/// layer), and the exec-halo columns assemble redundantly.
///
/// **Limits.** An extruded set made before its base was partitioned stays whole, and loops and
/// Sparsities over it then throw; so do extruded loops on the OpenCL target
/// (``OP2Error/unsupportedOnExtrudedSet(set:reason:)``). Subsets of extruded sets are not
/// supported.
///
/// The corresponding PyOP2 class is `op2.ExtrudedSet(parent, layers)`; OP2 has none.
public final class ExtrudedSet: Set, @unchecked Sendable {
  /// The set that is extruded: its elements are the columns.
  public let base: Set
  /// Layers of entities per column (at least 2); a column has `layers - 1` cells.
  public let layers: Int

  /// Extrudes `base` into columns of `layers` layers.
  ///
  /// - Parameters:
  ///   - base: The base set (cells or vertices of the 2D mesh).
  ///   - layers: Layers of entities per column: at least 2 (one cell per column).
  ///   - name: A name for messages; defaults to `<base>_extruded`.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for `layers < 2` or more entities than
  ///   32-bit indices address; ``OP2Error/unsupportedOnExtrudedSet(set:reason:)`` when `base` is
  ///   declared in blocks and not partitioned yet.
  public init(_ base: Set, layers: Int, name: String? = nil) throws(OP2Error) {
    let name = name ?? "\(base.name)_extruded"
    guard layers >= 2 else {
      throw .invalidSize(object: "ExtrudedSet \"\(name)\"", what: "layers (at least 2: layers of entities, layers - 1 cells per column)", value: layers)
    }
    guard base.size <= Set.maxSize / layers else {
      throw .invalidSize(object: "ExtrudedSet \"\(name)\"", what: "layers (\(base.size) columns × layers entities must be at most \(Set.maxSize))", value: layers)
    }
    guard base.isDistributed || !base.layout.declaredInBlocks else {
      throw .unsupportedOnExtrudedSet(set: name, reason: "its base \(base.name) is declared in blocks and not partitioned yet; extrude it after OP2.partition")
    }
    self.base = base
    self.layers = layers
    super.init(unregisteredSize: base.size, name: name, entitiesPerElement: layers)
    // Columns lie where their base elements lie: the same core/owned/exec/non-exec ranges, halo
    // lists and numbering (a column is one element of `layers × dim` values per Dat).
    if base.isDistributed { install(layout: base.layout, distribution: base.distribution) }
  }

  /// Whether the set follows its base's partition: false for an extruded set made before its
  /// base was partitioned (it stays whole, and loops over it throw).
  package var followsBase: Bool { base.distribution === distribution && !base.layout.declaredInBlocks }

  /// Cells per column: `layers - 1`.
  public var cellsPerColumn: Int { layers - 1 }

  public override var description: String { "ExtrudedSet(\"\(name)\", columns: \(size), layers: \(layers))" }
}

/// Which layers of each column a loop over an ``ExtrudedSet`` visits.
///
/// With `L` layers (`L - 1` cells per column), the layer `k` the kernel is called for, and may
/// receive as its last `int` argument, runs over:
///
/// | region | layers `k` | calls per column |
/// |---|---|---|
/// | ``all`` | `0 ..< L - 1` | `L - 1` |
/// | ``onBottom`` | `0` | 1 |
/// | ``onTop`` | `L - 2` | 1 |
/// | ``onInteriorFacets`` | `0 ..< L - 2`: the facet between cells `k` and `k + 1` | `L - 2` |
///
/// On interior facets a map argument sees both cells: a whole-map argument gets `2 × arity`
/// pointers (the `arity` entries at layer `k`, then those at `k + 1`), a slot `map[i]` takes
/// `i` in `0 ..< 2 × arity`, and a Mat's element matrix has twice the rows and columns. Direct
/// arguments are not allowed there (go through a map, as in PyOP2).
///
/// The corresponding PyOP2 names are `ALL`, `ON_BOTTOM`, `ON_TOP` and `ON_INTERIOR_FACETS`
/// (`par_loop(..., iterate=...)`).
public enum IterationRegion: String, Hashable, Sendable, Codable, CaseIterable {
  /// Every cell of every column (PyOP2's `ALL`).
  case all
  /// The bottom cell of each column (PyOP2's `ON_BOTTOM`).
  case onBottom
  /// The top cell of each column (PyOP2's `ON_TOP`).
  case onTop
  /// The interior horizontal facets of each column (PyOP2's `ON_INTERIOR_FACETS`).
  case onInteriorFacets

  /// The layers `k` visited in a column of `layers` entity layers.
  package func layerRange(layers: Int) -> Range<Int> {
    switch self {
    case .all: return 0..<(layers - 1)
    case .onBottom: return 0..<1
    case .onTop: return (layers - 2)..<(layers - 1)
    case .onInteriorFacets: return 0..<(layers - 2)
    }
  }
}

/// Runs `kernel` over the cells (or facets) of an ``ExtrudedSet``: for each column, for each
/// layer `k` of `region`; see ``ExtrudedSet`` and ``IterationRegion``.
///
/// - Parameters:
///   - kernel: The C kernel; its parameters match `args` by position, then (with `passLayer`)
///     one `int` for the layer `k`.
///   - set: The extruded iteration set.
///   - region: The layers to visit (``IterationRegion/all`` by default).
///   - passLayer: Whether the kernel receives `k` as an extra last `int` parameter.
///   - args: One argument per kernel parameter (but the layer).
/// - Throws: ``OP2Error`` for an invalid call, as ``parLoop(_:over:_:)-(Kernel,Set,Arg...)`` does.
///
/// The corresponding PyOP2 call is `op2.par_loop(kernel, iterset, *args, iterate=region,
/// pass_layer_arg=passLayer)`.
public func parLoop(_ kernel: Kernel, over set: ExtrudedSet, iterate region: IterationRegion = .all,
                    passLayer: Bool = false, _ args: Arg...) throws(OP2Error) {
  try parLoop(kernel, over: set, iterate: region, passLayer: passLayer, args)
}

/// Runs `kernel` over an ``ExtrudedSet`` with an array of arguments; see
/// ``parLoop(_:over:iterate:passLayer:_:)-(Kernel,ExtrudedSet,IterationRegion,Bool,Arg...)``.
public func parLoop(_ kernel: Kernel, over set: ExtrudedSet, iterate region: IterationRegion = .all,
                    passLayer: Bool = false, _ args: [Arg]) throws(OP2Error) {
  let loop = try ParLoop(kernel: kernel, set: set, args: args, layers: .region(region), passLayer: passLayer)
  try Runtime.current.submit(loop)
}

/// Runs `kernel` over `set` with a region or the layer argument, which only an ``ExtrudedSet``
/// has: for a set that is not extruded it throws ``OP2Error/notExtruded(operation:set:)``.
public func parLoop(_ kernel: Kernel, over set: Set, iterate region: IterationRegion, passLayer: Bool = false,
                    _ args: Arg...) throws(OP2Error) {
  guard let extruded = set as? ExtrudedSet else {
    throw .notExtruded(operation: "parLoop \"\(kernel.name)\" with iterate: .\(region.rawValue)", set: set.name)
  }
  try parLoop(kernel, over: extruded, iterate: region, passLayer: passLayer, args)
}

extension ParLoop {
  /// Validates a loop over an ``ExtrudedSet`` for repeated runs; see
  /// ``parLoop(_:over:iterate:passLayer:_:)-(Kernel,ExtrudedSet,IterationRegion,Bool,Arg...)``.
  public convenience init(_ kernel: Kernel, over set: ExtrudedSet, iterate region: IterationRegion = .all,
                          passLayer: Bool = false, _ args: Arg...) throws(OP2Error) {
    try self.init(kernel: kernel, set: set, args: args, layers: .region(region), passLayer: passLayer)
  }
}
