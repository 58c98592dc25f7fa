import Numerics
import Testing
@testable import OP2

/// Random meshes run on every backend and compared with a pure Swift reference: READ/WRITE
/// exactly, INC sums and reductions to 1e-12 relative, naming the worst element and the seed.
@Suite("Backends agree with a Swift reference on random meshes")
struct DifferentialTests {
  static let seeds: [UInt64] = [1, 2, 3, 42, 2024]

  /// The tolerance of one INC sum: 1e-12 of its magnitude (at least 1e-12).
  static func tolerance(_ value: Double) -> Double { 1e-12 * max(1, abs(value)) }

  @Test("INC through random maps with repeated entries matches the reference",
        arguments: Backend.available, seeds)
  func randomInc(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let nFrom = [0, 1, 17, 1000, 4099][Int(seed % 5)]
    let nTo = Int.random(in: 1...300, using: &rng)
    let arity = Int.random(in: 1...4, using: &rng)
    let dim = Int.random(in: 1...3, using: &rng)
    let values = (0..<(nFrom * arity)).map { _ in Int32.random(in: 0..<Int32(nTo), using: &rng) }
    let weights = (0..<(nFrom * dim)).map { _ in Double.random(in: -1...1, using: &rng) }
    let start = (0..<(nTo * dim)).map { _ in Double.random(in: -1...1, using: &rng) }

    // Reference: acc[target] += w * (slot + 1); count[target] += 1 for slot 0 only.
    var expected = start
    var expectedCount = [Int32](repeating: 0, count: nTo)
    for e in 0..<nFrom {
      for k in 0..<arity {
        let t = Int(values[e * arity + k])
        for d in 0..<dim { expected[t * dim + d] += weights[e * dim + d] * Double(k + 1) }
      }
      expectedCount[Int(values[e * arity])] += 1
    }

    try OP2.withConfiguration(.testing(backend)) {
      let from = Set(size: nFrom, name: "from")
      let to = Set(size: nTo, name: "to")
      let map = try Map(from: from, to: to, arity: arity, values: values, name: "m")
      let w = try Dat<Double>(from ** dim, values: weights, name: "w")
      let acc = try Dat<Double>(to ** dim, values: start, name: "acc")
      let count = Dat<Int32>(to ** 1, name: "count")
      let k = Kernel(code: """
        void scatter(const double *w, double **acc, int *count) {
          for (int k = 0; k < \(arity); k++)
            for (int d = 0; d < \(dim); d++) acc[k][d] += w[d] * (k + 1);
          count[0] += 1;
        }
        """, name: "scatter")
      try parLoop(k, over: from, w(.read), acc(.inc, map), count(.inc, map[0]))
      #expect(count.data == expectedCount, "seed \(seed)")
      // Every element within its own tolerance; the message names the worst one relative to it.
      let got = acc.data
      #expect(got.count == expected.count)
      let failures = zip(got, expected).enumerated().filter { !$0.element.0.isApproximatelyEqual(to: $0.element.1, absoluteTolerance: Self.tolerance($0.element.1)) }
      let worst = failures.max { abs($0.element.0 - $0.element.1) / Self.tolerance($0.element.1) < abs($1.element.0 - $1.element.1) / Self.tolerance($1.element.1) }
      #expect(failures.isEmpty, "seed \(seed): \(failures.count) elements off; worst \(worst.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
    }
  }

  @Test("direct READ/WRITE/RW, indirect READ and Global reductions match exactly",
        arguments: Backend.available, seeds)
  func randomDirectAndReductions(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed &* 7919)
    let n = [1, 2, 63, 5000, 77_777][Int(seed % 5)]
    let nNodes = Int.random(in: 1...500, using: &rng)
    let values = (0..<(n * 2)).map { _ in Int32.random(in: 0..<Int32(nNodes), using: &rng) }
    let x = (0..<nNodes).map { _ in Double(Int.random(in: -1000...1000, using: &rng)) }
    let a = (0..<n).map { _ in Int64.random(in: -1_000_000...1_000_000, using: &rng) }

