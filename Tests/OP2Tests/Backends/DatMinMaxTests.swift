import Testing
@testable import OP2

/// MIN and MAX into Dats — directly, through one map slot and through a whole map with repeated
/// entries — give what a plain Swift loop gives, on every backend (the threaded and OpenCL
/// backends colour them as they colour INC).
@Suite("MIN and MAX on Dats")
struct DatMinMaxTests {
  static let seeds: [UInt64] = [1, 2, 3, 42, 2024]

  @Test("MIN and MAX through random maps with repeated entries match a Swift loop",
        arguments: Backend.available, seeds)
  func randomMaps(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed &* 31)
    let nFrom = [0, 1, 17, 1000, 4099][Int(seed % 5)]
    let nTo = Int.random(in: 1...200, using: &rng)
    let arity = Int.random(in: 1...4, using: &rng)
    let dim = Int.random(in: 1...3, using: &rng)
    let values = (0..<(nFrom * arity)).map { _ in Int32.random(in: 0..<Int32(nTo), using: &rng) }
    let w = (0..<(nFrom * dim)).map { _ in Double(Int.random(in: -100_000...100_000, using: &rng)) / 64 }
    let loStart = (0..<(nTo * dim)).map { _ in Double(Int.random(in: -50_000...200_000, using: &rng)) / 64 }
    let hiStart = (0..<nTo).map { _ in Int32.random(in: -1000...1000, using: &rng) }
    let mxStart = (0..<(nFrom * dim)).map { _ in Double(Int.random(in: -100_000...100_000, using: &rng)) / 64 }

    // Reference: lo[t] = min over elements and slots of w * (k + 1); hi through slot 0 keeps
    // the largest rounded w[0]; mx (direct) keeps the larger of itself and -w.
    var lo = loStart, hi = hiStart, mx = mxStart
    for e in 0..<nFrom {
      for k in 0..<arity {
        let t = Int(values[e * arity + k])
        for d in 0..<dim { lo[t * dim + d] = min(lo[t * dim + d], w[e * dim + d] * Double(k + 1)) }
      }
      let t0 = Int(values[e * arity])
      hi[t0] = max(hi[t0], Int32(w[e * dim].rounded(.towardZero)))
      for d in 0..<dim { mx[e * dim + d] = max(mx[e * dim + d], -w[e * dim + d]) }
    }

    try OP2.withConfiguration(.testing(backend)) {
      let from = Set(size: nFrom, name: "from")
      let to = Set(size: nTo, name: "to")
      let map = try Map(from: from, to: to, arity: arity, values: values, name: "m")
      let wd = try Dat<Double>(from ** dim, values: w, name: "w")
      let lod = try Dat<Double>(to ** dim, values: loStart, name: "lo")
      let hid = try Dat<Int32>(to ** 1, values: hiStart, name: "hi")
      let mxd = try Dat<Double>(from ** dim, values: mxStart, name: "mx")
      let k = Kernel(code: """
        void extremes(const double *w, double **lo, int *hi, double *mx) {
          for (int k = 0; k < \(arity); k++)
            for (int d = 0; d < \(dim); d++) lo[k][d] = fmin(lo[k][d], w[d] * (k + 1));
          int r = (int)w[0];
          if (r > hi[0]) hi[0] = r;
          for (int d = 0; d < \(dim); d++) mx[d] = -w[d];
        }
        """, name: "extremes")
      try parLoop(k, over: from, wd(.read), lod(.min, map), hid(.max, map[0]), mxd(.max))
      let got = lod.data
      let off = zip(got, lo).enumerated().filter { $0.element.0 != $0.element.1 }
      #expect(off.isEmpty, "seed \(seed): \(off.count) MIN values off, first \(off.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
      #expect(hid.data == hi, "seed \(seed)")
      #expect(mxd.data == mx, "seed \(seed)")
    }
  }

  @Test("a MIN kernel sees the identity and the target keeps its own value when smaller",
        arguments: Backend.available)
  func identity(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let cells = Set(size: 3, name: "cells"), nodes = Set(size: 2, name: "nodes")
      let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 0, 1, 1], name: "c2n")
      let x = try Dat<Double>(cells ** 1, values: [5, -2, 7], name: "x")
      let lo = try Dat<Double>(nodes ** 1, values: [0, 100], name: "lo")
      let seen = Dat<Double>(cells ** 1, name: "seen")
      let hi = try Dat<Int64>(nodes ** 1, values: [0, 0], name: "hi")
      let k = Kernel(code: """
        void k(const double *x, double **lo, long **hi, double *seen) {
          seen[0] = lo[0][0];
          for (int j = 0; j < 2; j++) { if (x[0] < lo[j][0]) lo[j][0] = x[0]; if ((long)x[0] > hi[j][0]) hi[j][0] = (long)x[0]; }
        }
        """, name: "k")
      try parLoop(k, over: cells, x(.read), lo(.min, c2n), hi(.max, c2n), seen(.write))
      #expect(lo.data == [-2, -2])
      #expect(hi.data == [5, 7])
      #expect(seen.data == [.infinity, .infinity, .infinity])
    }
  }

  @Test("MIN and MAX through maps are colouring conflicts, as INC is; direct ones are not")
  func conflicts() throws {
    let from = Set(size: 4, name: "from"), to = Set(size: 3, name: "to")
    let map = try Map(from: from, to: to, arity: 2, values: [0, 1, 1, 2, 2, 0, 0, 2], name: "m")
    let lo = Dat<Double>(to ** 1, name: "lo"), hi = Dat<Int32>(to ** 1, name: "hi"), own = Dat<Double>(from ** 1, name: "own")
    let whole = Kernel(code: "void whole(double **lo, double *own) { }", name: "whole")
    let slot = Kernel(code: "void slot(int *hi) { }", name: "slot")
    let viaMap = ThreadedExecutor.conflicts(of: [try ParLoop(whole, over: from, lo(.min, map), own(.max))])
    #expect(viaMap.count == 1 && viaMap.first?.mapID == ObjectIdentifier(map) && viaMap.first?.indices == nil)
    let viaSlot = ThreadedExecutor.conflicts(of: [try ParLoop(slot, over: from, hi(.max, map[1]))])
    #expect(viaSlot.count == 1 && viaSlot.first?.indices == [1])
  }
}
