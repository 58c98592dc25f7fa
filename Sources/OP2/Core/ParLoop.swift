import Synchronization

/// Runs `kernel` once for every element of `set`, with the given arguments.
///
/// The call is validated at once — arity, dtypes, sets, maps and access modes — and a bad call
/// throws without touching any data. The loop then runs on the configured backend, eagerly or,
/// when lazy evaluation is on, when a result it produces is requested (see ``OP2``).
///
/// ```swift
/// try parLoop(midpoint, over: cells,
///             midpoints(.write),
///             coordinates(.read, cell2vertex))
/// ```
///
/// - Parameters:
///   - kernel: The C kernel; its parameters match `args` by position.
///   - set: The iteration set.
///   - args: One argument per kernel parameter.
/// - Throws: ``OP2Error`` for an invalid call, or when the wrapper fails to compile or load.
///
/// The corresponding PyOP2 function is `op2.par_loop`; in OP2, `op_par_loop`.
public func parLoop(_ kernel: Kernel, over set: Set, _ args: Arg...) throws(OP2Error) {
  try parLoop(kernel, over: set, args)
}

/// Runs `kernel` over `set` with an array of arguments; see ``parLoop(_:over:_:)-(Kernel,Set,Arg...)``.
public func parLoop(_ kernel: Kernel, over set: Set, _ args: [Arg]) throws(OP2Error) {
  let loop = try ParLoop(kernel: kernel, set: set, args: args)
  try Runtime.current.submit(loop)
}

/// A validated loop that can be run again and again: PyOP2's pre-built `ParLoop`.
///
/// Creating one validates the call and computes its signature once, as ``parLoop(_:over:_:)-(Kernel,Set,Arg...)``
/// does on every call; each call of the handle then records (or, eagerly, runs) the loop with no
/// validation, no hashing and, after the first call, no compiler or cache lookup: the handle
/// keeps the wrapper it was compiled to for the configuration in effect.
///
/// ```swift
/// let step = try ParLoop(update, over: cells, qold(.read), q(.write), res(.rw), adt(.read), rms(.inc))
/// for _ in 0..<1000 { try step() }
/// ```
///
/// The arguments are fixed: the handle runs on the same Dats, Maps and Globals each time (their
/// values may change in between). A Const's value is read at each run.
///
/// The corresponding PyOP2 object is the `ParLoop` returned by `op2.par_loop` (or built with
/// `op2.ParLoop(...)` and run with `compute()`); OP2 has none.
public final class ParLoop: @unchecked Sendable {
  package let kernel: Kernel
  package let set: Set
  package let args: [Arg]
  package let signature: LoopSignature
  /// The run-time Consts the kernel uses (kept alive while the loop is queued); each launch
  /// passes their values (see ``ConstLayout``).
  package let consts: [any _ConstValue]
  /// Bytes the loop moves at least once (for bandwidth figures), as OP2's `op_timing_output` estimates.
  package let bytesMoved: Int
  /// For a loop over an ``ExtrudedSet``: the `int`s its wrapper reads from the extra last launch
  /// pointer — layers, first and end layer `k`, then each map's layer offsets (see
  /// ``LoopSignature/Extrusion/offsetPositions(_:)``); nil for every other loop.
  package let extrusionBlock: _UnsafeDatBuffer?

  /// Validates a loop for repeated runs; see the type's discussion.
  /// - Parameters:
  ///   - kernel: The C kernel; its parameters match `args` by position.
  ///   - set: The iteration set.
  ///   - args: One argument per kernel parameter.
  /// - Throws: ``OP2Error`` for an invalid call, as ``parLoop(_:over:_:)-(Kernel,Set,Arg...)`` does.
  public convenience init(_ kernel: Kernel, over set: Set, _ args: Arg...) throws(OP2Error) {
    try self.init(kernel: kernel, set: set, args: args)
  }

  /// Validates a loop with an array of arguments; see ``init(_:over:_:)-(Kernel,Set,Arg...)``.
  public convenience init(_ kernel: Kernel, over set: Set, _ args: [Arg]) throws(OP2Error) {
    try self.init(kernel: kernel, set: set, args: args)
  }

