import Foundation
import Synchronization
import Testing
@testable import OP2

/// Queued writes run before any host access to their data, whatever runtime or thread recorded
/// them and whatever runtime or thread reads; reconfiguring never drops queued work.
@Suite("Queue consistency across runtimes and threads", .serialized)
struct QueueConsistencyTests {
  let s = Set(size: 1, name: "one")
  let increment = Kernel(code: "void increment(double *a) { *a += 1; }", name: "increment")

  @Test("a Dat read under another configuration sees the loop queued outside it")
  func readInsideOtherRuntime() throws {
    let a = Dat<Double>(s ** 1, name: "a")
    try OP2.withConfiguration(.testing(lazy: true)) {
      try parLoop(increment, over: s, a(.rw))
      #expect(OP2.pendingLoopCount == 1)
      OP2.withConfiguration(.testing(lazy: true)) {
        #expect(a.data == [1])
      }
    }
  }

  @Test("setting a Dat under another configuration runs the loop queued outside it first")
  func writeInsideOtherRuntime() throws {
    let a = Dat<Double>(s ** 1, name: "a")
    try OP2.withConfiguration(.testing(lazy: true)) {
      try parLoop(increment, over: s, a(.rw))
      try OP2.withConfiguration(.testing(lazy: true)) {
        try a.setData([100])
      }
      #expect(OP2.pendingLoopCount == 0)
      #expect(a.data == [100])
    }
  }

  @Test("an eager loop under another configuration runs after the loop queued outside it")
  func eagerAfterQueued() throws {
    let a = Dat<Double>(s ** 1, name: "a")
    let double = Kernel(code: "void twice(double *a) { *a *= 2; }", name: "twice")
    try OP2.withConfiguration(.testing(lazy: true)) {
      try parLoop(increment, over: s, a(.rw))  // a = 1, queued
      try OP2.withConfiguration(.testing(lazy: false)) {
        try parLoop(double, over: s, a(.rw))   // a = 2 only if the queued loop ran first
      }
      #expect(a.data == [2])
    }
  }

  @Test("OP2.configure inside withConfiguration keeps the loops queued in the replaced runtime")
  func configureInsideWithConfiguration() throws {
    let a = Dat<Double>(s ** 1, name: "a")
    var lazy = OP2.configuration
    lazy.lazy = true
    OP2.configure(lazy)
    try parLoop(increment, over: s, a(.rw))  // queued in the process-wide runtime
    OP2.withConfiguration(.testing(lazy: true)) {
      OP2.configure(lazy)                    // replaces the process-wide runtime
    }
    OP2.flush()
    #expect(a.data == [1])
  }

  @Test("OP2.configure on one thread while another records loops loses none and reads none stale")
  func configureWhileAnotherThreadRuns() throws {
    let a = Dat<Double>(s ** 1, name: "a")
    let lazy = { var c = OP2.configuration; c.lazy = true; return c }()
    OP2.configure(lazy)
    let loops = 4000
    let done = Atomic(false)
    let failures = Mutex<[String]>([])
    // Plain threads: they see the process-wide runtime, not a task-local one.
    let reconfigure = Thread {
      while !done.load(ordering: .relaxed) { OP2.configure(lazy) }
    }
    let finished = DispatchSemaphore(value: 0)
    let worker = Thread {
      defer { finished.signal() }
      for i in 1...loops {
        do { try parLoop(increment, over: s, a(.rw)) } catch { failures.withLock { $0.append("\(error)") }; return }
        if i % 97 == 0, a.data != [Double(i)] {
          failures.withLock { $0.append("after \(i) loops read \(a.data)") }
        }
      }
    }
    reconfigure.start()
    worker.start()
    finished.wait()
    done.store(true, ordering: .relaxed)
    #expect(failures.withLock { $0 } == [])
    OP2.flush()
    #expect(a.data == [Double(loops)])
  }

  @Test("a Global set under another configuration is stored after the reduction queued outside it")
  func globalStoreOrdered() throws {
    let a = try Dat<Double>(s ** 1, values: [3], name: "a")
    let total = Global<Double>(value: 0, name: "total")
    let sum = Kernel(code: "void sum(const double *a, double *t) { *t += *a; }", name: "sum")
    try OP2.withConfiguration(.testing(lazy: true)) {
      try parLoop(sum, over: s, a(.read), total(.inc))
      OP2.withConfiguration(.testing(lazy: false)) {
        total.value = [10]
      }
      #expect(total.value == [10])
    }
  }
}
