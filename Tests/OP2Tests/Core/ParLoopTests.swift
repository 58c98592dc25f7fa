import Foundation
import Numerics
import Testing
@testable import OP2

@Suite("parLoop results")
struct ParLoopTests {
  @Test("the seed's midpoint example computes triangle midpoints", arguments: Backend.available)
  func midpoint(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let vertices = Set(size: 4, name: "vertices")
      let cells = Set(size: 2, name: "cells")
      let cell2vertex = try Map(from: cells, to: vertices, arity: 3, values: [0, 1, 2, 2, 3, 0], name: "cell2vertex")
      let coordinates = try Dat<Double>(vertices ** 2, values: [0, 0, 1, 0, 1, 1, 0, 1], name: "coordinates")
      let midpoints = Dat<Double>(cells ** 2, name: "midpoints")
      let midpoint = Kernel(code: """
        void midpoint(double p[2], double *coords[2]) {
          p[0] = (coords[0][0] + coords[1][0] + coords[2][0]) / 3.0;
          p[1] = (coords[0][1] + coords[1][1] + coords[2][1]) / 3.0;
        }
        """, name: "midpoint")
      try parLoop(midpoint, over: cells, midpoints(.write), coordinates(.read, cell2vertex))
      #expect(midpoints.data == [2.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0])
    }
  }

  @Test("direct loops work for every dtype", arguments: Backend.available)
  func directDtypes(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 1001, name: "s")
      func check<T: OP2Scalar>(_: T.Type, _ make: (Int) -> T) throws {
        let a = try Dat<T>(s ** 1, values: (0..<1001).map(make), name: "a")
        let b = Dat<T>(s ** 1, name: "b")
        let k = Kernel(code: "void twice_plus_one(\(T.cType) *x, \(T.cType) *y) { y[0] = x[0] * 2 + 1; }", name: "twice_plus_one")
        try parLoop(k, over: s, a(.read), b(.write))
        #expect(b.data == (0..<1001).map { make($0) * 2 + 1 }, "\(T.self)")
      }
      try check(Double.self) { Double($0) * 0.5 }
      try check(Float.self) { Float($0) * 0.25 }
      try check(Int32.self) { Int32($0) - 500 }
      try check(Int64.self) { Int64($0) * 3_000_000_000 }
    }
  }

  @Test("WRITE does not stage in, RW reads the old value", arguments: Backend.available)
  func writeVersusRW(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 10, name: "s")
      let d = try Dat<Double>(s ** 2, values: (0..<20).map(Double.init), name: "d")
      let set7 = Kernel(code: "void set7(double *x) { x[0] = 7; x[1] = 8; }", name: "set7")
      let addOne = Kernel(code: "void add_one(double *x) { x[0] += 1; x[1] += 1; }", name: "add_one")
      try parLoop(addOne, over: s, d(.rw))
      #expect(d.data == (0..<20).map { Double($0) + 1 })
      try parLoop(set7, over: s, d(.write))
      #expect(d.data == Array((0..<10).map { _ in [7.0, 8.0] }.joined()))
    }
  }

  @Test("indirect READ gathers through a map slot and through the whole map", arguments: Backend.available)
  func indirectRead(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: 5, name: "nodes")
      let edges = Set(size: 4, name: "edges")
      let e2n = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3, 3, 4], name: "e2n")
      let x = try Dat<Double>(nodes ** 1, values: [1, 10, 100, 1000, 10000], name: "x")
      let viaSlots = Dat<Double>(edges ** 1, name: "viaSlots")
      let viaMap = Dat<Double>(edges ** 1, name: "viaMap")
      let slots = Kernel(code: "void diff_slots(double *a, double *b, double *out) { *out = *b - *a; }", name: "diff_slots")
      let whole = Kernel(code: "void diff_map(double **ab, double *out) { *out = ab[1][0] - ab[0][0]; }", name: "diff_map")
      try parLoop(slots, over: edges, x(.read, e2n[0]), x(.read, e2n[1]), viaSlots(.write))
      try parLoop(whole, over: edges, x(.read, e2n), viaMap(.write))
      #expect(viaSlots.data == [9, 90, 900, 9000])
      #expect(viaMap.data == viaSlots.data)
    }
  }

  @Test("INC through a map accumulates repeated entries", arguments: Backend.available)
  func incRepeated(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      // A star: every edge touches vertex 0; edge 3 touches vertex 2 twice.
      let vertices = Set(size: 4, name: "vertices")
      let edges = Set(size: 4, name: "edges")
      let e2v = try Map(from: edges, to: vertices, arity: 2, values: [0, 1, 0, 2, 0, 3, 2, 2], name: "e2v")
      let count = Dat<Int32>(vertices ** 1, name: "count")
      let weight = try Dat<Double>(edges ** 2, values: [1, 2, 3, 4, 5, 6, 7, 8], name: "weight")
      let acc = Dat<Double>(vertices ** 2, name: "acc")
      let k = Kernel(code: """
        void spread(int **c, double *w, double **a) {
          c[0][0] += 1; c[1][0] += 1;
          a[0][0] += w[0]; a[0][1] += w[1];
          a[1][0] += w[0]; a[1][1] += w[1];
        }
        """, name: "spread")
      try parLoop(k, over: edges, count(.inc, e2v), weight(.read), acc(.inc, e2v))
      #expect(count.data == [3, 1, 3, 1])
      let expected: [Double] = [9, 12, 1, 2, 17, 20, 5, 6]  // vertex 0: edges 0-2; vertex 2: edge 1 once, edge 3 twice
      #expect(acc.data == expected)
      // INC adds to what is there.
      try parLoop(k, over: edges, count(.inc, e2v), weight(.read), acc(.inc, e2v))
      #expect(count.data == [6, 2, 6, 2])
    }
  }

  @Test("map[i] arguments and whole-map arguments give the same sums", arguments: Backend.available)
  func slotVersusWhole(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let nodes = Set(size: 6, name: "nodes")
      let cells = Set(size: 5, name: "cells")
      let c2n = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 5, 0, 5], name: "c2n")
      let a = Dat<Double>(nodes ** 3, name: "a")
      let b = Dat<Double>(nodes ** 3, name: "b")
      let whole = Kernel(code: """
        void whole(double *v[3]) { for (int i = 0; i < 3; i++) for (int d = 0; d < 3; d++) v[i][d] += (i + 1) * 10 + d; }
        """, name: "whole")
      let slots = Kernel(code: """
        void slots(double *v0, double *v1, double *v2) {
          for (int d = 0; d < 3; d++) { v0[d] += 10 + d; v1[d] += 20 + d; v2[d] += 30 + d; }
        }
        """, name: "slots")
      try parLoop(whole, over: cells, a(.inc, c2n))
      try parLoop(slots, over: cells, b(.inc, c2n[0]), b(.inc, c2n[1]), b(.inc, c2n[2]))
      #expect(a.data == b.data)
      // Node 5 appears as slot 2 of cell 3, slots 0 and 2 of cell 4.
      #expect(Array(a.data[15..<18]) == [70.0, 73.0, 76.0])
    }
  }

  @Test("multi-dimensional Dats are row-major by element", arguments: Backend.available)
  func multiDim(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 3, name: "s")
      let d = try Dat<Float>(s ** 5, values: (0..<15).map(Float.init), name: "d")
      let sums = Dat<Float>(s ** 1, name: "sums")
      let k = Kernel(code: "void rowsum(float *v, float *s) { s[0] = 0; for (int i = 0; i < 5; i++) s[0] += v[i]; }", name: "rowsum")
      try parLoop(k, over: s, d(.read), sums(.write))
      #expect(sums.data == [10, 35, 60])
    }
  }

  @Test("Global INC, MIN and MAX reduce over 10^5 elements", arguments: Backend.available)
  func reductions(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let n = 100_000
      let s = Set(size: n, name: "s")
      let x = try Dat<Double>(s ** 1, values: (0..<n).map { Double(($0 * 7919) % n) }, name: "x")
      let sum = Global<Double>(value: 0, name: "sum")
      let lo = Global<Double>(value: 1e300, name: "lo")
      let hi = Global<Double>(value: -1e300, name: "hi")
      let count = Global<Int64>(dim: 2, value: 5, name: "count")
      let k = Kernel(code: """
        void reduce(double *x, double *s, double *lo, double *hi, long *c) {
          *s += *x; if (*x < *lo) *lo = *x; if (*x > *hi) *hi = *x; c[0] += 1; c[1] += 2;
        }
        """, name: "reduce")
      try parLoop(k, over: s, x(.read), sum(.inc), lo(.min), hi(.max), count(.inc))
      #expect(sum.value == [Double(n - 1) * Double(n) / 2])  // exact: integers below 2^53
      #expect(lo.value == [0])
      #expect(hi.value == [Double(n - 1)])
      #expect(count.value == [5 + Int64(n), 5 + 2 * Int64(n)])
    }
  }

  @Test("Const values are visible in every kernel by name", arguments: Backend.available)
  func consts(backend: Backend) throws {
    // Consts are process-wide C names; each test case uses its own.
    let tag = String(backend.description.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    try OP2.withConfiguration(.testing(backend)) {
      let scale = try Const<Double>(name: "scale_\(tag)", value: 2.5)
      let offsets = try Const<Int32>(name: "offsets_\(tag)", dim: 3, value: [1, 2, 3])
      let s = Set(size: 4, name: "s")
      let d = Dat<Double>(s ** 3, name: "d")
      let k = Kernel(code: """
        void fill(double *v) { for (int i = 0; i < 3; i++) v[i] = scale_\(tag) * offsets_\(tag)[i]; }
        """, name: "fill")
      try parLoop(k, over: s, d(.write))
      #expect(d.data == Array(repeating: [2.5, 5, 7.5], count: 4).flatMap { $0 })
      scale.value = [-1]
      try parLoop(k, over: s, d(.write))
      #expect(Array(d.data.prefix(3)) == [-1, -2, -3])
      withExtendedLifetime(offsets) {}
    }
  }

  @Test("kernels may include system headers and call what they declare (on the host backends)", arguments: Backend.hostAvailable)
  func systemHeaders(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 5, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let k = Kernel(code: """
        #include <stdio.h>
        #include <stdlib.h>
        #include <assert.h>
        #include <time.h>
        #include <complex.h>
        static int helper_twice(int x) { return 2 * x; }
        void formatted(double *v) {
          char text[32];
          int n = snprintf(text, sizeof text, "%d", helper_twice(21));
          assert(n == 2);
          double complex z = 3.0 + 4.0 * I;
          *v = atof(text) + cabs(z) + (difftime((time_t)7, (time_t)2));
        }
        """, name: "formatted")
      try parLoop(k, over: s, d(.write))
      #expect(d.data == Array(repeating: 42 + 5 + 5, count: 5))
    }
  }

  @Test("two kernels with the same name but different code are different kernels")
  func sameNameDifferentCode() throws {
    try OP2.withConfiguration(.testing()) {
      let s = Set(size: 3, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let one = Kernel(code: "void k(double *x) { *x = 1; }", name: "k")
      let two = Kernel(code: "void k(double *x) { *x = 2; }", name: "k")
      try parLoop(one, over: s, d(.write))
      #expect(d.data == [1, 1, 1])
      try parLoop(two, over: s, d(.write))
      #expect(d.data == [2, 2, 2])
    }
  }

  @Test("an empty set runs no kernel and leaves reductions alone", arguments: Backend.available)
  func emptySet(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 0, name: "empty")
      let d = Dat<Double>(s ** 1, name: "d")
      let g = Global<Double>(value: 3, name: "g")
      let k = Kernel(code: "void k(double *x, double *g) { *g += 1; *x = 1; }", name: "k")
      try parLoop(k, over: s, d(.write), g(.inc))
      #expect(g.value == [3])
    }
  }
}
