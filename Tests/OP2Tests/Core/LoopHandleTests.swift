import Foundation
import Testing
@testable import OP2

/// Reusable loop handles and in-place access to Dat values.
@Suite("Loop handles and in-place values")
struct LoopHandleTests {
  @Test("a ParLoop handle runs like parLoop each time it is called", arguments: Backend.available)
  func handleRepeats(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: 50, name: "nodes"), edges = Set(size: 49, name: "edges")
      let edge2node = try Map(from: edges, to: nodes, arity: 2, values: (0..<49).flatMap { [$0, $0 + 1] }, name: "edge2node")
      let weight = try Dat<Double>(edges ** 1, values: (0..<49).map(Double.init), name: "weight")
      let total = Dat<Double>(nodes ** 1, name: "total")
      let sum = Global<Double>(value: 0, name: "sum")
      let k = Kernel(code: """
        void scatter_weight(const double *w, double *a, double *b, double *s) { *a += *w; *b += *w; *s += *w; }
        """, name: "scatter_weight")
      let step = try ParLoop(k, over: edges, weight(.read), total(.inc, edge2node[0]), total(.inc, edge2node[1]), sum(.inc))
      for _ in 0..<3 { try step() }
      // Node i receives edge i-1 and edge i, three times.
      var expected = [Double](repeating: 0, count: 50)
      for e in 0..<49 {
        expected[e] += 3 * Double(e)
        expected[e + 1] += 3 * Double(e)
      }
      #expect(total.data == expected)
      #expect(sum.value == [3 * 1176])
      // New values are picked up by the next call.
      try weight.setData(Array(repeating: 1, count: 49))
      try step()
      #expect(total.data[10] == expected[10] + 2)
      #expect(OP2.statistics.loopsExecuted == 4)
    }
  }

  @Test("a handle compiles once per configuration and follows the configuration in effect")
  func handleAcrossConfigurations() throws {
    let s = Set(size: 4, name: "s")
    let d = Dat<Double>(s ** 1, name: "d")
    let k = Kernel(code: "void add_two(double *x) { *x += 2; }", name: "add_two")
    let step = try ParLoop(k, over: s, d(.rw))
    let cache = temporaryDirectory("handle")
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      for _ in 0..<5 { try step() }
      #expect(OP2.statistics.compilations == 1)
      #expect(OP2.statistics.memoryCacheHits == 0)
    }
    try OP2.withConfiguration(.testing(.threaded(threads: 2), lazy: false, cacheDirectory: cache)) {
      try step()
      #expect(OP2.statistics.diskCacheHits == 1)
    }
    #expect(d.data == [12, 12, 12, 12])
  }

  @Test("withValues reads in place after the queued loops that write the Dat")
  func withValuesForces() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 1000, name: "s")
      let d = Dat<Double>(s ** 2, name: "d")
      let k = Kernel(code: "void fill_two(double *x) { x[0] = 1; x[1] = 2; }", name: "fill_two")
      try parLoop(k, over: s, d(.write))
      #expect(d.withValues { $0.reduce(0, +) } == 3000)
      #expect(d.withValues { Array($0.prefix(4)) } == [1, 2, 1, 2])
      #expect(d.withValues { $0.count } == 2000)
    }
  }

  @Test("withMutableValues writes in place after the queued loops that use the Dat")
  func withMutableValuesOrders() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 3, name: "s")
      let a = try Dat<Double>(s ** 1, values: [1, 2, 3], name: "a")
      let b = Dat<Double>(s ** 1, name: "b")
      let copy = Kernel(code: "void copy_ab(const double *a, double *b) { *b = *a; }", name: "copy_ab")
      try parLoop(copy, over: s, a(.read), b(.write))   // must read a before it changes
      a.withMutableValues { v in
        for i in v.indices { v[i] *= 10 }
      }
      #expect(b.data == [1, 2, 3])
      #expect(a.data == [10, 20, 30])
    }
  }
}
