import Foundation

/// Runs loops on an OpenCL device: the device target.
///
/// A loop's program is generated (``OpenCLGenerator``) and built when the loop is recorded, so
/// that a kernel that fails to build throws from `parLoop` with the driver's log; programs are
/// cached per context and as binaries on disk. A run uploads what the device lacks — Dats and
/// Globals whose device copy is stale (see ``_DataResidence``), maps once, Consts when their
/// value changed, plans once — launches the kernels, and marks what the loops wrote stale on the
/// host. Nothing comes back until the host reads it. Direct loops run one work-item per element
/// in work-groups of ``blockSize``; loops that write through maps run on an ``OpenCLPlan``.
///
/// Loops that assemble a ``Mat`` run on the host (PETSc's insertion is a host call): their data
/// comes back first, and the timing report says so. The counterpart of PyOP2's `opencl` backend
/// and of OP2's `op_cuda`/`op_opencl` code generators.
package final class OpenCLExecutor: BackendExecutor, @unchecked Sendable {
  package let platform: String?
  package let device: String?
  /// Elements per work-group: `OP2_OPENCL_BLOCK_SIZE` (a power of two), default 128; a smaller
  /// block size configured for the loop (``OP2/Configuration/blockSize``) wins.
  package let blockSize: Int
  /// Where loops on a plan keep their blocks' indirect data: the backend's choice, else
  /// `OP2_OPENCL_STAGING`, else ``OpenCLStaging/auto``.
  package let staging: OpenCLStaging
  private let cacheDirectory: String?
  private let lock = NSRecursiveLock()
  private var resolved: OpenCLContext?
  private var loops: [LoopKey: DeviceLoop] = [:]
  private var plans: [PlanKey: PlanBuffers] = [:]
  private var stagings: [StagingKey: StagingBuffers] = [:]
  private var stagingNotes: [String: String] = [:]
  private var maps: [ObjectIdentifier: (map: Map, storage: ObjectIdentifier, buffer: OpenCLBuffer)] = [:]
  private var consts: [String: (bytes: [UInt8], buffer: OpenCLBuffer)] = [:]
  private var partials: [String: OpenCLBuffer] = [:]
  private var buildSeconds = 0.0
  private var programsBuilt = 0
  private var hostLoops: [String] = []
  package let ledger = TransferLedger()

  package init(platform: String?, device: String?, staging: OpenCLStaging? = nil, cacheDirectory: String?) {
    self.platform = platform
    self.device = device
    self.cacheDirectory = cacheDirectory
    let env = ProcessInfo.processInfo.environment
    blockSize = (try? Self.blockSize(fromEnvironment: env["OP2_OPENCL_BLOCK_SIZE"])) ?? 128
    self.staging = staging ?? (try? OpenCLStaging.fromEnvironment(env["OP2_OPENCL_STAGING"])) ?? .auto
  }

  /// The smallest block that local staging shrinks to before the loop falls back to global memory.
  package static let smallestStagedBlock = 32

  /// A smaller local-memory budget than the device's `CL_DEVICE_LOCAL_MEM_SIZE`, for tests of
  /// the shrinking and fallback rule on devices with plenty of it.
  @TaskLocal package static var localMemoryLimit: Int?

  /// Whether a loop's program is the local-memory variant: it has Dats to stage and the setting
  /// is `local`, or `auto` on a device with dedicated local memory.
  private func wantsLocalStaging(_ loop: ParLoop, on device: OpenCLContext) -> Bool {
    switch staging {
    case .global: return false
    case .local: return !OpenCLGenerator.stageable(loop.signature.arguments).isEmpty
    case .auto: return device.info.hasDedicatedLocalMemory && !OpenCLGenerator.stageable(loop.signature.arguments).isEmpty
    }
  }

  /// Parses `OP2_OPENCL_BLOCK_SIZE`: a power of two from 1 to 4096 (default 128).
  package static func blockSize(fromEnvironment value: String?) throws(OP2Error) -> Int {
    guard let value else { return 128 }
    guard let n = Int(value), n >= 1, n <= 4096, n & (n - 1) == 0 else {
      throw .invalidConfiguration(variable: "OP2_OPENCL_BLOCK_SIZE", value: value, expected: "a power of two from 1 to 4096")
    }
    return n
  }

  /// The device named by the selection: `platform` and `device` are indices or parts of names
  /// (case-insensitive); without them, the first device of the first platform.
  /// - Throws: ``OP2Error/openCLUnavailable(reason:)``, ``OP2Error/openCLDeviceNotFound(variable:value:available:)``.
  package static func select(platform: String?, device: String?) throws(OP2Error) -> OpenCLDeviceInfo {
    let all = try OpenCLDiscovery.devices()
    var candidates = all
    let listed = all.map(\.description)
    if let platform, !platform.isEmpty {
      let index = Int(platform)
      candidates = candidates.filter { d in index.map { d.platformIndex == $0 } ?? d.platformName.localizedCaseInsensitiveContains(platform) }
      if candidates.isEmpty { throw .openCLDeviceNotFound(variable: "OP2_OPENCL_PLATFORM", value: platform, available: listed) }
    }
    if let device, !device.isEmpty {
      let index = Int(device)
      candidates = candidates.filter { d in index.map { d.deviceIndex == $0 } ?? d.deviceName.localizedCaseInsensitiveContains(device) }
      if candidates.isEmpty { throw .openCLDeviceNotFound(variable: "OP2_OPENCL_DEVICE", value: device, available: listed) }
    }
    return candidates[0]
  }

  /// Whether this machine has any OpenCL device (found once per process).
  package static let isAvailable: Bool = (try? OpenCLDiscovery.devices().isEmpty == false) ?? false

  /// The selected device's context (resolved on first use).
  package func context() throws(OP2Error) -> OpenCLContext {
    lock.lock()
    defer { lock.unlock() }
    if let resolved { return resolved }
    let context = try OpenCLContext.shared(for: try Self.select(platform: platform, device: device))
    resolved = context
    return context
  }

  // MARK: Preparing loops

  private struct LoopKey: Hashable {
    var kernelHash: String
    var arguments: [LoopSignature.ArgumentDescriptor]
    var consts: [OpenCLGenerator.ConstParameter]
    var foldedConsts: String
    var staged: Bool
  }

  private final class DeviceLoop {
    let output: OpenCLGenerator.Output
    let kernel: OpenCLKernel
    let combine: [OpenCLKernel]
    init(output: OpenCLGenerator.Output, kernel: OpenCLKernel, combine: [OpenCLKernel]) {
      self.output = output
      self.kernel = kernel
      self.combine = combine
    }
  }

  package func prepare(_ loop: ParLoop) throws(OP2Error) {
    if loop.signature.extrusion != nil {
      throw .unsupportedOnExtrudedSet(set: loop.set.name, reason: "parLoop \"\(loop.kernel.name)\": the OpenCL target does not run loops over extruded sets yet; use the sequential or threaded backend")
    }
    guard !loop.assemblesMatrices else { return }
    _ = try deviceLoop(for: loop, staged: wantsLocalStaging(loop, on: try context()))
  }

  private func deviceLoop(for loop: ParLoop, staged: Bool) throws(OP2Error) -> DeviceLoop {
    let constParameters = loop.consts.map { c in
      let d = c.descriptor
      return OpenCLGenerator.ConstParameter(name: d.name, cType: d.cType, dim: d.dim)
    }
    let folded = loop.signature.constDeclarations
    let key = LoopKey(kernelHash: loop.signature.kernelHash, arguments: loop.signature.arguments, consts: constParameters,
                      foldedConsts: folded, staged: staged)
    lock.lock()
    defer { lock.unlock() }
    if let known = loops[key] { return known }
    let context = try context()
    let output = OpenCLGenerator.generate(signature: loop.signature, kernelCode: loop.kernel.code, consts: constParameters,
                                          doublePrecision: context.info.hasDouble, staging: staged)
    // Correctly rounded float division and sqrt, and no contraction into FMAs (the generated
    // code's pragma), so that results match the host wrappers (compiled with -ffp-contract=off).
    let (program, seconds) = try context.program(source: output.source, options: "-cl-fp32-correctly-rounded-divide-sqrt",
                                                 kernel: loop.kernel.name, binaryCache: cacheDirectory)
    if seconds > 0 { buildSeconds += seconds; programsBuilt += 1 }
    let made = DeviceLoop(output: output, kernel: try program.kernel(output.kernelName),
                          combine: try combineKernels(output, program))
    loops[key] = made
    return made
  }

  private func combineKernels(_ output: OpenCLGenerator.Output, _ program: OpenCLProgram) throws(OP2Error) -> [OpenCLKernel] {
    var kernels: [OpenCLKernel] = []
    for r in output.reductions { kernels.append(try program.kernel(r.kernel)) }
    return kernels
  }

  // MARK: Running loops

  package func execute(_ group: LoopGroup, range: Range<Int>, context: ExecutionContext) throws(OP2Error) {
    guard !range.isEmpty else { return }
    lock.lock()
    defer { lock.unlock() }
    let device = try self.context()
    for loop in group.loops { try run(loop, in: group.name, blockSize: group.blockSize, range: range, on: device, context: context) }
    try device.finish()
  }

  private func run(_ loop: ParLoop, in group: String, blockSize groupBlockSize: Int, range: Range<Int>, on device: OpenCLContext, context: ExecutionContext) throws(OP2Error) {
    var chosen: DeviceLoop?
    // The loop's block size bounds the work-group too (tests use small blocks for many colours).
    var local = min(blockSize, groupBlockSize)
    var staging: StagingBuffers?
    if wantsLocalStaging(loop, on: device) {
      let variant = try deviceLoop(for: loop, staged: true)
      var size = Self.powerOfTwo(atMost: min(local, variant.kernel.maxWorkGroupSize))
      let scratch = variant.output.reductions.reduce(0) { $0 + loop.args[$1.position].data.dim * loop.args[$1.position].data.elementSize }
      let limit = min(device.info.localMemoryBytes, Self.localMemoryLimit ?? .max)
      while true {
        let tables = try stagingBuffers(for: loop, staged: variant.output.staged, range: range, blockSize: size, device: device)
        let bytes = tables.localBytes.reduce(0, +) + size * scratch
        if bytes <= limit {
          chosen = variant
          local = size
          staging = tables
          stagingNote(loop.kernel.name, "\(loop.kernel.name): \(variant.output.staged.count) Dat(s) staged in local memory, "
                      + "blocks of \(size), \(bytes) of \(limit) bytes per work-group, "
                      + "\(String(format: "%.2f", tables.tables.reuse)) accesses per staged element")
          break
        }
        guard size / 2 >= min(local, Self.smallestStagedBlock) else {
          stagingNote(loop.kernel.name, "\(loop.kernel.name): staged data needs \(bytes) bytes of local memory with blocks of \(size), "
                      + "the device has \(limit); ran with global memory")
          break
        }
        size /= 2
      }
    }
    if chosen == nil {
      let global = try deviceLoop(for: loop, staged: false)
      local = Self.powerOfTwo(atMost: min(local, global.kernel.maxWorkGroupSize))
      chosen = global
    }
    let made = chosen!
    let schedule = made.output.schedule
    var arguments: [OpenCLArgument] = [.int32(Int32(range.lowerBound)), .int32(Int32(range.upperBound))]
    var plan: PlanBuffers?
    var groups = (range.count + local - 1) / local
    if schedule != .direct {
      let p = try planBuffers(for: loop, in: group, range: range, blockSize: local, device: device, context: context)
      plan = p
      groups = p.plan.blockCount
      arguments += [.buffer(p.blocks), .int32(0), .buffer(p.colours), .buffer(p.counts)]
    }
    if let staging {
      arguments += [.buffer(staging.sizes), .buffer(staging.offsets), .buffer(staging.elements)] + staging.localIndices.map { .buffer($0) }
    }
    var combines: [(kernel: OpenCLKernel, arguments: [OpenCLArgument])] = []
    var written: [any _ArgData] = []
    for (i, arg) in loop.args.enumerated() {
      let a = loop.signature.arguments[i]
      if arg.access.writes || (a.kind == .global && arg.access != .read) { written.append(arg.data) }
      if a.kind == .global, arg.access != .read {
        let (global, initial) = try reductionTarget(arg.data, on: device)
        let bytes = groups * arg.data.dim * arg.data.elementSize
        let p = try partialBuffer("\(made.output.kernelName)/\(i)", bytes: bytes, on: device)
        arguments += [.buffer(global), .buffer(p)]
        var combineArguments: [OpenCLArgument] = [.buffer(global), .buffer(p), .int32(Int32(groups)), .int32(initial == nil ? 0 : 1)]
        if arg.data.dim <= OpenCLGenerator.initialValueLimit {
          let values = initial ?? [UInt8](repeating: 0, count: arg.data.dim * arg.data.elementSize)
          for d in 0..<arg.data.dim {
            combineArguments.append(.bytes(Array(values[(d * arg.data.elementSize)..<((d + 1) * arg.data.elementSize)])))
          }
        }
        let k = made.output.reductions.firstIndex { $0.position == i }!
        combines.append((made.combine[k], combineArguments))
        continue
      }
      if a.kind == .global || a.dataAlias == i { arguments.append(.buffer(try currentBuffer(arg.data, on: device))) }
      if a.kind != .direct, a.kind != .global, a.mapAlias == i, let map = arg.map { arguments.append(.buffer(try mapBuffer(map, on: device))) }
    }
    for c in loop.consts { arguments.append(.buffer(try constBuffer(c, on: device))) }
    for r in made.output.reductions { arguments.append(.local(local * loop.args[r.position].data.dim * loop.args[r.position].data.elementSize)) }
    if let staging { for bytes in staging.localBytes { arguments.append(.local(max(bytes, 8))) } }

    let name = loop.kernel.name
    if let plan {
      for c in 0..<plan.plan.colourCount {
        let blocks = plan.plan.colourOffsets[c + 1] - plan.plan.colourOffsets[c]
        guard blocks > 0 else { continue }
        arguments[3] = .int32(Int32(plan.plan.colourOffsets[c]))
        try made.kernel.launch(name, global: blocks * local, local: local, arguments: arguments)
      }
    } else {
      try made.kernel.launch(name, global: groups * local, local: local, arguments: arguments)
    }
    for (kernel, combineArguments) in combines { try kernel.launch(name + " (reduction)", global: 1, local: 1, arguments: combineArguments) }
    for data in written { data.residence.deviceDidWrite() }
  }

  /// The device copy of `data`, made current (uploaded) if it is stale.
  private func currentBuffer(_ data: any _ArgData, on device: OpenCLContext) throws(OP2Error) -> OpenCLBuffer {
    try data.residence.withState { (s) throws(OP2Error) -> OpenCLBuffer in
      let copy = try deviceCopy(of: data, in: &s, on: device)
      if !s.deviceIsCurrent {
        try copy.buffer.upload(from: data.storage)
        ledger.record(kind: Self.kind(of: data), name: data.name, upload: true, bytes: data.storage.byteCount)
        s.deviceIsCurrent = true
      }
      return copy.buffer
    }
  }

  /// A reduced Global's device buffer, and the values to start from when the host holds the
  /// current ones and they fit the combine kernel's by-value parameters (no transfer then).
  private func reductionTarget(_ data: any _ArgData, on device: OpenCLContext) throws(OP2Error) -> (OpenCLBuffer, [UInt8]?) {
    let small = data.dim <= OpenCLGenerator.initialValueLimit
    let initial = try data.residence.withState { (s) throws(OP2Error) -> [UInt8]? in
      _ = try deviceCopy(of: data, in: &s, on: device)
      guard !s.deviceIsCurrent, small, s.hostIsCurrent else { return nil }
      return data.storage.loadBytes(offset: 0, count: data.dim * data.elementSize)
    }
    return (try currentBuffer(data, passing: initial != nil, on: device), initial)
  }

  private func currentBuffer(_ data: any _ArgData, passing: Bool, on device: OpenCLContext) throws(OP2Error) -> OpenCLBuffer {
    guard passing else { return try currentBuffer(data, on: device) }
    return try data.residence.withState { (s) throws(OP2Error) in try deviceCopy(of: data, in: &s, on: device).buffer }
  }

  /// The OpenCL copy in `state`, made if there is none for this context (after bringing values
  /// that only another device has back to the host).
  private func deviceCopy(of data: any _ArgData, in s: inout _DataResidence.State, on device: OpenCLContext) throws(OP2Error) -> OpenCLDataCopy {
    if let copy = s.device as? OpenCLDataCopy, copy.context === device, copy.buffer.byteCount == data.storage.byteCount { return copy }
    if !s.hostIsCurrent, let other = s.device {
      try other.download(into: data.storage)
      s.hostIsCurrent = true
    }
    let copy = OpenCLDataCopy(buffer: try device.makeBuffer(byteCount: data.storage.byteCount), context: device,
                              kind: Self.kind(of: data), name: data.name, ledger: ledger)
    s.device = copy
    s.deviceIsCurrent = false
    return copy
  }

  private static func kind(of data: any _ArgData) -> String { data.set == nil ? "Global" : "Dat" }

  private func mapBuffer(_ map: Map, on device: OpenCLContext) throws(OP2Error) -> OpenCLBuffer {
    let id = ObjectIdentifier(map), storage = ObjectIdentifier(map.storage)
    if let known = maps[id], known.storage == storage { return known.buffer }
    let buffer = try device.makeBuffer(byteCount: map.storage.byteCount)
    try buffer.upload(from: map.storage)
    ledger.record(kind: "Map", name: map.name, upload: true, bytes: map.storage.byteCount)
    maps[id] = (map, storage, buffer)
    return buffer
  }

  /// The device copy of a run-time Const's value as the loop sees it (its storage holds the value
  /// set before the loop was recorded), uploaded when it differs from the last upload.
  private func constBuffer(_ c: any _ConstValue, on device: OpenCLContext) throws(OP2Error) -> OpenCLBuffer {
    let name = c.descriptor.name
    let bytes = c.storage.loadBytes(offset: 0, count: c.descriptor.byteCount)
    if let known = consts[name], known.bytes == bytes { return known.buffer }
    let buffer: OpenCLBuffer
    if let known = consts[name], known.buffer.byteCount == bytes.count { buffer = known.buffer } else { buffer = try device.makeBuffer(byteCount: bytes.count) }
    try buffer.upload(bytes: bytes)
    ledger.record(kind: "Const", name: name, upload: true, bytes: bytes.count)
    consts[name] = (bytes, buffer)
    return buffer
  }

  private func partialBuffer(_ key: String, bytes: Int, on device: OpenCLContext) throws(OP2Error) -> OpenCLBuffer {
    if let known = partials[key], known.byteCount >= bytes { return known }
    let buffer = try device.makeBuffer(byteCount: bytes)
    partials[key] = buffer
    return buffer
  }

  // MARK: Plans

  private struct PlanKey: Hashable {
    var count: Int
    var blockSize: Int
    var conflicts: [PlanConflict]
  }

  private final class PlanBuffers {
    let plan: OpenCLPlan
    let blocks: OpenCLBuffer, colours: OpenCLBuffer, counts: OpenCLBuffer
    init(plan: OpenCLPlan, blocks: OpenCLBuffer, colours: OpenCLBuffer, counts: OpenCLBuffer) {
      self.plan = plan
      self.blocks = blocks
      self.colours = colours
      self.counts = counts
    }
  }

  private func planBuffers(for loop: ParLoop, in group: String, range: Range<Int>, blockSize: Int, device: OpenCLContext,
                           context: ExecutionContext) throws(OP2Error) -> PlanBuffers {
    let conflicts = ThreadedExecutor.conflicts(of: [loop], firstElement: range.lowerBound)
    let key = PlanKey(count: range.count, blockSize: blockSize, conflicts: conflicts)
    // Maps never change (partitioning replaces them) and the cached conflicts retain theirs.
    if let known = plans[key] { return known }
    let plan = OpenCLPlan(setSize: range.count, blockSize: blockSize, conflicts: conflicts)
    if context.checkPlans {
      let violations = plan.violations(conflicts: conflicts, setSize: range.count)
      precondition(violations.isEmpty, "OpenCL plan of \(loop.kernel.name) is invalid:\n" + violations.joined(separator: "\n"))
    }
    context.recordPlan(group, plan.constructionTime, plan.colourCount, plan.blockCount)
    func upload(_ values: [Int32], _ what: String) throws(OP2Error) -> OpenCLBuffer {
      let bytes = _UnsafeDatBuffer.bytes(of: values)
      let buffer = try device.makeBuffer(byteCount: bytes.count)
      try buffer.upload(bytes: bytes)
      ledger.record(kind: "Plan", name: "\(loop.kernel.name) \(what)", upload: true, bytes: bytes.count)
      return buffer
    }
    let made = PlanBuffers(plan: plan, blocks: try upload(plan.blocksByColour, "blocks"),
                           colours: try upload(plan.elementColours, "colours"), counts: try upload(plan.blockColourCounts, "colour counts"))
    plans[key] = made
    return made
  }

  // MARK: Local staging

  private struct StagingKey: Hashable {
    var count: Int
    var first: Int
    var blockSize: Int
    /// Per staged Dat: its maps and slots.
    var reaches: [[ReachKey]]
  }

  private struct ReachKey: Hashable {
    var map: ObjectIdentifier
    var storage: ObjectIdentifier
    var slots: [Int]
  }

  private final class StagingBuffers {
    let tables: OpenCLStagingTables
    let sizes: OpenCLBuffer, offsets: OpenCLBuffer, elements: OpenCLBuffer
    let localIndices: [OpenCLBuffer]
    /// Per staged Dat: the local memory its largest block needs.
    let localBytes: [Int]
    /// The maps the tables were made from (kept alive, so their identities stay unique).
    let maps: [Map]
    init(tables: OpenCLStagingTables, sizes: OpenCLBuffer, offsets: OpenCLBuffer, elements: OpenCLBuffer,
         localIndices: [OpenCLBuffer], localBytes: [Int], maps: [Map]) {
      self.tables = tables
      self.sizes = sizes
      self.offsets = offsets
      self.elements = elements
      self.localIndices = localIndices
      self.localBytes = localBytes
      self.maps = maps
    }
  }

  private func stagingNote(_ loop: String, _ text: String) {
    stagingNotes[loop] = text
  }

  /// The per-block tables of a staged loop over `range` in blocks of `blockSize`, made and
  /// uploaded once per maps and block size.
  private func stagingBuffers(for loop: ParLoop, staged: [OpenCLGenerator.StagedData], range: Range<Int>, blockSize: Int,
                              device: OpenCLContext) throws(OP2Error) -> StagingBuffers {
    var maps: [Map] = []
    var reaches: [[ReachKey]] = []
    for t in staged {
      var keys: [ReachKey] = []
      for m in t.maps {
        let map = loop.args[m.argument].map!
        maps.append(map)
        keys.append(ReachKey(map: ObjectIdentifier(map), storage: ObjectIdentifier(map.storage), slots: m.slots))
      }
      reaches.append(keys)
    }
    let key = StagingKey(count: range.count, first: range.lowerBound, blockSize: blockSize, reaches: reaches)
    if let known = stagings[key] { return known }
    var index = 0
    let dats = staged.map { t in
      t.maps.map { m -> OpenCLStagingTables.Reach in
        let map = maps[index]
        index += 1
        return .init(values: map.values, arity: map.arity, targetSize: map.to.totalSize, slots: m.slots)
      }
    }
    let tables = OpenCLStagingTables(setSize: range.count, blockSize: blockSize, dats: dats, firstElement: range.lowerBound)
    func upload(_ values: [Int32], _ what: String) throws(OP2Error) -> OpenCLBuffer {
      let bytes = _UnsafeDatBuffer.bytes(of: values.isEmpty ? [0] : values)
      let buffer = try device.makeBuffer(byteCount: bytes.count)
      try buffer.upload(bytes: bytes)
      ledger.record(kind: "Plan", name: "\(loop.kernel.name) \(what)", upload: true, bytes: bytes.count)
      return buffer
    }
    var locals: [OpenCLBuffer] = []
    for table in tables.localIndices { locals.append(try upload(table, "local indices")) }
    let made = StagingBuffers(tables: tables, sizes: try upload(tables.sizes, "staged sizes"),
                              offsets: try upload(tables.offsets, "staged offsets"), elements: try upload(tables.elements, "staged elements"),
                              localIndices: locals, localBytes: zip(tables.maxSizes, staged).map { $0 * $1.dim * loop.args[$1.alias].data.elementSize },
                              maps: maps)
    stagings[key] = made
    return made
  }

  static func powerOfTwo(atMost n: Int) -> Int {
    var p = 1
    while p * 2 <= n { p *= 2 }
    return p
  }

  // MARK: Host runs and reports

  package func prepareHostRun(_ group: LoopGroup) {
    for arg in group.arguments where arg.matrix == nil {
      arg.data.prepareHostStorage(writing: arg.access.writes)
    }
    lock.withLock { if !hostLoops.contains(group.name) { hostLoops.append(group.name) } }
  }

  package func annotate(_ report: inout TimingReport) {
    lock.lock()
    defer { lock.unlock() }
    report.transfers = ledger.transfers
    report.deviceCompileSeconds = buildSeconds
    if let resolved { report.device = "OpenCL: \(resolved.info.deviceName) (\(resolved.info.platformName), \(resolved.info.deviceVersion))" }
    for name in hostLoops {
      report.notes.append("\(name): assembles a Mat, ran on the host (its data was brought back from the device first)")
    }
    for name in stagingNotes.keys.sorted() { report.notes.append(stagingNotes[name]!) }
  }

  package func resetCounters() {
    ledger.reset()
    lock.withLock { buildSeconds = 0; programsBuilt = 0 }
  }
}

