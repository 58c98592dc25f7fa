import Dispatch
import Foundation
import Synchronization
import Testing
@testable import OP2

/// The lazy queue's fast lane: a loop queued right after itself (a handle called again, a
/// `parLoop` repeat) is counted into the queue's last item, and a fused group keeps it as one
/// run. A counted repeat must run exactly as often as it was called, in program order with the
/// other loops and host accesses on its data, under the runtime that recorded it.
@Suite("Repeated loops: counted repeats in the lazy queue")
struct RepeatLaneTests {
  /// x ↦ 2x + 1 and x ↦ x − 3 do not commute: any lost, extra or reordered call changes the result.
  static let affine = Kernel(code: "void lane_affine(double *x) { *x = 2 * *x + 1; }", name: "lane_affine")
  static let minus = Kernel(code: "void lane_minus(double *x) { *x -= 3; }", name: "lane_minus")

  /// `x` after applying `ops` in order (`true`: 2x + 1, `false`: x − 3).
  static func expected(_ start: Double, _ ops: [Bool]) -> Double {
    ops.reduce(start) { x, affine in affine ? 2 * x + 1 : x - 3 }
  }

  @Test("repeats run exactly as often as called, in order with other loops and host reads",
        arguments: Backend.available, [false, true])
  func repeatsInOrder(backend: Backend, fusion: Bool) throws {
    var config = OP2.Configuration.testing(backend, lazy: true)
    config.fusion = fusion
    try OP2.withConfiguration(config) {
      let s = Set(size: 3, name: "s")
      let x = try Dat<Double>(s ** 1, values: [0, 1, 2], name: "x")
      let twice = try ParLoop(Self.affine, over: s, x(.rw))
      let less = try ParLoop(Self.minus, over: s, x(.rw))
      var ops: [Bool] = []
      var pending = 0
      let before = OP2.statistics.loopsExecuted
      // Runs of several lengths, broken by the other loop, by parLoop repeats and by host reads.
      for (round, n) in [1, 5, 2, 7].enumerated() {
        for _ in 0..<n { try twice(); ops.append(true) }
        pending += n
        #expect(OP2.pendingLoopCount == pending, "round \(round)")
        try less(); ops.append(false)
        for _ in 0..<3 { try parLoop(Self.affine, over: s, x(.rw)); ops.append(true) }
        pending += 4
        #expect(OP2.pendingLoopCount == pending, "round \(round)")
        if round % 2 == 1 {
          #expect(x.data == [0.0, 1, 2].map { Self.expected($0, ops) }, "round \(round)")
          pending = 0
        }
      }
      #expect(x.data == [0.0, 1, 2].map { Self.expected($0, ops) })
      #expect(OP2.pendingLoopCount == 0)
      #expect(OP2.statistics.loopsExecuted - before == ops.count)
    }
  }

