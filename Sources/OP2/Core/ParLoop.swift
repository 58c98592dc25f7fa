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
///
/// A call that repeats an earlier one — the same kernel, set, Dats, Maps, slots and access
/// modes — reuses that call's validation, signature and compiled wrapper (see ``LoopMemo``), so
/// that it costs little more than calling a ``ParLoop`` handle.
public func parLoop(_ kernel: Kernel, over set: Set, _ args: [Arg]) throws(OP2Error) {
  let runtime = Runtime.current
  let loop = try kernel.loopMemo.loop(kernel, over: set, args, queued: runtime.configuration.lazy)
  try runtime.submit(loop)
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
  /// Shared by the loops ``LoopMemo`` makes from one validated call: they have one signature.
  package final class CompiledSlot: Sendable {
    private struct Compiled {
      var runtime: Runtime
      var wrapper: CompiledWrapper
    }
    private let compiled = Mutex<Compiled?>(nil)
    init() {}

    func wrapper(in runtime: Runtime) -> CompiledWrapper? {
      compiled.withLock { c in c.flatMap { $0.runtime === runtime ? $0.wrapper : nil } }
    }

    func remember(_ wrapper: CompiledWrapper, in runtime: Runtime) {
      compiled.withLock { $0 = Compiled(runtime: runtime, wrapper: wrapper) }
    }
  }
  package let compiled: CompiledSlot

  /// The wrapper compiled for this loop in `runtime`, if this loop ran there before.
  package func wrapper(in runtime: Runtime) -> CompiledWrapper? {
    compiled.wrapper(in: runtime)
  }

  package func remember(_ wrapper: CompiledWrapper, in runtime: Runtime) {
    compiled.remember(wrapper, in: runtime)
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
    compiled = CompiledSlot()
  }

  /// A loop that repeats a validated one (`template`) on the same objects: what ``LoopMemo``
  /// returns when the template itself is gone. `args` name the template's objects, `consts`
  /// are its run-time Consts.
  fileprivate init(repeating template: LoopMemo.Plan, kernel: Kernel, set: Set, args: [Arg], consts: [any _ConstValue]) {
    self.kernel = kernel
    self.set = set
    self.args = args
    self.consts = consts
    signature = template.signature
    accesses = template.accesses
    objectUses = template.objectUses
    bytesMoved = template.bytesMoved
    compiled = template.compiled
    // The memo remembers no loop over an ExtrudedSet (see ``LoopMemo/loop(_:over:_:queued:)``).
    extrusionBlock = nil
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

  /// Adds a loop's arguments `times` more times right after adding them (a loop repeated back
  /// to back): `bytes` is what the previous repeat added. After a loop's arguments are added,
  /// what the estimate remembers about their objects depends on that loop alone (each Dat's last
  /// access in it, its Maps seen), so every further repeat adds the same bytes and changes
  /// nothing else.
  package mutating func addRepeat(bytes: Int, times: Int = 1) {
    total += bytes * times
  }

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

/// Counts the changes that can make a validated loop stale: a Const declared, changed (a folded
/// one changes the signature) or released, a Set's layout installed (partitioning changes sizes
/// and what may run). ``LoopMemo`` drops plans made before the latest change.
package enum LoopPlanEpoch {
  private static let counter = Atomic<Int>(0)
  /// The current count.
  package static var current: Int { counter.load(ordering: .acquiring) }
  /// Records a change.
  package static func advance() { counter.add(1, ordering: .releasing) }
}

/// The last few validated calls of one kernel, so that ``parLoop(_:over:_:)-(Kernel,Set,Arg...)``
/// repeated on the same objects skips validation, signature hashing and the wrapper lookup.
///
/// A plan is found by the identities of the iteration set and of each argument's data and map,
/// with its access mode and map slot — everything validation looks at is either one of those or
/// a property those objects cannot change (dim, dtype, arity, a Map's sets). What they can change
/// (a Set's layout, the Consts in the registry) advances ``LoopPlanEpoch``, and a plan from an
/// earlier epoch is not used. Plans hold their Sets, Dats and Maps unowned (their Consts and last
/// loop weakly): a released object is never kept alive by a memo (it is deinitialised; only its
/// few bytes of instance memory wait for the plan to go), and no new object can reuse its address
/// while the plan lives, so an equal identity is the same object.
/// Calls that fail validation are never remembered, so each one throws again; loops with Mat
/// arguments, mixed arguments or over an ``ExtrudedSet`` are not remembered.
package final class LoopMemo: Sendable {
  /// What a validated call leaves for repeats. Immutable but for `last` (under the memo's lock).
  fileprivate final class Plan: @unchecked Sendable {
    let epoch: Int
    /// Identities of the set and of each argument's data and map.
    let identities: [ObjectIdentifier?]
    let accessModes: [Access]
    let slots: [Int?]
    /// The set and each argument's data and map, unowned: an object's memory is not freed while
    /// an unowned reference to it exists (its deinitialiser runs, so nothing is kept alive), so no
    /// new object can take its address, and an equal identity means the very object validated.
    /// Weak references would give each object a side table, which slows all its reference
    /// counting (every `Arg` made or copied, every launch); unowned ones use its inline count.
    let held: [Unowned]
    let consts: [WeakConst]
    let signature: LoopSignature
    let accesses: (reads: [ObjectIdentifier], writes: [ObjectIdentifier])
    let objectUses: [LoopGroup.ObjectUse]
    let bytesMoved: Int
    let compiled: ParLoop.CompiledSlot
    /// The last loop made from this plan while lazy evaluation queues it: reused as it is while
    /// it lives (so repeats of a queued loop are one object, which fusion and launches exploit).
    weak var last: ParLoop?

    init(_ loop: ParLoop, epoch: Int) {
      self.epoch = epoch
      identities = [ObjectIdentifier(loop.set)] + loop.args.flatMap { [ObjectIdentifier($0.data), $0.map.map(ObjectIdentifier.init)] }
      accessModes = loop.args.map(\.access)
      slots = loop.args.map(\.index)
      held = [Unowned(object: loop.set)] + loop.args.flatMap { arg in
        [Unowned(object: arg.data)] + (arg.map.map { [Unowned(object: $0)] } ?? [])
      }
      consts = loop.consts.map { WeakConst(object: $0) }
      signature = loop.signature
      accesses = loop.accesses
      objectUses = loop.objectUses
      bytesMoved = loop.bytesMoved
      compiled = loop.compiled
    }

    /// Whether `args` over `set` name this plan's objects (the same objects: see `held`), modes
    /// and slots.
    func matches(_ set: Set, _ args: [Arg]) -> Bool {
      guard accessModes.count == args.count, identities[0] == ObjectIdentifier(set) else { return false }
      for i in args.indices {
        let a = args[i]
        guard accessModes[i] == a.access, slots[i] == a.index, identities[1 + 2 * i] == ObjectIdentifier(a.data),
              identities[2 + 2 * i] == a.map.map(ObjectIdentifier.init) else { return false }
      }
      return true
    }
  }

  fileprivate struct Unowned {
    unowned let object: AnyObject
  }

  fileprivate struct WeakConst {
    weak var object: (any _ConstValue)?
  }

  /// Plans kept per kernel: enough for a kernel called on a few sets of data in turn.
  static let capacity = 4

  private let plans = Mutex<[Plan]>([])

  package init() {}

  /// A validated loop of `kernel` over `set` with `args`: a remembered one when the call repeats
  /// an earlier one, else a new one (validated, and remembered if valid). `queued` says whether
  /// the loop will be queued (lazy evaluation): only then may a later repeat reuse the object.
  /// - Throws: what ``ParLoop/init(kernel:set:args:)`` throws.
  package func loop(_ kernel: Kernel, over set: Set, _ args: [Arg], queued: Bool) throws(OP2Error) -> ParLoop {
    // Read before validating: a change during validation leaves the plan stale, never used.
    let epoch = LoopPlanEpoch.current
    if let known = repeated(kernel, set, args, epoch: epoch, queued: queued) { return known }
    let loop = try ParLoop(kernel: kernel, set: set, args: args)
    // Mat arguments, mixed ones (expanded into components) and extruded sets are not remembered.
    guard !args.contains(where: { $0.matrix != nil || $0.mixed != nil }), !(set is ExtrudedSet) else { return loop }
    let plan = Plan(loop, epoch: epoch)
    if queued { plan.last = loop }
    plans.withLock { plans in
      plans.removeAll { $0.epoch != epoch }
      if plans.count >= Self.capacity { plans.removeLast() }
      plans.insert(plan, at: 0)
    }
    return loop
  }

  private func repeated(_ kernel: Kernel, _ set: Set, _ args: [Arg], epoch: Int, queued: Bool) -> ParLoop? {
    plans.withLock { plans -> ParLoop? in
      for plan in plans where plan.epoch == epoch {
        // The last loop made from the plan, when it is still alive, compares by strong references.
        // (`plan.matches` would give the same answer, but this check comes first on the hot path
        // of a lazy repeat and is cheaper: ≈ 210 fewer instructions per call, measured.)
        if queued, let last = plan.last, last.set === set, Self.sameArguments(last.args, args) { return last }
        guard plan.matches(set, args) else { continue }
        var consts: [any _ConstValue] = []
        consts.reserveCapacity(plan.consts.count)
        for c in plan.consts {
          guard let object = c.object else { return nil }
          consts.append(object)
        }
        let loop = ParLoop(repeating: plan, kernel: kernel, set: set, args: args, consts: consts)
        if queued { plan.last = loop }
        return loop
      }
      return nil
    }
  }

  private static func sameArguments(_ a: [Arg], _ b: [Arg]) -> Bool {
    guard a.count == b.count else { return false }
    // Field by field, without copying (and retaining) whole arguments.
    for i in a.indices {
      guard a[i].access == b[i].access, a[i].index == b[i].index, a[i].matrix == nil,
            ObjectIdentifier(a[i].data) == ObjectIdentifier(b[i].data),
            a[i].map.map(ObjectIdentifier.init) == b[i].map.map(ObjectIdentifier.init) else { return false }
    }
    return true
  }
}