/// A Dat's or Global's OpenCL buffer, held by its ``_DataResidence``.
final class OpenCLDataCopy: _DeviceCopy, @unchecked Sendable {
  let buffer: OpenCLBuffer
  let context: OpenCLContext
  let kind: String
  let name: String
  let ledger: TransferLedger

  init(buffer: OpenCLBuffer, context: OpenCLContext, kind: String, name: String, ledger: TransferLedger) {
    self.buffer = buffer
    self.context = context
    self.kind = kind
    self.name = name
    self.ledger = ledger
  }

  func download(into storage: _UnsafeDatBuffer) throws(OP2Error) {
    try buffer.download(into: storage)
    ledger.record(kind: kind, name: name, upload: false, bytes: min(buffer.byteCount, storage.byteCount))
  }

  func upload(from storage: _UnsafeDatBuffer, fromByte offset: Int) throws(OP2Error) {
    try buffer.upload(from: storage, fromByte: offset)
    ledger.record(kind: kind, name: name + " (halo)", upload: true, bytes: min(buffer.byteCount, storage.byteCount) - offset)
  }
}

/// Counts of host↔device transfers per object, for the timing report.
package final class TransferLedger: @unchecked Sendable {
  private let lock = NSLock()
  private var rows: [TimingReport.Transfer] = []
  private var index: [String: Int] = [:]

  package init() {}

  package func record(kind: String, name: String, upload: Bool, bytes: Int) {
    lock.withLock {
      let key = kind + " " + name
      let i = index[key] ?? {
        rows.append(TimingReport.Transfer(kind: kind, name: name))
        index[key] = rows.count - 1
        return rows.count - 1
      }()
      if upload { rows[i].uploads += 1; rows[i].uploadBytes += bytes } else { rows[i].downloads += 1; rows[i].downloadBytes += bytes }
    }
  }

  package var transfers: [TimingReport.Transfer] { lock.withLock { rows } }

  package func reset() { lock.withLock { rows = []; index = [:] } }
}
