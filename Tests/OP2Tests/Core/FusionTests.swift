import Numerics
import Testing
@testable import OP2

/// Consecutive queued loops over one set fuse when every Dat they share and write is accessed
/// directly; fused runs give the same results as unfused ones.
@Suite("Loop fusion")
struct FusionTests {
  /// The groups that ran, by timing-report name.
  private func groups() -> [String] { OP2.timingReport().rows.map(\.name) }

  private func configuration(_ backend: Backend = .sequential, fusion: Bool = true) -> OP2.Configuration {
    var c = OP2.Configuration.testing(backend)
    c.fusion = fusion
    return c
  }

  let copy = Kernel(code: "void copy(const double *a, double *b) { *b = *a; }", name: "copy")
  let scale = Kernel(code: "void scale(double *a) { *a *= 2; }", name: "scale")

  /// A chain over cells of a random mesh: loops 1–4 share `q`/`qold` directly and fuse
  /// (one of them increments node data through a map, one reduces into a Global); loop 5 reads the
  /// node data loop 3 increments, so it must start a new group.
  private func chain(_ backend: Backend, fusion: Bool, seed: UInt64) throws -> (q: [Double], qold: [Double], acc: [Double], g: Double, groups: [String], fused: Int) {
    var rng = SeededGenerator(seed: seed)
    let nCells = [1, 15, 16, 17, 333, 5000][Int(seed % 6)]
    let nNodes = Int.random(in: 1...200, using: &rng)
    let cellNodes = (0..<(3 * nCells)).map { _ in Int32.random(in: 0..<Int32(nNodes), using: &rng) }
    let q0 = (0..<(2 * nCells)).map { _ in Double.random(in: -1...1, using: &rng) }
    let x0 = (0..<nNodes).map { _ in Double.random(in: -1...1, using: &rng) }
    return try OP2.withConfiguration(configuration(backend, fusion: fusion)) {
      let cells = Set(size: nCells, name: "cells"), nodes = Set(size: nNodes, name: "nodes")
      let map = try Map(from: cells, to: nodes, arity: 3, values: cellNodes, name: "cell2node")
      let q = try Dat<Double>(cells ** 2, values: q0, name: "q")
      let qold = Dat<Double>(cells ** 2, name: "qold")
      let x = try Dat<Double>(nodes ** 1, values: x0, name: "x")
      let acc = Dat<Double>(nodes ** 1, name: "acc")
      let g = Global<Double>(value: 0, name: "g")
      let advance = Kernel(code: "void advance(double *q, const double *xa, const double *xc) { q[0] += xa[0] - xc[0]; q[1] *= 0.5; }", name: "advance")
      let save = Kernel(code: "void save(const double *q, double *qold) { qold[0] = q[0]; qold[1] = q[1]; }", name: "save")
      let spread = Kernel(code: "void spread(const double *q, double **acc) { for (int k = 0; k < 3; k++) acc[k][0] += q[0] * (k + 1) + q[1]; }", name: "spread")
      let norm = Kernel(code: "void norm(const double *qold, double *g) { *g += qold[0] * qold[0] + qold[1]; }", name: "norm")
      let gather = Kernel(code: "void gather(const double *acc, double *q) { q[1] += acc[0]; }", name: "gather")
      try parLoop(advance, over: cells, q(.rw), x(.read, map[0]), x(.read, map[2]))
      try parLoop(save, over: cells, q(.read), qold(.write))
      try parLoop(spread, over: cells, q(.read), acc(.inc, map))
      try parLoop(norm, over: cells, qold(.read), g(.inc))
      try parLoop(gather, over: cells, acc(.read, map[1]), q(.rw))
      OP2.flush()  // all five in program order (reading q alone would leave `norm` queued)
      let result = (q.data, qold.data, acc.data, g.value[0])
      return (result.0, result.1, result.2, result.3, groups(), OP2.statistics.loopsFused)
    }
  }

  @Test("a chain fuses where it may and gives the unfused results", arguments: Backend.available, [UInt64(1), 2, 3, 4, 5, 6])
  func chainMatchesUnfused(backend: Backend, seed: UInt64) throws {
    let fused = try chain(backend, fusion: true, seed: seed)
    let plain = try chain(.sequential, fusion: false, seed: seed)
    #expect(fused.groups == ["advance+save+spread+norm", "gather"])
    #expect(fused.fused == 4)
    #expect(plain.groups == ["advance", "save", "spread", "norm", "gather"])
    #expect(fused.qold == plain.qold)  // direct data: exact
    if backend == .sequential {
      // Every element sees its updates in the same order: bit for bit.
      #expect(fused.q == plain.q && fused.acc == plain.acc && fused.g == plain.g)
    } else {
      // Threads add INC contributions in another order.
      for (a, b) in zip(fused.acc + fused.q + [fused.g], plain.acc + plain.q + [plain.g]) {
        #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-12 * max(1, abs(b))), "seed \(seed): \(a) vs \(b)")
      }
    }
  }

