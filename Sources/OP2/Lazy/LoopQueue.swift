/// Deferred work in program order — loops, and host stores into Globals that queued loops still
/// use — and the dependency analysis that decides which must run before the host touches an
/// object.
///
/// A loop must run before the host *reads* an object if it writes that object; before the host
/// *writes* it, if it reads or writes it. Running a loop requires every earlier queued item it
/// depends on: read-after-write, write-after-read and write-after-write. `takeDependencies`
/// finds that closure in one backward pass and returns it in program order; the other items stay
/// queued, which is safe because none of them conflicts with one that ran.
///
/// Each item remembers the ``Runtime`` that recorded it (its backend, timings and statistics);
/// there is one queue in the process (``ProcessQueue``), whatever the number of runtimes.
///
/// A loop queued right after itself (the same ``ParLoop`` object, runtime and wrapper: a handle
/// called again, or a `parLoop` repeat that reuses its queued loop) is counted into the last item
/// instead of becoming one: the repeats have the same reads and writes, so the dependency
/// analysis, which takes or keeps an item whole, takes all of them or none — as it would have
/// taken them one by one, since each repeat depends on the one before (they write the same
/// objects) or, writing nothing, is never needed by anything.
package struct LoopQueue {
  /// One deferred item.
  package enum Work {
    /// A validated loop, its compiled wrapper, the runtime that runs it and how many times it
    /// runs back to back (at least 1).
    case loop(ParLoop, CompiledWrapper, Runtime, repeats: Int)
    /// A host store into a Global or Const (the object), deferred behind the queued loops that
    /// use it (`rms.value = [0]` between two reductions).
    case store(ObjectIdentifier, @Sendable () -> Void)
  }

  /// What the dependency analysis needs of an item; `works` holds the items themselves, in the
  /// same order (apart, so that taking everything hands over `works` without copying an item).
  private struct Entry {
    var owner: ObjectIdentifier
    var reads: [ObjectIdentifier]
    var writes: [ObjectIdentifier]
  }
  private var entries: [Entry] = []
  private var works: [Work] = []
  /// Items per recording runtime, repeats included (one or two runtimes at a time: a short
  /// array beats hashing).
  private var owned = OwnerCounts()
  /// When the last item is a loop: its object, runtime and wrapper, which a repeat must match.
  private var last: (loop: ObjectIdentifier, runtime: ObjectIdentifier, wrapper: CompiledWrapper)?
  /// Repeats counted into the last item since it was written into `works` (written back by
  /// `sealLast()` before `works` is read or grows).
  private var lastRepeats = 0

  /// Items per owner, in a short array.
  private struct OwnerCounts {
    private var entries: [(owner: ObjectIdentifier, count: Int)] = []
    var count: Int { entries.count }
    subscript(owner: ObjectIdentifier) -> Int? {
      entries.first { $0.owner == owner }?.count
    }
    mutating func add(_ n: Int, to owner: ObjectIdentifier) {
      if let i = entries.firstIndex(where: { $0.owner == owner }) {
        entries[i].count += n
        if entries[i].count == 0 { entries.remove(at: i) }
      } else {
        entries.append((owner, n))
      }
    }
    mutating func removeAll() { entries.removeAll() }
  }

  package var isEmpty: Bool { entries.isEmpty }
  package var count: Int { entries.count }

  /// The objects `loop` reads (READ, RW, INC, MIN, MAX, and its run-time Consts) and writes.
  package static func accesses(args: [Arg], consts: [any _ConstValue]) -> (reads: [ObjectIdentifier], writes: [ObjectIdentifier]) {
    var reads: [ObjectIdentifier] = []
    var writes: [ObjectIdentifier] = []
    for arg in args {
      let id = ObjectIdentifier(arg.data)
      if arg.access.reads || arg.access == .min || arg.access == .max { reads.append(id) }
      if arg.access.writes { writes.append(id) }
    }
    for const in consts { reads.append(ObjectIdentifier(const)) }
    return (reads, writes)
  }

  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, runtime: Runtime) {
    let owner = ObjectIdentifier(runtime)
    // The fast lane: the last item is this loop, recorded by this runtime with this wrapper.
    if let last, last.loop == ObjectIdentifier(loop), last.runtime == owner, last.wrapper.isSame(as: wrapper) {
      lastRepeats += 1
      owned.add(1, to: owner)
      return
    }
    sealLast()
    let (reads, writes) = loop.accesses
    entries.append(Entry(owner: owner, reads: reads, writes: writes))
    works.append(.loop(loop, wrapper, runtime, repeats: 1))
    owned.add(1, to: owner)
    last = (ObjectIdentifier(loop), owner, wrapper)
  }

  /// Queues a host store into `object` that must wait for the queued items using it.
  package mutating func appendStore(to object: ObjectIdentifier, owner: Runtime, _ store: @escaping @Sendable () -> Void) {
    sealLast()
    last = nil
    entries.append(Entry(owner: ObjectIdentifier(owner), reads: [], writes: [object]))
    works.append(.store(object, store))
    owned.add(1, to: ObjectIdentifier(owner))
  }

  /// Writes the repeats counted into the last item into `works`.
  private mutating func sealLast() {
    guard lastRepeats > 0 else { return }
    guard case .loop(let loop, let wrapper, let runtime, let repeats) = works[works.count - 1] else {
      preconditionFailure("LoopQueue: repeats counted into an item that is not a loop")
    }
    works[works.count - 1] = .loop(loop, wrapper, runtime, repeats: repeats + lastRepeats)
    lastRepeats = 0
  }

  /// How many loops (or stores) `work` stands for.
  private static func size(_ work: Work) -> Int {
    if case .loop(_, _, _, let repeats) = work { return repeats }
    return 1
  }

  /// Whether a queued item reads or writes `object`.
  package func uses(_ object: ObjectIdentifier) -> Bool {
    entries.contains { $0.reads.contains(object) || $0.writes.contains(object) }
  }

  /// Items recorded by `runtime`.
  package func count(ownedBy runtime: Runtime) -> Int {
    owned[ObjectIdentifier(runtime)] ?? 0
  }

  package mutating func takeAll() -> [Work] {
    sealLast()
    defer { entries.removeAll(); works = []; owned.removeAll(); last = nil }
    return works
  }

  /// The items that must run before the host reads (`writing: false`) or overwrites `object`.
  package mutating func takeDependencies(of object: ObjectIdentifier, writing: Bool) -> [Work] {
    takeDependencies(reads: [object], writes: writing ? [object] : [])
  }

  /// The items that must run before something that reads `reads` and writes `writes`: those
  /// writing an object in either list, those reading one in `writes`, and what they depend on.
  package mutating func takeDependencies(reads: [ObjectIdentifier], writes: [ObjectIdentifier]) -> [Work] {
    take(mustFinishWrites: Swift.Set(reads + writes), mustFinishAccesses: Swift.Set(writes)) { _ in false }
  }

  /// Every item recorded by `runtime`, and what they depend on.
  package mutating func takeItems(ownedBy runtime: Runtime) -> [Work] {
    let id = ObjectIdentifier(runtime)
    // Everything queued is the runtime's (the usual case): no dependency analysis needed.
    if owned.count == 1, owned[id] != nil { return takeAll() }
    return take(mustFinishWrites: [], mustFinishAccesses: []) { $0.owner == id }
  }

  /// One backward pass: an item is taken if `selected` says so or if a later taken item (or the
  /// access that seeds the sets) depends on it.
  private mutating func take(
    mustFinishWrites: Swift.Set<ObjectIdentifier>, mustFinishAccesses: Swift.Set<ObjectIdentifier>,
    selected isSelected: (Entry) -> Bool
  ) -> [Work] {
    // Objects whose queued writes must be done, and objects whose queued reads and writes must be done.
    var mustFinishWrites = mustFinishWrites
    var mustFinishAccesses = mustFinishAccesses
    var selected = [Bool](repeating: false, count: entries.count)
    var any = false
    for i in entries.indices.reversed() {
      let e = entries[i]
      let needed = isSelected(e)
        || e.writes.contains { mustFinishWrites.contains($0) || mustFinishAccesses.contains($0) }
        || e.reads.contains { mustFinishAccesses.contains($0) }
      guard needed else { continue }
      selected[i] = true
      any = true
      mustFinishWrites.formUnion(e.reads)
      mustFinishAccesses.formUnion(e.writes)
    }
    guard any else { return [] }
    sealLast()
    // A last item taken leaves no loop for a repeat to count into; one kept stays the last.
    if selected[entries.count - 1] { last = nil }
    var taken: [Work] = []
    var kept: [Entry] = []
    var keptWorks: [Work] = []
    for (i, e) in entries.enumerated() {
      if selected[i] {
        taken.append(works[i])
        owned.add(-Self.size(works[i]), to: e.owner)
      } else {
        kept.append(e)
        keptWorks.append(works[i])
      }
    }
    entries = kept
    works = keptWorks
    return taken
  }
}
