/// Deferred loops in program order, and the dependency analysis that decides which must run
/// before the host touches an object.
///
/// A loop must run before the host *reads* an object if it writes that object; before the host
/// *writes* it, if it reads or writes it. Running a loop requires every earlier queued loop it
/// depends on: read-after-write, write-after-read and write-after-write. `takeDependencies`
/// finds that closure in one backward pass and returns it in program order; the other loops stay
/// queued, which is safe because none of them conflicts with a loop that ran.
package struct LoopQueue {
  private struct Entry {
    var loop: ParLoop
    var wrapper: CompiledWrapper
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
    entries.append(Entry(loop: loop, wrapper: wrapper, reads: reads, writes: writes))
  }

  package mutating func takeAll() -> [(ParLoop, CompiledWrapper)] {
    defer { entries.removeAll() }
    return entries.map { ($0.loop, $0.wrapper) }
  }

  package mutating func takeDependencies(of object: ObjectIdentifier, writing: Bool) -> [(ParLoop, CompiledWrapper)] {
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
    var taken: [(ParLoop, CompiledWrapper)] = []
    var kept: [Entry] = []
    for (i, e) in entries.enumerated() {
      if selected[i] { taken.append((e.loop, e.wrapper)) } else { kept.append(e) }
    }
    entries = kept
    return taken
  }
}
