import Testing
@testable import OP2

/// Loops over a Subset run the kernel for the subset's elements only, with direct Dats indexed by
/// the superset's element and Maps from the superset, on every backend.
@Suite("Subsets")
struct SubsetTests {
  static let seeds: [UInt64] = [1, 5, 99]

  @Test("a loop over a subset runs only its elements, direct Dats by superset element", arguments: Backend.available)
  func direct(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 10, name: "s")
      let x = try Dat<Double>(s ** 1, values: (0..<10).map(Double.init), name: "x")
      let y = try Dat<Double>(s ** 1, values: Array(repeating: -1, count: 10), name: "y")
      let sum = Global<Double>(value: 0, name: "sum")
      let sub = try Subset(of: s, indices: [7, 2, 2, 5, 9], name: "sub")
      #expect(sub.indices == [2, 5, 7, 9] && sub.size == 4 && sub.superset === s)
      let k = Kernel(code: "void k(const double *x, double *y, double *sum) { y[0] = 2 * x[0]; sum[0] += x[0]; }", name: "k")
      try parLoop(k, over: sub, x(.read), y(.write), sum(.inc))
      #expect(y.data == [-1, -1, 4, -1, -1, 10, -1, 14, -1, 18])
      #expect(sum.value == [23])
    }
  }

  @Test("INC, MIN and RW through superset maps match a Swift loop on random subsets",
        arguments: Backend.available, seeds)
  func randomMaps(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed &* 977)
    let nFrom = [50, 1000, 3001][Int(seed % 3)]
    let nTo = Int.random(in: 1...100, using: &rng)
    let arity = Int.random(in: 1...3, using: &rng)
    let values = (0..<(nFrom * arity)).map { _ in Int32.random(in: 0..<Int32(nTo), using: &rng) }
    let w = (0..<nFrom).map { _ in Double(Int.random(in: -1000...1000, using: &rng)) }
    let chosen = (0..<(nFrom / 3)).map { _ in Int.random(in: 0..<nFrom, using: &rng) }
    let elements = Array(Swift.Set(chosen)).sorted()
    var acc = [Double](repeating: 0, count: nTo), lo = [Double](repeating: 1e9, count: nTo)
    var own = w
    for e in elements {
      for k in 0..<arity { acc[Int(values[e * arity + k])] += w[e] }
      lo[Int(values[e * arity])] = min(lo[Int(values[e * arity])], w[e])
      own[e] = own[e] * 3 + 1
    }
    try OP2.withConfiguration(.testing(backend)) {
      let from = Set(size: nFrom, name: "from"), to = Set(size: nTo, name: "to")
      let map = try Map(from: from, to: to, arity: arity, values: values, name: "m")
      let wd = try Dat<Double>(from ** 1, values: w, name: "w")
      let accd = Dat<Double>(to ** 1, name: "acc")
      let lod = try Dat<Double>(to ** 1, values: Array(repeating: 1e9, count: nTo), name: "lo")
      let sub = try Subset(of: from, indices: chosen, name: "chosen")
      let k = Kernel(code: """
        void k(double *w, double **acc, double *lo) {
          for (int j = 0; j < \(arity); j++) acc[j][0] += w[0];
          lo[0] = fmin(lo[0], w[0]);
          w[0] = w[0] * 3 + 1;
        }
        """, name: "k")
      try parLoop(k, over: sub, wd(.rw), accd(.inc, map), lod(.min, map[0]))
      #expect(accd.data == acc, "seed \(seed)")
      #expect(lod.data == lo, "seed \(seed)")
      #expect(wd.data == own, "seed \(seed)")
    }
  }

  @Test("a subset of a subset takes positions in its parent", arguments: Backend.available)
  func composition(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 10, name: "s")
      let parent = try Subset(of: s, indices: [9, 1, 3, 5, 7], name: "odd")
      let child = try Subset(of: parent, indices: [4, 0, 2, 0], name: "child")
      #expect(child.indices == [1, 5, 9] && child.superset === s)
      let y = Dat<Int32>(s ** 1, name: "y")
      let k = Kernel(code: "void mark(int *y) { y[0] += 1; }", name: "mark")
      try parLoop(k, over: child, y(.inc))
      try parLoop(k, over: parent, y(.inc))
      #expect(y.data == [0, 2, 0, 1, 0, 2, 0, 1, 0, 2])
    }
  }

  @Test("zero(subset:) zeroes only the subset, queued like any loop", arguments: Backend.available)
  func zero(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend, lazy: true)) {
      let s = Set(size: 6, name: "s")
      let x = try Dat<Double>(s ** 2, values: Array(repeating: 5, count: 12), name: "x")
      let sub = try Subset(of: s, indices: [0, 4], name: "ends")
      try x.zero(subset: sub)
      #expect(OP2.pendingLoopCount == 1)
      #expect(x.data == [0, 0, 5, 5, 5, 5, 5, 5, 0, 0, 5, 5])
      let other = Set(size: 6, name: "other")
      let y = Dat<Double>(other ** 1, name: "y")
      expectError(.algebraMismatch(operation: "y.zero(subset: ends)", operand: "Subset \"ends\"", found: "of s", expected: "a subset of other"),
                  message: "Dat algebra \"y.zero(subset: ends)\": Subset \"ends\" is of s; expected a subset of other") { () throws(OP2Error) in
        try y.zero(subset: sub)
      }
    }
  }

  @Test("a loop handle and an empty subset", arguments: Backend.available)
  func handleAndEmpty(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 4, name: "s")
      let y = Dat<Double>(s ** 1, name: "y")
      let k = Kernel(code: "void bump(double *y) { y[0] += 1; }", name: "bump")
      let step = try ParLoop(k, over: Subset(of: s, indices: [3, 1], name: "some"), y(.rw))
      for _ in 0..<3 { try step() }
      try parLoop(k, over: Subset(of: s, indices: [], name: "none"), y(.rw))
      #expect(y.data == [0, 3, 0, 3])
    }
  }

  @Test("bad indices and bad arguments are rejected with the superset's messages, and nothing changes")
  func errors() throws {
    try OP2.withConfiguration(.testing()) {
      let s = Set(size: 4, name: "s"), t = Set(size: 4, name: "t")
      expectError(.subsetIndexOutOfRange(subset: "bad", index: 4, set: "s", size: 4),
                  message: "Subset \"bad\": index 4 is outside s (0..<4)") { () throws(OP2Error) in
        _ = try Subset(of: s, indices: [0, 4], name: "bad")
      }
      expectError(.subsetIndexOutOfRange(subset: "s_subset", index: -1, set: "s", size: 4),
                  message: "Subset \"s_subset\": index -1 is outside s (0..<4)") { () throws(OP2Error) in
        _ = try Subset(of: s, indices: [-1])
      }
      let parent = try Subset(of: s, indices: [1, 2], name: "p")
      expectError(.subsetIndexOutOfRange(subset: "c", index: 2, set: "p", size: 2),
                  message: "Subset \"c\": index 2 is outside p (0..<2)") { () throws(OP2Error) in
        _ = try Subset(of: parent, indices: [2], name: "c")
      }
      let onT = try Dat<Double>(t ** 1, values: [1, 2, 3, 4], name: "onT")
      let k = Kernel(code: "void k(double *y) { y[0] = 0; }", name: "k")
      let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "onT")
      expectError(.directDatNotOnIterationSet(at, dat: "onT", datSet: "t", iterationSet: "s"),
                  message: "parLoop \"k\", argument 1 (onT): onT is defined on t but the loop iterates over s; pass a map") { () throws(OP2Error) in
        try parLoop(k, over: parent, onT(.write))
      }
      #expect(onT.data == [1, 2, 3, 4])
    }
  }

  @Test("copy(to:subset:) copies only the subset's elements, lazily, and checks its operands", arguments: Backend.available)
  func copyOnSubset(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 6, name: "s"), t = Set(size: 6, name: "t")
      let a = try Dat<Double>(s ** 2, values: (0..<12).map(Double.init), name: "a")
      let b = try Dat<Double>(s ** 2, values: Array(repeating: -1, count: 12), name: "b")
      let sub = try Subset(of: s, indices: [4, 1], name: "sub")
      try a.copy(to: b, subset: sub)
      #expect(b.data == [-1, -1, 2, 3, -1, -1, -1, -1, 8, 9, -1, -1])
      let other = try Subset(of: t, indices: [0], name: "other")
      #expect(throws: OP2Error.algebraMismatch(operation: "a.copy(to: b, subset: other)", operand: "Subset \"other\"",
                                               found: "of t", expected: "a subset of s")) {
        try a.copy(to: b, subset: other)
      }
      #expect(b.data == [-1, -1, 2, 3, -1, -1, -1, -1, 8, 9, -1, -1])
    }
  }
}