  @Test("repeats fuse into one group, or run one group each without fusion or when they cannot fuse")
  func repeatsFuseAsOneByOne() throws {
    for fusion in [false, true] {
      var config = OP2.Configuration.testing(lazy: true)
      config.fusion = fusion
      try OP2.withConfiguration(config) {
        let nodes = Set(size: 4, name: "nodes"), edges = Set(size: 3, name: "edges")
        let e2n = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3], name: "e2n")
        let x = try Dat<Double>(edges ** 1, values: [1, 2, 3], name: "x")
        let acc = Dat<Double>(nodes ** 1, name: "acc")
        let twice = try ParLoop(Self.affine, over: edges, x(.rw))
        let scatter = try ParLoop(Kernel(code: "void lane_scatter(const double *x, double *a[2]) { *a[0] += *x; *a[1] += *x; }",
                                         name: "lane_scatter"), over: edges, x(.read), acc(.inc, e2n))
        let fusedBefore = OP2.statistics.loopsFused, executedBefore = OP2.statistics.loopsExecuted
        for _ in 0..<6 { try twice() }
        #expect(x.data == [127, 191, 255])
        // INC through a map never fuses with itself: each repeat is a group of its own.
        for _ in 0..<4 { try scatter() }
        let scattered: [Double] = [127, 127 + 191, 191 + 255, 255]
        #expect(acc.data == scattered.map { 4 * $0 })
        #expect(OP2.statistics.loopsExecuted - executedBefore == 10)
        #expect(OP2.statistics.loopsFused - fusedBefore == (fusion ? 6 : 0), "fusion \(fusion)")
      }
    }
  }

  @Test("a Global stored between repeats is stored between them")
  func storeBetweenRepeats() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 4, name: "s")
      let w = try Dat<Double>(s ** 1, values: [1, 2, 3, 4], name: "w")
      let total = Global<Double>(value: 0, name: "total")
      let sum = try ParLoop(Kernel(code: "void lane_sum(const double *w, double *t) { *t += *w; }", name: "lane_sum"),
                            over: s, w(.read), total(.inc))
      for _ in 0..<3 { try sum() }
      total.value = [100]  // queued behind the three reductions
      for _ in 0..<2 { try sum() }
      #expect(total.value == [120])
    }
  }

  @Test("a repeat after a host access that ran part of the queue runs once more, after it")
  func repeatAfterPartialRun() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 2, name: "s")
      let x = try Dat<Double>(s ** 1, values: [1, 2], name: "x")
      let y = try Dat<Double>(s ** 1, values: [5, 6], name: "y")
      let onX = try ParLoop(Self.affine, over: s, x(.rw))
      let onY = try ParLoop(Self.minus, over: s, y(.rw))
      try onX()
      try onY()
      // Runs onX only: onY stays queued and last, and a repeat of it still counts into it.
      #expect(x.data == [3, 5])
      #expect(OP2.pendingLoopCount == 1)
      try onY()
      #expect(OP2.pendingLoopCount == 2)
      #expect(y.data == [-1, 0])
      // The last item ran: the next call is a new item, and runs once.
      try onY()
      #expect(OP2.pendingLoopCount == 1)
      #expect(y.data == [-4, -3])
      try onY()
      try onX()
      try onY()
      #expect(x.data == [7, 11])
      #expect(y.data == [-10, -9])
    }
  }

  @Test("repeats under another configuration run under it, with their own count")
  func repeatsKeepTheirRuntime() throws {
    let s = Set(size: 2, name: "s")
    let x = try Dat<Double>(s ** 1, values: [0, 1], name: "x")
    let twice = try ParLoop(Self.affine, over: s, x(.rw))
    try OP2.withConfiguration(.testing(lazy: true)) {
      let outer = OP2.statistics.loopsExecuted
      for _ in 0..<3 { try twice() }
      var inner = 0
      try OP2.withConfiguration(.testing(lazy: true)) {
        let before = OP2.statistics.loopsExecuted
        for _ in 0..<2 { try twice() }
        // Only this runtime's two calls are its own; the read runs the outer three first.
        #expect(OP2.pendingLoopCount == 2)
        #expect(x.data == [0.0, 1].map { Self.expected($0, Array(repeating: true, count: 5)) })
        inner = OP2.statistics.loopsExecuted - before
      }
      #expect(inner == 2)
      #expect(OP2.statistics.loopsExecuted - outer == 3)
      #expect(OP2.pendingLoopCount == 0)
    }
  }

  @Test("at the queue limit, counted repeats run as the same number of queued loops would")
  func queueLimitCountsRepeats() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 1, name: "s")
      let x = Dat<Double>(s ** 1, name: "x")
      let bump = try ParLoop(Kernel(code: "void lane_bump(double *x) { *x += 1; }", name: "lane_bump"), over: s, x(.rw))
      for _ in 0..<(Runtime.queueLimit + 5) { try bump() }
      #expect(OP2.pendingLoopCount == 5)
      #expect(x.data == [Double(Runtime.queueLimit + 5)])
    }
  }

  @Test("one handle called from several threads at once runs once per call")
  func repeatsFromThreads() throws {
    let s = Set(size: 1, name: "s")
    let x = Dat<Double>(s ** 1, name: "x")
    let bump = try ParLoop(Kernel(code: "void lane_bump(double *x) { *x += 1; }", name: "lane_bump"), over: s, x(.rw))
    let failures = Mutex<[String]>([])
    let threads = 4, calls = 500
    OP2.withConfiguration(.testing(lazy: true)) {
      let config = OP2.configuration
      DispatchQueue.concurrentPerform(iterations: threads) { t in
        OP2.withConfiguration(config) {
          for i in 0..<calls {
            do { try bump() } catch { failures.withLock { $0.append("\(error)") } }
            // Reads from some threads force the others' repeats, mid-run.
            if t == 0, i % 50 == 0, x.data[0] < Double(i + 1) {
              failures.withLock { $0.append("thread 0 read \(x.data[0]) after \(i + 1) of its calls") }
            }
          }
        }
      }
    }
    #expect(failures.withLock { $0 } == [])
    #expect(x.data == [Double(threads * calls)])
  }

  /// The queue itself, private to the test (the process queue is shared with tests running in
  /// parallel, which may queue loops between two calls): what each item holds after repeats.
  @Test("the queue counts a repeat into its last item only for the same loop, runtime and wrapper")
  func queueItems() throws {
    let s = Set(size: 2, name: "s")
    let x = Dat<Double>(s ** 1, name: "x"), y = Dat<Double>(s ** 1, name: "y")
    let g = Global<Double>(value: 0, name: "g")
    let onX = try ParLoop(Self.affine, over: s, x(.rw)), onY = try ParLoop(Self.minus, over: s, y(.rw))
    let a = Runtime(configuration: .testing()), b = Runtime(configuration: .testing())
    let wx = try a.wrapper(for: onX), wy = try a.wrapper(for: onY)
    func items(_ work: [LoopQueue.Work]) -> [String] {
      work.map { item in
        switch item {
        case .loop(let loop, _, let runtime, let repeats):
          "\(loop === onX ? "x" : "y")\(runtime === a ? "a" : "b")×\(repeats)"
        case .store: "store"
        }
      }
    }
    var q = LoopQueue()
    // Another runtime: a new item, even with the same loop and wrapper.
    for _ in 0..<3 { q.append(onX, wrapper: wx, runtime: a) }
    for _ in 0..<2 { q.append(onX, wrapper: wx, runtime: b) }
    q.append(onY, wrapper: wy, runtime: a)
    q.append(onX, wrapper: wx, runtime: a)
    #expect(q.count(ownedBy: a) == 5)
    #expect(q.count(ownedBy: b) == 2)
    #expect(items(q.takeAll()) == ["xa×3", "xb×2", "ya×1", "xa×1"])
    #expect(q.count(ownedBy: a) == 0)

    // Another wrapper (as after a recompilation): a new item.
    q.append(onX, wrapper: wx, runtime: a)
    q.append(onX, wrapper: wy, runtime: a)
    #expect(items(q.takeAll()) == ["xa×1", "xa×1"])

    // A store in between: the repeats after it are a new item.
    q.append(onX, wrapper: wx, runtime: a)
    q.append(onX, wrapper: wx, runtime: a)
    q.appendStore(to: ObjectIdentifier(g), owner: a) {}
    q.append(onX, wrapper: wx, runtime: a)
    #expect(q.count(ownedBy: a) == 4)
    #expect(items(q.takeAll()) == ["xa×2", "store", "xa×1"])

    // A host access that takes an earlier item leaves the last one to count into; one that
    // takes the last item leaves nothing to count into.
    q.append(onX, wrapper: wx, runtime: a)
    q.append(onY, wrapper: wy, runtime: a)
    q.append(onY, wrapper: wy, runtime: a)
    #expect(items(q.takeDependencies(of: ObjectIdentifier(x), writing: false)) == ["xa×1"])
    q.append(onY, wrapper: wy, runtime: a)
    #expect(q.count(ownedBy: a) == 3)
    #expect(items(q.takeDependencies(of: ObjectIdentifier(y), writing: false)) == ["ya×3"])
    #expect(q.count(ownedBy: a) == 0)
    q.append(onY, wrapper: wy, runtime: a)
    q.append(onY, wrapper: wy, runtime: a)
    #expect(items(q.takeItems(ownedBy: a)) == ["ya×2"])
    #expect(q.isEmpty)
  }
}