  /// Records the loop (or runs it, when lazy evaluation is off) with the values its Dats,
  /// Globals and Consts have now, on the configuration in effect.
  /// - Throws: ``OP2Error`` when the wrapper fails to compile or load (first call in a
  ///   configuration only), or for an invalid configuration.
  public func callAsFunction() throws(OP2Error) {
    try Runtime.current.submit(self)
  }

  /// The wrapper this loop last got, and from which runtime (held strongly: a runtime never holds
  /// loops, so there is no cycle, and a weak reference would cost a side table per runtime).
  private struct Compiled {
    var runtime: Runtime
    var wrapper: CompiledWrapper
  }
  private let compiled = Mutex<Compiled?>(nil)

  /// The wrapper compiled for this loop in `runtime`, if this loop ran there before.
  package func wrapper(in runtime: Runtime) -> CompiledWrapper? {
    compiled.withLock { c in c.flatMap { $0.runtime === runtime ? $0.wrapper : nil } }
  }

  package func remember(_ wrapper: CompiledWrapper, in runtime: Runtime) {
    compiled.withLock { $0 = Compiled(runtime: runtime, wrapper: wrapper) }
  }

  /// Objects the loop reads (READ, RW, INC, MIN, MAX, its run-time Consts) and writes, for the queue.
  /// Computed once at initialisation, so that a handle shared between threads only reads it.
  package let accesses: (reads: [ObjectIdentifier], writes: [ObjectIdentifier])

  /// How the loop uses each object, for fusion (see ``LoopGroup``).
  package let objectUses: [LoopGroup.ObjectUse]

