import Testing
@testable import OP2

/// Loops are queued; reading data runs exactly the loops it depends on, in program order.
@Suite("Lazy evaluation")
struct LazyTests {
  let s = Set(size: 8, name: "s")
  let copy = Kernel(code: "void copy(const double *a, double *b) { *b = *a; }", name: "copy")
  let addTo = Kernel(code: "void add_to(const double *a, double *b) { *b += *a; }", name: "add_to")
  let setTo = Kernel(code: "void set_to(double *b) { *b = 5; }", name: "set_to")

  private func executed() -> Int { OP2.statistics.loopsExecuted }

  @Test("a chain runs only when its end is read, and all of it")
  func chain() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = try Dat<Double>(s ** 1, values: Array(repeating: 1, count: 8), name: "a")
      let b = Dat<Double>(s ** 1, name: "b"), c = Dat<Double>(s ** 1, name: "c")
      try parLoop(copy, over: s, a(.read), b(.write))
      try parLoop(copy, over: s, b(.read), c(.write))
      #expect(executed() == 0)
      #expect(OP2.pendingLoopCount == 2)
      #expect(c.data == Array(repeating: 1, count: 8))
      #expect(executed() == 2)
    }
  }

  @Test("reading an unrelated Dat runs nothing")
  func unrelated() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = Dat<Double>(s ** 1, name: "a"), b = Dat<Double>(s ** 1, name: "b")
      let other = Dat<Double>(s ** 1, name: "other")
      try parLoop(copy, over: s, a(.read), b(.write))
      _ = other.data
      _ = a.data  // a is only read by the queued loop: reading it needs nothing
      #expect(executed() == 0)
      _ = b.data
      #expect(executed() == 1)
    }
  }

  @Test("a diamond runs its branches before the join, and leaves independent loops queued")
  func diamond() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = try Dat<Double>(s ** 1, values: Array(repeating: 2, count: 8), name: "a")
      let b = Dat<Double>(s ** 1, name: "b"), c = Dat<Double>(s ** 1, name: "c")
      let d = Dat<Double>(s ** 1, name: "d"), unrelated = Dat<Double>(s ** 1, name: "u")
      try parLoop(copy, over: s, a(.read), b(.write))        // 1
      try parLoop(setTo, over: s, unrelated(.write))           // independent
      try parLoop(copy, over: s, a(.read), c(.write))        // 2
      try parLoop(copy, over: s, b(.read), d(.write))        // 3: d = b
      try parLoop(addTo, over: s, c(.read), d(.inc))          // 4: d += c
      #expect(d.data == Array(repeating: 4, count: 8))
      #expect(executed() == 4)
      #expect(OP2.pendingLoopCount == 1)
      #expect(unrelated.data == Array(repeating: 5, count: 8))
      #expect(executed() == 5)
    }
  }

  @Test("writing a Dat from Swift first runs the queued loops that read it (write after read)")
  func writeAfterRead() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = try Dat<Double>(s ** 1, values: Array(repeating: 3, count: 8), name: "a")
      let b = Dat<Double>(s ** 1, name: "b")
      try parLoop(copy, over: s, a(.read), b(.write))
      try a.setData(Array(repeating: 7, count: 8))
      #expect(executed() == 1)
      #expect(b.data == Array(repeating: 3, count: 8))
    }
  }

  @Test("a loop that overwrites data a queued loop reads is ordered after it")
  func loopWriteAfterRead() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = try Dat<Double>(s ** 1, values: Array(repeating: 3, count: 8), name: "a")
      let b = Dat<Double>(s ** 1, name: "b")
      try parLoop(copy, over: s, a(.read), b(.write))   // b = 3
      try parLoop(setTo, over: s, a(.write))            // a = 5 afterwards
      #expect(a.data == Array(repeating: 5, count: 8))  // needs loop 1 first (write after read)
      #expect(executed() == 2)
      #expect(b.data == Array(repeating: 3, count: 8))
    }
  }

  @Test("Globals are dependencies like Dats")
  func globals() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = try Dat<Double>(s ** 1, values: (0..<8).map(Double.init), name: "a")
      let g = Global<Double>(value: 0, name: "g")
      let sum = Kernel(code: "void sum(const double *a, double *g) { *g += *a; }", name: "sum")
      try parLoop(sum, over: s, a(.read), g(.inc))
      #expect(executed() == 0)
      g.value = [g.value[0] * 2]   // read forces the loop; write after
      #expect(executed() == 1)
      try parLoop(sum, over: s, a(.read), g(.inc))
      #expect(g.value == [28 * 3])
    }
  }

  @Test("lazy and eager execution give identical results")
  func lazyEqualsEager() throws {
    func run(lazy: Bool) throws -> [Double] {
      try OP2.withConfiguration(.testing(lazy: lazy)) {
        let a = try Dat<Double>(s ** 1, values: (0..<8).map { Double($0) * 0.1 }, name: "a")
        let b = Dat<Double>(s ** 1, name: "b")
        for _ in 0..<5 {
          try parLoop(addTo, over: s, a(.read), b(.inc))
          try parLoop(addTo, over: s, b(.read), a(.inc))
        }
        #expect(OP2.pendingLoopCount == (lazy ? 10 : 0))
        return a.data + b.data
      }
    }
    #expect(try run(lazy: true) == run(lazy: false))
  }

  @Test("OP2.flush runs everything")
  func flush() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let a = Dat<Double>(s ** 1, name: "a")
      try parLoop(setTo, over: s, a(.write))
      try parLoop(setTo, over: s, a(.write))
      OP2.flush()
      #expect(executed() == 2)
      #expect(OP2.pendingLoopCount == 0)
    }
  }
}