  @Test("loops over different sets, without shared data, or after an indirect or Global dependence do not fuse")
  func illegalOrUseless() throws {
    try OP2.withConfiguration(configuration()) {
      let s = Set(size: 40, name: "s"), t = Set(size: 40, name: "t")
      let a = try Dat<Double>(s ** 1, values: (0..<40).map(Double.init), name: "a")
      let b = Dat<Double>(s ** 1, name: "b"), c = Dat<Double>(t ** 1, name: "c")
      let unrelated = Dat<Double>(s ** 1, name: "u")
      let reversed = try Map(from: s, to: s, arity: 1, values: (0..<40).reversed().map(Int32.init), name: "reversed")
      let toT = try Map(from: s, to: t, arity: 1, values: (0..<40).map(Int32.init), name: "toT")
      let g = Global<Double>(value: 0, name: "g")
      let sum = Kernel(code: "void sum(const double *a, double *g) { *g += *a; }", name: "sum")
      let useG = Kernel(code: "void use_g(const double *g, double *b) { *b = *g; }", name: "use_g")

      try parLoop(copy, over: s, a(.read), b(.write))
      try parLoop(scale, over: t, c(.rw))                       // another set
      try parLoop(scale, over: s, unrelated(.rw))               // shares nothing
      try parLoop(copy, over: s, b(.read, reversed[0]), a(.write))  // reads b through a map: b[39-i] is not ready
      #expect(a.data == (0..<40).reversed().map(Double.init))
      try parLoop(sum, over: s, a(.read), g(.inc))
      try parLoop(useG, over: s, g(.read), a(.write))           // reads the Global being reduced
      try parLoop(copy, over: s, a(.read), c(.write, toT[0]))   // writes through a map, then
      try parLoop(scale, over: s, a(.rw))                       // shares a directly: fuses
      #expect(a.data == Array(repeating: 2 * 780, count: 40))
      #expect(c.data == Array(repeating: 780, count: 40))
      #expect(groups() == ["copy", "scale", "sum", "use_g+copy+scale"])
      #expect(OP2.timingReport().rows.first { $0.name == "scale" }?.count == 2)
    }
    try OP2.withConfiguration(configuration()) {
      let s = Set(size: 40, name: "s")
      let a = Dat<Double>(s ** 1, name: "a"), b = Dat<Double>(s ** 1, name: "b")
      try parLoop(scale, over: s, a(.rw))
      try parLoop(scale, over: s, b(.rw))     // shares nothing with the loop before
      try parLoop(scale, over: s, b(.rw))     // shares b
      OP2.flush()
      #expect(groups() == ["scale", "scale×2"])
    }
  }

  @Test("fusion off, or eager execution, runs loops one by one")
  func switchedOff() throws {
    for lazy in [true, false] {
      var c = configuration(fusion: lazy ? false : true)
      c.lazy = lazy
      try OP2.withConfiguration(c) {
        let s = Set(size: 10, name: "s")
        let a = try Dat<Double>(s ** 1, values: Array(repeating: 1, count: 10), name: "a")
        let b = Dat<Double>(s ** 1, name: "b")
        try parLoop(copy, over: s, a(.read), b(.write))
        try parLoop(scale, over: s, b(.rw))
        #expect(b.data == Array(repeating: 2, count: 10))
        #expect(groups() == ["copy", "scale"])
        #expect(OP2.statistics.loopsFused == 0)
      }
    }
  }

  @Test("setting a Global that queued loops use is queued behind them", arguments: Backend.available)
  func deferredGlobalStore(backend: Backend) throws {
    try OP2.withConfiguration(configuration(backend)) {
      let s = Set(size: 100, name: "s")
      let a = try Dat<Double>(s ** 1, values: Array(repeating: 1, count: 100), name: "a")
      let seen = Dat<Double>(s ** 1, name: "seen")
      let g = Global<Double>(value: 3, name: "g")
      let sum = Kernel(code: "void sum(const double *a, double *g) { *g += *a; }", name: "sum")
      let useG = Kernel(code: "void use_g(const double *g, double *b) { *b = *g; }", name: "use_g")
      try parLoop(useG, over: s, g(.read), seen(.write))   // sees 3
      g.value = [10]                                       // queued: the loop above still reads g
      try parLoop(sum, over: s, a(.read), g(.inc))         // 10 + 100
      g.value = [0]                                        // queued behind the reduction
      try parLoop(sum, over: s, a(.read), g(.inc))         // 0 + 100
      #expect(OP2.statistics.loopsExecuted == 0)
      #expect(OP2.pendingLoopCount == 5)
      #expect(g.value == [100])
      #expect(seen.data == Array(repeating: 3, count: 100))
      g.value = [7]                                        // nothing queued uses g: stored at once
      #expect(OP2.pendingLoopCount == 0)
      #expect(g.value == [7])
    }
  }

  @Test("a program that never reads a result keeps a bounded queue")
  func boundedQueue() throws {
    try OP2.withConfiguration(configuration()) {
      let s = Set(size: 1, name: "s")
      let a = Dat<Double>(s ** 1, name: "a")
      for _ in 0..<(Runtime.queueLimit + 10) { try parLoop(scale, over: s, a(.rw)) }
      #expect(OP2.pendingLoopCount == 10)
      #expect(OP2.statistics.loopsExecuted == Runtime.queueLimit)
      #expect(groups() == ["scale×\(Runtime.queueLimit)", "scale×10"])
    }
  }
}