  /// - Parameters:
  ///   - layers: For a loop over an ``ExtrudedSet``, the layers each column visits (default: every
  ///     cell); must be nil for any other set.
  ///   - passLayer: Whether the kernel takes the layer as a last `int` (extruded sets only).
  package init(kernel: Kernel, set: Set, args given: [Arg], layers: LoopSignature.Extrusion.Layers? = nil,
               passLayer: Bool = false) throws(OP2Error) {
    let parameters = try kernel.signature.get()
    let args = try Self.expand(given, loop: kernel.name)
    let extruded = set as? ExtrudedSet
    let extrusion = try Self.extrusion(of: set, layers: layers, passLayer: passLayer, kernel: kernel.name)
    let layerParameters = passLayer ? 1 : 0
    guard parameters.parameters.count == args.count + layerParameters else {
      if args.count != given.count {
        throw .mixedArgumentCountMismatch(loop: kernel.name, kernelParameters: parameters.parameters.count,
                                          arguments: given.count + layerParameters, expandedArguments: args.count + layerParameters)
      }
      // The layer counts as one more argument passed.
      throw .argumentCountMismatch(loop: kernel.name, kernelParameters: parameters.parameters.count, arguments: args.count + layerParameters)
    }
    if passLayer, let p = parameters.parameters.last, p.levels != 0 || !(p.baseType == nil || p.baseType == "int") {
      throw .dtypeMismatch(.init(loop: kernel.name, position: args.count + 1, argument: "layer"), kernelType: p.text, dataType: "int (the layer)")
    }
    // On interior facets a map argument sees the entries of two cells.
    let slotFactor = extrusion?.facets == true ? 2 : 1
    for s in [set] + args.compactMap(\.data.set) + args.compactMap(\.map?.to) where s.layout.declaredInBlocks {
      throw .notPartitioned(operation: "parLoop \"\(kernel.name)\"", set: s.name)
    }
    var descriptors: [LoopSignature.ArgumentDescriptor] = []
    descriptors.reserveCapacity(args.count)
    for (i, arg) in args.enumerated() {
      let at = OP2Error.ArgumentLocation(loop: kernel.name, position: i + 1, argument: arg.summary)
      if let matrix = arg.matrix {
        if slotFactor == 2 {
          throw .unsupportedArgument(at, reason: "Mat assembly over interior facets is not supported yet (its sparsity would need the couplings between layers)")
        }
        let mapAlias = args[..<i].firstIndex { $0.map === arg.map } ?? i
        descriptors.append(try matrix.descriptor(arg, at: at, set: set, parameter: parameters.parameters[i], mapAlias: mapAlias, position: i))
        continue
      }
      if extruded != nil { try Self.validateExtruded(arg, at: at, facets: slotFactor == 2) }
      try Self.validate(arg, at: at, set: set, slotFactor: slotFactor)
      let kind: LoopSignature.ArgumentKind =
        arg.isGlobal ? .global : arg.map == nil ? .direct : arg.index == nil ? .wholeMap : .mapSlot
      let p = parameters.parameters[i]
      let expectedLevels = kind == .wholeMap ? 2 : 1
      if let base = p.baseType, base != arg.data.cType || p.levels != expectedLevels {
        throw .dtypeMismatch(at, kernelType: p.text, dataType: Self.describeData(arg, kind: kind))
      } else if p.baseType == nil, p.levels != expectedLevels, p.levels > 0 {
        throw .dtypeMismatch(at, kernelType: p.text, dataType: Self.describeData(arg, kind: kind))
      }
      try Self.checkExtents(p, kind: kind, dim: arg.data.dim, arity: (arg.map?.arity ?? 1) * slotFactor, at: at,
                            data: Self.describeData(arg, kind: kind))
      let dataAlias = args[..<i].firstIndex { $0.data === arg.data } ?? i
      let mapAlias = arg.map.flatMap { m in args[..<i].firstIndex { $0.map === m } } ?? i
      descriptors.append(.init(
        kind: kind, cType: arg.data.cType, dim: arg.data.dim, arity: arg.map?.arity ?? 0,
        index: arg.index ?? -1, access: arg.access, dataAlias: dataAlias, mapAlias: mapAlias))
    }
    self.kernel = kernel
    self.set = set
    self.args = args
    let consts = ConstRegistry.shared.uses(kernel.identifiers)
    self.consts = consts.runtime
    accesses = LoopQueue.accesses(args: args, consts: consts.runtime)
    objectUses = LoopGroup.uses(of: args)
    signature = LoopSignature(kernelHash: kernel.codeHash, kernelName: kernel.name,
                              constDeclarations: consts.foldedDeclarations, runtimeConsts: consts.runtime.map(\.descriptor),
                              arguments: descriptors, extrusion: extrusion)
    bytesMoved = Self.estimateBytes(args, set: set)
    if let extruded, let extrusion {
      extrusionBlock = Self.extrusionBlock(args, descriptors: descriptors, set: extruded, extrusion: extrusion)
    } else {
      extrusionBlock = nil
    }
  }

  /// The arguments with each mixed one (a ``MixedDat``, a block ``Mat`` through ``MixedMap``s)
  /// replaced by its components, in order, as PyOP2 passes them; plain arguments are unchanged.
  /// - Throws: ``OP2Error/mixedArgumentMismatch(_:reason:)`` for a mixed argument that cannot
  ///   be used, naming its position in `args`.
  package static func expand(_ args: [Arg], loop: String) throws(OP2Error) -> [Arg] {
    guard args.contains(where: { $0.mixed != nil }) else { return args }
    var out: [Arg] = []
    for (i, arg) in args.enumerated() {
      guard let mixed = arg.mixed else { out.append(arg); continue }
      if let problem = mixed.problem {
        throw .mixedArgumentMismatch(.init(loop: loop, position: i + 1, argument: arg.summary), reason: problem)
      }
      out.append(contentsOf: mixed.components)
    }
    return out
  }

