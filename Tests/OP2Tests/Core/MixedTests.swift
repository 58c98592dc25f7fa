import Testing
@testable import OP2

/// Mixed sets, data sets, maps and Dats: a MixedDat argument passes one kernel argument per
/// component, in order (PyOP2's semantics), on every backend, lazily, with typed errors.
@Suite("Mixed spaces")
struct MixedTests {
  @Test("a direct MixedDat argument passes one pointer per component, in order", arguments: Backend.available)
  func direct(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 4, name: "s")
      let space = try MixedSet([s, s], name: "ss")
      let x = try Dat<Double>(s ** 1, values: [1, 2, 3, 4], name: "x")
      let m = MixedDat<Double>(try space ** [2, 1], name: "m")
      #expect(m.count == 2 && m[0].name == "m[0]" && m.dataSet.dims == [2, 1])
      let k = Kernel(code: "void k(const double *x, double *a, double *b) { a[0] = x[0]; a[1] = 10 * x[0]; b[0] = -x[0]; }", name: "k")
      try parLoop(k, over: s, x(.read), m(.write))
      #expect(m[0].data == [1, 10, 2, 20, 3, 30, 4, 40])
      #expect(m.data[1] == [-1, -2, -3, -4])
    }
  }

  @Test("INC through a MixedMap: hand-computed sums on two cells", arguments: Backend.available)
  func handIncrement(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      // cells 0, 1; component 0 on 3 nodes (arity 2), component 1 on 2 edges (arity 1).
      let cells = Set(size: 2, name: "cells"), nodes = Set(size: 3, name: "nodes"), edges = Set(size: 2, name: "edges")
      let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      let c2e = try Map(from: cells, to: edges, arity: 1, values: [1, 1], name: "c2e")
      let mm = try MixedMap([c2n, c2e], name: "c2m")
      let w = try Dat<Double>(cells ** 1, values: [3, 5], name: "w")
      let r = MixedDat<Double>(try MixedDataSet([nodes ** 1, edges ** 2]), name: "r")
      let k = Kernel(code: """
        void k(const double *w, double *n[2], double *e[1]) {
          n[0][0] += w[0]; n[1][0] += 2 * w[0];
          e[0][0] += w[0]; e[0][1] += 1;
        }
        """, name: "k")
      try parLoop(k, over: cells, w(.read), r(.inc, mm))
      #expect(r[0].data == [3, 6 + 5, 10])
      #expect(r[1].data == [0, 0, 8, 2])
      // A slot of every component map: T * per component.
      let s = Kernel(code: "void s(double *n, double *e) { n[0] += 100; e[1] += 1; }", name: "s")
      try parLoop(s, over: cells, r(.inc, mm[0]))
      #expect(r[0].data == [103, 111, 10])
      #expect(r[1].data == [0, 0, 8, 4])
    }
  }

  @Test("mixed INC and READ through random MixedMaps match a Swift loop", arguments: Backend.available, [UInt64(3), 17, 40])
  func randomMixedMaps(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed &* 7919)
    let nCells = [40, 700, 2500][Int(seed % 3)]
    let sizes = [Int.random(in: 1...60, using: &rng), Int.random(in: 1...60, using: &rng)]
    let arities = [Int.random(in: 1...4, using: &rng), Int.random(in: 1...3, using: &rng)]
    let dims = [2, 1]
    let values = (0..<2).map { c in (0..<(nCells * arities[c])).map { _ in Int32.random(in: 0..<Int32(sizes[c]), using: &rng) } }
    let w = (0..<nCells).map { _ in Double(Int.random(in: -100...100, using: &rng)) }
    let start = (0..<2).map { c in (0..<(sizes[c] * dims[c])).map { _ in Double(Int.random(in: -9...9, using: &rng)) } }
    // Reference: each cell adds w + (sum of component 1 values it reads, from the start values) to
    // every component 0 entry it reaches, and w to every component 1 entry.
    var acc0 = [Double](repeating: 0, count: sizes[0] * 2), acc1 = [Double](repeating: 0, count: sizes[1])
    for e in 0..<nCells {
      var read = 0.0
      for j in 0..<arities[1] { read += start[1][Int(values[1][e * arities[1] + j])] }
      for j in 0..<arities[0] {
        let n = Int(values[0][e * arities[0] + j])
        acc0[2 * n] += w[e] + read
        acc0[2 * n + 1] += 1
      }
      for j in 0..<arities[1] { acc1[Int(values[1][e * arities[1] + j])] += w[e] }
    }
    try OP2.withConfiguration(.testing(backend)) {
      let cells = Set(size: nCells, name: "cells")
      let sets = [Set(size: sizes[0], name: "a"), Set(size: sizes[1], name: "b")]
      let maps = try (0..<2).map { c in try Map(from: cells, to: sets[c], arity: arities[c], values: values[c], name: "m\(c)") }
      let mm = try MixedMap(maps, name: "mm")
      let shape = try MixedSet(sets) ** dims
      let acc = MixedDat<Double>(shape, name: "acc")
      let input = try MixedDat<Double>(shape, values: start, name: "in")
      let wd = try Dat<Double>(cells ** 1, values: w, name: "w")
      let k = Kernel(code: """
        void k(const double *w, double **a0, double **a1, const double **i0, const double **i1) {
          double read = 0;
          for (int j = 0; j < \(arities[1]); j++) read += i1[j][0];
          for (int j = 0; j < \(arities[0]); j++) { a0[j][0] += w[0] + read; a0[j][1] += 1; }
          for (int j = 0; j < \(arities[1]); j++) a1[j][0] += w[0];
        }
        """, name: "k")
      try parLoop(k, over: cells, wd(.read), acc(.inc, mm), input(.read, mm))
      #expect(acc[0].data == acc0, "seed \(seed)")
      #expect(acc[1].data == acc1, "seed \(seed)")
      #expect(input.data == start)
    }
  }

  @Test("mixed loops queue lazily, fuse, and run before a component is read")
  func laziness() throws {
    var configuration = OP2.Configuration.testing(.sequential)
    configuration.lazy = true
    try OP2.withConfiguration(configuration) {
      let s = Set(size: 5, name: "s")
      let m = MixedDat<Double>(try MixedSet([s, s]) ** 1, name: "m")
      let one = Kernel(code: "void one(double *a, double *b) { a[0] = 1; b[0] = 2; }", name: "one")
      let add = Kernel(code: "void add(double *a, double *b) { a[0] += b[0]; }", name: "add")
      try parLoop(one, over: s, m(.write))
      try parLoop(add, over: s, m(.rw))
      #expect(OP2.pendingLoopCount == 2)
      #expect(m[1].data == [2, 2, 2, 2, 2])
      #expect(m[0].data == [3, 3, 3, 3, 3])
      #expect(OP2.pendingLoopCount == 0)
      #expect(OP2.statistics.loopsFused == 2, "two direct mixed loops over s run as one group")
    }
  }

  @Test("misuse is a typed error that queues and changes nothing")
  func errors() throws {
    var configuration = OP2.Configuration.testing(.sequential)
    configuration.lazy = true
    try OP2.withConfiguration(configuration) {
      let cells = Set(size: 2, name: "cells"), nodes = Set(size: 3, name: "nodes"), other = Set(size: 2, name: "other")
      let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      let o2n = try Map(from: other, to: nodes, arity: 1, values: [0, 1], name: "o2n")
      let m = try MixedDat<Double>(try MixedSet([nodes, nodes]) ** 1, values: [[1, 2, 3], [4, 5, 6]], name: "m")
      let one = try MixedMap([c2n], name: "one")
      let k2 = Kernel(code: "void k2(double **a, double **b) { a[0][0] += 1; b[0][0] += 1; }", name: "k2")
      let k1 = Kernel(code: "void k1(double **a) { a[0][0] += 1; }", name: "k1")
      func expectError(_ expected: OP2Error, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try body() }
      }
      let pending = OP2.pendingLoopCount
      expectError(.mixedArgumentMismatch(.init(loop: "k2", position: 1, argument: "m via one"),
                                         reason: "MixedDat m has 2 components but MixedMap one has 1 maps")) {
        try parLoop(k2, over: cells, m(.inc, one))
      }
      expectError(.mixedArgumentMismatch(.init(loop: "k2", position: 1, argument: "m via c2n"),
                                         reason: "MixedDat m needs a MixedMap with one map per component, not the single Map c2n; pass a MixedMap, or a component (m[i]) with the Map")) {
        try parLoop(k2, over: cells, m(.inc, c2n))
      }
      let both = try MixedMap([c2n, c2n], name: "both")
      expectError(.mixedArgumentCountMismatch(loop: "k1", kernelParameters: 1, arguments: 1, expandedArguments: 2)) {
        try parLoop(k1, over: cells, m(.inc, both))
      }
      expectError(.invalidMixed(object: "MixedMap \"bad\"", reason: "component maps start from different sets: c2n from cells, o2n from other")) {
        _ = try MixedMap([c2n, o2n], name: "bad")
      }
      expectError(.invalidMixed(object: "MixedSet \"none\"", reason: "no component sets were given")) { _ = try MixedSet([], name: "none") }
      expectError(.invalidMixed(object: "MixedDataSet on (nodes, nodes)", reason: "3 dims were given for 2 component sets")) {
        _ = try MixedSet([nodes, nodes]) ** [1, 2, 3]
      }
      expectError(.invalidMixed(object: "MixedDat \"v\" on (nodes**1, nodes**1)", reason: "1 value arrays were given for 2 components")) {
        _ = try MixedDat<Double>(try MixedSet([nodes, nodes]) ** 1, values: [[1, 2, 3]], name: "v")
      }
      // A component through a map from another iteration set: the component's own error.
      let mo = try MixedMap([o2n, o2n], name: "mo")
      expectError(.mapFromSetMismatch(.init(loop: "k2", position: 1, argument: "m[0] via o2n"), map: "o2n", mapFrom: "other", iterationSet: "cells")) {
        try parLoop(k2, over: cells, m(.inc, mo))
      }
      #expect(OP2.pendingLoopCount == pending, "nothing was queued")
      #expect(m.data == [[1, 2, 3], [4, 5, 6]], "nothing changed")
    }
  }

  @Test("a MixedDat over a Subset passes its components too", arguments: Backend.available)
  func subset(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 6, name: "s")
      let m = MixedDat<Double>(try MixedSet([s, s]) ** 1, name: "m")
      let sub = try Subset(of: s, indices: [1, 4], name: "sub")
      let k = Kernel(code: "void k(double *a, double *b) { a[0] = 1; b[0] = 2; }", name: "k")
      try parLoop(k, over: sub, m(.write))
      #expect(m[0].data == [0, 1, 0, 0, 1, 0])
      #expect(m[1].data == [0, 2, 0, 0, 2, 0])
    }
  }
}
