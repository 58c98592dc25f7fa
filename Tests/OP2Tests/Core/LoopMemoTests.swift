import Foundation
import Testing
@testable import OP2

/// The fast paths of repeated loops: `parLoop`'s memo of validated calls, a repeated loop's
/// shared launch and fusion check, and the sequential backend's stack argument vector. Each
/// cache must give what a fresh loop gives, after any change to the objects it names.
@Suite("Repeated loops: memo of validated calls")
struct LoopMemoTests {
  @Test("an invalid call throws every time, and a valid call after it runs", arguments: [false, true])
  func invalidCallsThrowEveryTime(lazy: Bool) throws {
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let s = Set(size: 3, name: "s"), t = Set(size: 4, name: "t")
      let onS = Dat<Double>(s ** 1, name: "onS"), onT = Dat<Double>(t ** 1, name: "onT")
      let k = Kernel(code: "void add_one(double *x) { *x += 1; }", name: "add_one")
      for _ in 0..<3 {
        #expect(throws: OP2Error.self) { try parLoop(k, over: s, onT(.rw)) }
        try parLoop(k, over: s, onS(.rw))
        #expect(throws: OP2Error.self) { try parLoop(k, over: s, onS(.read), onS(.rw)) }
      }
      // Another access mode is validated on its own: a Global argument cannot be written.
      let g = Global<Double>(value: 0, name: "g")
      try parLoop(k, over: s, g(.inc))
      #expect(throws: OP2Error.self) { try parLoop(k, over: s, g(.write)) }
      #expect(throws: OP2Error.self) { try parLoop(k, over: s, g(.write)) }
      #expect(onS.data == [3, 3, 3])
      #expect(g.value == [3])
    }
  }

  @Test("parLoop's memo keeps no Dat, Map or Set alive", arguments: [false, true])
  func memoKeepsNothingAlive(lazy: Bool) throws {
    let k = Kernel(code: "void spread_two(double *to[2]) { *to[0] += 1; *to[1] += 1; }", name: "spread_two")
    weak var droppedDat: Dat<Double>?
    weak var droppedMap: Map?
    weak var droppedSet: Set?
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let nodes = Set(size: 5, name: "nodes"), edges = Set(size: 4, name: "edges")
      let map = try Map(from: edges, to: nodes, arity: 2, values: (0..<4).flatMap { [$0, $0 + 1] }, name: "e2n")
      let counts = Dat<Double>(nodes ** 1, name: "counts")
      for _ in 0..<3 { try parLoop(k, over: edges, counts(.inc, map)) }
      #expect(counts.data == [3, 6, 6, 6, 3])
      droppedDat = counts
      droppedMap = map
      droppedSet = edges
    }
    #expect(droppedDat == nil)
    #expect(droppedMap == nil)
    #expect(droppedSet == nil)
    // The kernel (and its memo) is still alive, and still validates new objects.
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let nodes = Set(size: 3, name: "nodes"), edges = Set(size: 2, name: "edges")
      let map = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "e2n")
      let counts = Dat<Double>(nodes ** 1, name: "counts")
      try parLoop(k, over: edges, counts(.inc, map))
      #expect(counts.data == [1, 2, 1])
    }
  }

  /// A Dat released and a new one made in its place (often at the same address) on another set:
  /// the plan validated for the first must not accept the second.
  @Test("a new object in the place of a released one is validated again")
  func replacedObjectsAreValidated() throws {
    let k = Kernel(code: "void set_two(double *x) { *x = 2; }", name: "set_two")
    try OP2.withConfiguration(.testing(lazy: false)) {
      let s = Set(size: 2, name: "s"), t = Set(size: 3, name: "t")
      for _ in 0..<50 {
        do {
          let d = Dat<Double>(s ** 1, name: "d")
          try parLoop(k, over: s, d(.write))
          #expect(d.data == [2, 2])
        }
        let other = Dat<Double>(t ** 1, name: "other")
        #expect(throws: OP2Error.self) { try parLoop(k, over: s, other(.write)) }
        #expect(other.data == [0, 0, 0])
      }
    }
  }

  @Test("a Const released and declared again, or a folded Const changed, is used with its new value", arguments: [false, true])
  func constChangesReachRepeats(lazy: Bool) throws {
    // Const names are process-wide: each test case (they run in parallel) has its own.
    let suffix = lazy ? "lazy" : "eager"
    let k = Kernel(code: "void scale_by_\(suffix)(double *x) { *x = memo_scale_\(suffix) * 10 + memo_folded_\(suffix); }",
                   name: "scale_by_\(suffix)")
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let s = Set(size: 2, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let folded = try Const<Double>(name: "memo_folded_\(suffix)", value: 1, foldedAtCompileTime: true)
      do {
        let scale = try Const<Double>(name: "memo_scale_\(suffix)", value: 2)
        try parLoop(k, over: s, d(.write))
        #expect(d.data == [21, 21])
        scale.value = [3]
        try parLoop(k, over: s, d(.write))
        #expect(d.data == [31, 31])
        folded.value = [5]
        try parLoop(k, over: s, d(.write))
        #expect(d.data == [35, 35])
        OP2.flush()
      }
      let again = try Const<Double>(name: "memo_scale_\(suffix)", value: 7)
      try parLoop(k, over: s, d(.write))
      #expect(d.data == [75, 75])
      withExtendedLifetime(again) {}
    }
  }

  @Test("a loop repeated after a Map's values or a Dat's storage are replaced uses the new ones", arguments: [false, true])
  func replacedStorageReachesRepeats(lazy: Bool) throws {
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let nodes = Set(size: 3, name: "nodes"), edges = Set(size: 2, name: "edges")
      let map = try Map(from: edges, to: nodes, arity: 1, values: [0, 1], name: "e2n")
      let counts = Dat<Double>(nodes ** 1, name: "counts")
      let k = Kernel(code: "void bump_one(double *x) { *x += 1; }", name: "bump_one")
      let step = try ParLoop(k, over: edges, counts(.inc, map[0]))
      try parLoop(k, over: edges, counts(.inc, map[0]))
      try step()
      #expect(counts.data == [2, 2, 0])
      OP2.flush()
      map.replaceValues([2, 2])
      try parLoop(k, over: edges, counts(.inc, map[0]))
      try step()
      #expect(counts.data == [2, 2, 4])
      // New storage for the Dat (as partitioning installs): both paths write into it.
      OP2.flush()
      let fresh = _UnsafeDatBuffer(byteCount: 3 * MemoryLayout<Double>.stride)
      fresh.store([Double](repeating: 10, count: 3))
      counts.replaceStorage(fresh)
      try parLoop(k, over: edges, counts(.inc, map[0]))
      try step()
      #expect(counts.data == [10, 10, 14])
    }
  }

  @Test("a Set's new layout makes its loops validate again")
  func layoutChangeAdvancesEpoch() throws {
    let s = Set(size: 4, name: "s")
    let before = LoopPlanEpoch.current
    s.install(layout: s.layout, distribution: s.distribution)
    #expect(LoopPlanEpoch.current > before)
  }

  @Test("repeats of one loop fuse when the loop may fuse with itself, and give eager results", arguments: Backend.available)
  func repeatsFuseLikeDistinctLoops(backend: Backend) throws {
    func run(lazy: Bool) throws -> (direct: [Double], indirect: [Double], sum: Double, fused: Int) {
      var result: ([Double], [Double], Double, Int) = ([], [], 0, 0)
      try OP2.withConfiguration(.testing(backend, lazy: lazy)) {
        let nodes = Set(size: 40, name: "nodes"), edges = Set(size: 39, name: "edges")
        let map = try Map(from: edges, to: nodes, arity: 2, values: (0..<39).flatMap { [$0, $0 + 1] }, name: "e2n")
        let w = try Dat<Double>(edges ** 1, values: (0..<39).map(Double.init), name: "w")
        let acc = Dat<Double>(nodes ** 1, name: "acc")
        let total = Global<Double>(value: 0, name: "total")
        let double = Kernel(code: "void twice_plus(double *w) { *w = 2 * *w + 1; }", name: "twice_plus")
        let scatter = Kernel(code: "void scatter_w(const double *w, double *a[2], double *t) { *a[0] += *w; *a[1] += *w; *t += *w; }",
                             name: "scatter_w")
        let step = try ParLoop(double, over: edges, w(.rw))
        for _ in 0..<5 { try step() }
        for _ in 0..<5 { try parLoop(double, over: edges, w(.rw)) }
        OP2.flush()
        for _ in 0..<3 { try parLoop(scatter, over: edges, w(.read), acc(.inc, map), total(.inc)) }
        result = (w.data, acc.data, total.value[0], OP2.statistics.loopsFused)
      }
      return result
    }
    let eager = try run(lazy: false), lazy = try run(lazy: true)
    #expect(lazy.direct == eager.direct)
    #expect(lazy.indirect == eager.indirect)
    #expect(lazy.sum == eager.sum)
    #expect(eager.fused == 0)
    // The ten direct repeats run as one group; the scatters (INC through a map) never fuse.
    #expect(lazy.fused == 10)
    var expected = (0..<39).map(Double.init)
    for _ in 0..<10 { expected = expected.map { 2 * $0 + 1 } }
    #expect(eager.direct == expected)
  }

  @Test("a fused run of one loop estimates the traffic of the loops added one by one")
  func repeatedTrafficMatchesFullEstimate() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let s = Set(size: 10, name: "s")
      let a = Dat<Double>(s ** 2, name: "a"), b = Dat<Float>(s ** 1, name: "b")
      // `a` read and then written by one loop: a repeat adds the write-back again.
      let k = Kernel(code: "void mix(const double *r, double *w, float *f) { w[0] = r[1]; *f += 1; }", name: "mix")
      let loop = try ParLoop(k, over: s, a(.read), a(.write), b(.rw))
      let wrapper = try Runtime.current.wrapper(for: loop)
      var group = LoopGroup(loop, wrapper: wrapper, blockSize: 16)
      var estimate = TrafficEstimate()
      estimate.add(loop.args, set: s)
      for n in 2...6 {
        let fused = group.append(loop, wrapper: wrapper, blockSize: 16)
        #expect(fused)
        estimate.add(loop.args, set: s)
        #expect(group.bytesMoved == estimate.total, "after \(n) loops")
        #expect(group.loops.count == n)
      }
    }
  }

  /// The memo leaves out mixed arguments (expanded into components before validation) and loops
  /// over extruded sets (their column data is made per loop): repeats of both still run correctly.
  @Test("repeats with a MixedDat argument and over an ExtrudedSet give each call's result", arguments: [false, true])
  func mixedAndExtrudedRepeats(lazy: Bool) throws {
    try OP2.withConfiguration(.testing(lazy: lazy)) {
      let s = Set(size: 3, name: "s")
      let m = MixedDat<Double>(try MixedSet([s, s]) ** 1, name: "m")
      let one = Kernel(code: "void one(double *a, double *b) { a[0] = 1; b[0] = 2; }", name: "one")
      let add = Kernel(code: "void add(double *a, double *b) { a[0] += b[0]; }", name: "add")
      try parLoop(one, over: s, m(.write))
      for _ in 0..<3 { try parLoop(add, over: s, m(.rw)) }
      #expect(m[0].data == [7, 7, 7])
      #expect(m[1].data == [2, 2, 2])

      // 2 columns of 4 entity layers: 3 cells each; a cell Dat leaves each column's top slot unused.
      let cells = try ExtrudedSet(Set(size: 2, name: "base"), layers: 4, name: "cells")
      let count = Dat<Double>(cells ** 1, name: "count")
      let self2self = try Map(from: cells, to: cells, arity: 1, values: [0, 4], offset: [1], name: "cell")
      let bump = Kernel(code: "void bump(double *c) { c[0] += 1; }", name: "bump")
      for _ in 0..<3 { try parLoop(bump, over: cells, count(.rw)) }
      for _ in 0..<2 { try parLoop(bump, over: cells, count(.inc, self2self[0])) }
      #expect(count.data == [5, 5, 5, 0, 5, 5, 5, 0])
    }
  }
}