    var expectedOut = [Double](repeating: 0, count: n)
    var expectedA = a
    var sum: Int64 = 0, lo = Double.infinity, hi = -Double.infinity
    for e in 0..<n {
      let d = x[Int(values[2 * e + 1])] - x[Int(values[2 * e])]
      expectedOut[e] = d
      expectedA[e] = a[e] * 2 + 1
      sum += a[e]
      lo = min(lo, d)
      hi = max(hi, d)
    }
    try OP2.withConfiguration(.testing(backend)) {
      let edges = Set(size: n, name: "edges")
      let nodes = Set(size: nNodes, name: "nodes")
      let e2n = try Map(from: edges, to: nodes, arity: 2, values: values, name: "e2n")
      let xd = try Dat<Double>(nodes ** 1, values: x, name: "x")
      let out = try Dat<Double>(edges ** 1, values: Array(repeating: 99, count: n), name: "out")
      let ad = try Dat<Int64>(edges ** 1, values: a, name: "a")
      let gsum = Global<Int64>(value: 0, name: "sum")
      let glo = Global<Double>(value: .infinity, name: "lo")
      let ghi = Global<Double>(value: -.infinity, name: "hi")
      let k = Kernel(code: """
        void mix(double **x, double *out, long *a, long *sum, double *lo, double *hi) {
          double d = x[1][0] - x[0][0];
          *out = d;
          *sum += *a;
          *a = *a * 2 + 1;
          if (d < *lo) *lo = d;
          if (d > *hi) *hi = d;
        }
        """, name: "mix")
      try parLoop(k, over: edges, xd(.read, e2n), out(.write), ad(.rw), gsum(.inc), glo(.min), ghi(.max))
      #expect(out.data == expectedOut, "seed \(seed)")
      #expect(ad.data == expectedA, "seed \(seed)")
      #expect(gsum.value == [sum], "seed \(seed)")
      #expect(glo.value == [lo], "seed \(seed)")
      #expect(ghi.value == [hi], "seed \(seed)")
    }
  }

  @Test("threaded reductions are deterministic for a fixed thread count")
  func deterministicReductions() throws {
    var rng = SeededGenerator(seed: 99)
    let n = 100_003
    let values = (0..<n).map { _ in Double.random(in: 0...1, using: &rng) }
    var results: [Double] = []
    for _ in 0..<3 {
      try OP2.withConfiguration(.testing(.threaded(threads: 2))) {
        let s = Set(size: n, name: "s")
        let d = try Dat<Double>(s ** 1, values: values, name: "d")
        let g = Global<Double>(value: 0, name: "g")
        let k = Kernel(code: "void add(const double *x, double *g) { *g += *x * 1.1; }", name: "add")
        try parLoop(k, over: s, d(.read), g(.inc))
        results.append(g.value[0])
      }
    }
    #expect(results[0] == results[1] && results[1] == results[2])
    let reference = values.reduce(0) { $0 + $1 * 1.1 }
    #expect(results[0].isApproximatelyEqual(to: reference, relativeTolerance: 1e-12))
  }

  @Test("every plan built while running random loops passes its invariant check")
  func plansAreValid() throws {
    try OP2.withConfiguration(.testing(.threaded(threads: 2))) {
      var rng = SeededGenerator(seed: 5)
      let to = Set(size: 50, name: "to")
      for size in [1, 16, 17, 500, 3001] {
        let from = Set(size: size, name: "from")
        let map = try Map(from: from, to: to, arity: 3, values: (0..<(size * 3)).map { _ in Int32.random(in: 0..<50, using: &rng) }, name: "m")
        let conflicts = ThreadedExecutor.conflicts(of: [try ParLoop(
          kernel: Kernel(code: "void k(double **a) { }", name: "k"), set: from, args: [Dat<Double>(to ** 1)(.inc, map)])])
        let plan = Plan(setSize: size, blockSize: 16, conflicts: conflicts)
        #expect(plan.checkInvariants().isEmpty, "size \(size): \(plan.checkInvariants())")
      }
    }
  }
}
