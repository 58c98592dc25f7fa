/// Deferred work in program order — loops, and host stores into Globals that queued loops still
/// use — and the dependency analysis that decides which must run before the host touches an
/// object.
///
/// A loop must run before the host *reads* an object if it writes that object; before the host
/// *writes* it, if it reads or writes it. Running a loop requires every earlier queued item it
/// depends on: read-after-write, write-after-read and write-after-write. `takeDependencies`
/// finds that closure in one backward pass and returns it in program order; the other items stay
/// queued, which is safe because none of them conflicts with one that ran.
package struct LoopQueue {
  /// One deferred item.
  package enum Work {
    /// A validated loop and its compiled wrapper.
    case loop(ParLoop, CompiledWrapper)
    /// A host store into a Global, deferred behind the queued loops that use the Global
    /// (`rms.value = [0]` between two reductions).
    case store(@Sendable () -> Void)
  }

  private struct Entry {
    var work: Work
    var reads: [ObjectIdentifier]
    var writes: [ObjectIdentifier]
  }
  private var entries: [Entry] = []

  package var isEmpty: Bool { entries.isEmpty }
  package var count: Int { entries.count }

  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper) {
    var reads: [ObjectIdentifier] = []
    var writes: [ObjectIdentifier] = []
    for arg in loop.args {
      let id = ObjectIdentifier(arg.data)
      if arg.access.reads || arg.access == .min || arg.access == .max { reads.append(id) }
      if arg.access.writes { writes.append(id) }
    }
    entries.append(Entry(work: .loop(loop, wrapper), reads: reads, writes: writes))
  }

  /// Queues a host store into `object` that must wait for the queued items using it.
  package mutating func appendStore(to object: ObjectIdentifier, _ store: @escaping @Sendable () -> Void) {
    entries.append(Entry(work: .store(store), reads: [], writes: [object]))
  }

  /// Whether a queued item reads or writes `object`.
  package func uses(_ object: ObjectIdentifier) -> Bool {
    entries.contains { $0.reads.contains(object) || $0.writes.contains(object) }
  }

  package mutating func takeAll() -> [Work] {
    defer { entries.removeAll() }
    return entries.map(\.work)
  }

  package mutating func takeDependencies(of object: ObjectIdentifier, writing: Bool) -> [Work] {
    // Objects whose queued writes must be done, and objects whose queued reads and writes must be done.
    var mustFinishWrites: Swift.Set<ObjectIdentifier> = [object]
    var mustFinishAccesses: Swift.Set<ObjectIdentifier> = writing ? [object] : []
    var selected = [Bool](repeating: false, count: entries.count)
    for i in entries.indices.reversed() {
      let e = entries[i]
      let needed = e.writes.contains { mustFinishWrites.contains($0) || mustFinishAccesses.contains($0) }
        || e.reads.contains { mustFinishAccesses.contains($0) }
      guard needed else { continue }
      selected[i] = true
      mustFinishWrites.formUnion(e.reads)
      mustFinishAccesses.formUnion(e.writes)
    }
    var taken: [Work] = []
    var kept: [Entry] = []
    for (i, e) in entries.enumerated() {
      if selected[i] { taken.append(e.work) } else { kept.append(e) }
    }
    entries = kept
    return taken
  }
}