  private static func validate(_ arg: Arg, at: OP2Error.ArgumentLocation, set: Set, slotFactor: Int = 1) throws(OP2Error) {
    if arg.isGlobal {
      guard arg.access == .read || arg.access == .inc || arg.access == .min || arg.access == .max else {
        throw .invalidAccess(at, access: arg.access.rawValue,
                             reason: "a Global is READ or reduced with INC, MIN or MAX; use a Dat to write per element")
      }
      return
    }
    let datSet = arg.data.set!
    guard let map = arg.map else {
      guard datSet === set else {
        throw .directDatNotOnIterationSet(at, dat: arg.data.name, datSet: datSet.name, iterationSet: set.name)
      }
      return
    }
    if let index = arg.index, index < 0 || index >= map.arity * slotFactor {
      throw .mapIndexOutOfRange(map: map.name, index: index, arity: map.arity * slotFactor)
    }
    guard map.from === set else {
      throw .mapFromSetMismatch(at, map: map.name, mapFrom: map.from.name, iterationSet: set.name)
    }
    guard map.to === datSet else {
      throw .mapToSetMismatch(at, map: map.name, mapTo: map.to.name, dat: arg.data.name, datSet: datSet.name)
    }
  }

  /// Array sizes in a parameter (`double x[4]`, `double *x[3]`) must not exceed what the
  /// argument provides: values per element (`dim`), or map entries (`arity`) for a whole-map
  /// argument, whose kernel parameter is an array of pointers — never a two-dimensional array
  /// (`double x[3][2]`), which would read the pointers as values.
  private static func checkExtents(
    _ p: KernelSignature.Parameter, kind: LoopSignature.ArgumentKind, dim: Int, arity: Int,
    at: OP2Error.ArgumentLocation, data: @autoclosure () -> String
  ) throws(OP2Error) {
    if kind == .wholeMap, p.levels == p.extents.count, p.levels > 0 {
      throw .dtypeMismatch(at, kernelType: p.text, dataType: data())
    }
    guard let first = p.extents.first, let extent = first else { return }
    let (limit, what) = kind == .wholeMap ? (arity, "map entries") : (dim, "values per element")
    if extent > limit {
      throw .extentMismatch(at, kernelType: p.text, declared: extent, provided: limit, what: what)
    }
  }

  private static func describeData(_ arg: Arg, kind: LoopSignature.ArgumentKind) -> String {
    switch kind {
    case .wholeMap: return "\(arg.data.cType) ** (\(arg.data.name) via every entry of \(arg.map!.name))"
    case .mapSlot: return "\(arg.data.cType) * (\(arg.data.name) via \(arg.map!.name)[\(arg.index!)])"
    case .direct: return "\(arg.data.cType) * (\(arg.data.name), direct)"
    case .global: return "\(arg.data.cType) * (Global \(arg.data.name))"
    case .matrix: return "double [][] (element matrix of Mat \(arg.data.name))"
    }
  }

  /// Each distinct Dat once (read and/or written: ×2 for RW and INC), each distinct map once.
  package static func estimateBytes(_ args: [Arg], set: Set) -> Int {
    var estimate = TrafficEstimate()
    estimate.add(args, set: set)
    return estimate.total
  }
}

/// The bytes a run of loops moves at least, argument by argument: each Dat's reach once (twice
/// for RW and INC, plus the write-back of one first read and later written), each Map once.
package struct TrafficEstimate {
  package private(set) var total = 0
  private var seenData: [ObjectIdentifier: Access] = [:]
  private var seenMaps: [ObjectIdentifier] = []

  package init() {}

  /// Adds the arguments of a loop over `set`, after those added before.
  package mutating func add(_ args: [Arg], set: Set) {
    for arg in args where !arg.isGlobal && arg.matrix == nil {
      let id = ObjectIdentifier(arg.data)
      // Indirect data: at most the elements the loop can reach through its map.
      let reach = arg.map.map { min($0.to.size, set.size * (arg.index == nil ? $0.arity : 1)) } ?? set.size
      let bytes = reach * arg.data.dim * arg.data.elementSize
      if let previous = seenData[id] {
        // Read before and written now: the write-back is traffic too.
        if previous == .read, arg.access != .read { total += bytes }
      } else {
        total += arg.access == .rw || arg.access == .inc || arg.access.isMinMax ? 2 * bytes : bytes
      }
      seenData[id] = arg.access
      if let map = arg.map, !seenMaps.contains(ObjectIdentifier(map)) {
        seenMaps.append(ObjectIdentifier(map))
        total += map.from.size * map.arity * 4
      }
    }
  }
}
