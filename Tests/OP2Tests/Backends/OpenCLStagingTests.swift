import Foundation
import Numerics
import Testing
@testable import OP2

/// Local-memory staging of a block's indirect data on the OpenCL backend (`OP2_OPENCL_STAGING`):
/// the staged programs against the sequential backend on random meshes for every access mode
/// through maps, the per-block tables on a hand-made mesh, and the local-memory fit rule.
@Suite("OpenCL local staging", .enabled(if: OpenCLExecutor.isAvailable, "no OpenCL platform: apt-get install ocl-icd-opencl-dev pocl-opencl-icd"))
struct OpenCLStagingTests {
  static let seeds: [UInt64] = [1, 2, 3, 42, 2024]

  struct Results<T: Equatable>: Equatable {
    var direct: [T], acc: [T], lo: [T], hi: [T], touched: [T], written: [T], sums: [T], lows: [T], highs: [T]
    var notes: [String]
  }

  /// Two loops over a random mesh, every access mode through maps: READ through a slot and the
  /// whole map of one Dat (dim 3), INC through a slot and the whole map (dim 3), MIN through a
  /// slot (dim 2), MAX through the whole map (dim 1), with a direct RW Dat and INC/MIN Globals;
  /// then RW through a slot (dim 2, repeated targets) and WRITE through a slot with a READ of the
  /// same target, with a MAX Global.
  private func run<T: OP2Scalar>(_: T.Type, backend: Backend, seed: UInt64, blockSize: Int = 16,
                                 value: (inout SeededGenerator) -> T) throws -> Results<T> {
    var rng = SeededGenerator(seed: seed)
    let nFrom = [1, 17, 1000, 4099, 300][Int(seed % 5)]
    let nTo = Int.random(in: 1...300, using: &rng), nTo2 = Int.random(in: 1...50, using: &rng)
    let m1 = (0..<(nFrom * 3)).map { _ in Int32.random(in: 0..<Int32(nTo), using: &rng) }
    let m2 = (0..<(nFrom * 2)).map { _ in Int32.random(in: 0..<Int32(nTo2), using: &rng) }
    let a0 = (0..<(nFrom * 2)).map { _ in value(&rng) }
    let x0 = (0..<(nTo * 3)).map { _ in value(&rng) }
    let q0 = (0..<nTo2).map { _ in value(&rng) }
    let t0 = (0..<(nTo * 2)).map { _ in value(&rng) }
    let c = T.cType
    var configuration = OP2.Configuration.testing(backend)
    configuration.blockSize = blockSize
    return try OP2.withConfiguration(configuration) {
      let from = Set(size: nFrom, name: "from"), to = Set(size: nTo, name: "to"), to2 = Set(size: nTo2, name: "to2")
      let map = try Map(from: from, to: to, arity: 3, values: m1, name: "m")
      let map2 = try Map(from: from, to: to2, arity: 2, values: m2, name: "m2")
      let a = try Dat<T>(from ** 2, values: a0, name: "a")
      let x = try Dat<T>(to ** 3, values: x0, name: "x")
      let acc = Dat<T>(to ** 3, name: "acc")
      let lo = try Dat<T>(to2 ** 2, values: (0..<(nTo2 * 2)).map { _ in T.op2Maximum }, name: "lo")
      let hi = try Dat<T>(to ** 1, values: (0..<nTo).map { _ in T.op2Minimum }, name: "hi")
      let q = try Dat<T>(to2 ** 1, values: q0, name: "q")
      let w = Dat<T>(to2 ** 1, name: "w")
      let touched = try Dat<T>(to ** 2, values: t0, name: "touched")
      let sums = Global<T>(dim: 2, value: 0, name: "sums")
      let lows = Global<T>(value: T.op2Maximum, name: "lows")
      let highs = Global<T>(value: T.op2Minimum, name: "highs")
      let gather = Kernel(code: """
        void gather(\(c) *a, const \(c) *x0, \(c) **xs, \(c) *acc1, \(c) **acc, \(c) *lo, \(c) **hi,
                    \(c) *sums, \(c) *lows) {
          for (int d = 0; d < 3; d++) {
            acc1[d] += x0[d] + xs[2][d];
            for (int k = 0; k < 3; k++) acc[k][d] += xs[k][d] + (\(c))(k + 1);
          }
          a[0] = a[0] + xs[1][0];
          a[1] = a[1] + 1;
          if (a[0] < lo[0]) lo[0] = a[0];
          if (x0[1] < lo[1]) lo[1] = x0[1];
          for (int k = 0; k < 3; k++) if (xs[k][2] > hi[k][0]) hi[k][0] = xs[k][2];
          sums[0] += a[1]; sums[1] += 1;
          if (xs[0][0] < lows[0]) lows[0] = xs[0][0];
        }
        """, name: "gather")
      try parLoop(gather, over: from, a(.rw), x(.read, map[0]), x(.read, map), acc(.inc, map[1]), acc(.inc, map),
                  lo(.min, map2[0]), hi(.max, map), sums(.inc), lows(.min))
      // RW with repeated targets (each visit adds, in any order), and WRITE of a value that only
      // depends on the target (so the order of writers does not matter).
      let scatter = Kernel(code: """
        void scatter(\(c) *t, const \(c) *q, \(c) *w, \(c) *highs) {
          t[0] = t[0] + 2; t[1] = t[1] + 3;
          w[0] = q[0] + q[0];
          if (q[0] > highs[0]) highs[0] = q[0];
        }
        """, name: "scatter")
      try parLoop(scatter, over: from, touched(.rw, map[2]), q(.read, map2[1]), w(.write, map2[1]), highs(.max))
      let values = Results(direct: a.data, acc: acc.data, lo: lo.data, hi: hi.data, touched: touched.data, written: w.data,
                           sums: sums.value, lows: lows.value, highs: highs.value, notes: [])
      var results = values
      results.notes = OP2.timingReport().notes
      return results
    }
  }

  private func compare<T: OP2Scalar & BinaryFloatingPoint>(_ got: [T], _ want: [T], _ what: String, seed: UInt64) {
    #expect(got.count == want.count, "seed \(seed): \(what)")
    for (i, (g, w)) in zip(got, want).enumerated() where !g.isApproximatelyEqual(to: w, absoluteTolerance: T(1e-9) * max(1, abs(w))) {
      Issue.record("seed \(seed): \(what)[\(i)]: \(g) vs \(w)")
      return
    }
  }

  @Test("staged programs match the sequential backend for every access mode through maps (double)", arguments: seeds)
  func doubles(seed: UInt64) throws {
    let got = try run(Double.self, backend: .opencl(staging: .local), seed: seed) { Double.random(in: -1...1, using: &$0) }
    let want = try run(Double.self, backend: .sequential, seed: seed) { Double.random(in: -1...1, using: &$0) }
    compare(got.direct, want.direct, "a", seed: seed)
    compare(got.acc, want.acc, "acc (INC)", seed: seed)
    #expect(got.lo == want.lo && got.hi == want.hi, "seed \(seed): MIN/MAX through maps")
    #expect(got.touched == want.touched && got.written == want.written, "seed \(seed): RW/WRITE through maps")
    compare(got.sums, want.sums, "sums", seed: seed)
    #expect(got.lows == want.lows && got.highs == want.highs, "seed \(seed): Global MIN/MAX")
    // Both loops ran staged: the report says so.
    #expect(got.notes.contains { $0.hasPrefix("gather: 4 Dat(s) staged in local memory, blocks of 16") }, "\(got.notes)")
    #expect(got.notes.contains { $0.hasPrefix("scatter: 3 Dat(s) staged in local memory, blocks of 16") }, "\(got.notes)")
  }

  @Test("staged programs match the sequential backend exactly for int, with large blocks", arguments: seeds)
  func integers(seed: UInt64) throws {
    let got = try run(Int32.self, backend: .opencl(staging: .local), seed: seed, blockSize: 256) { Int32.random(in: -1000...1000, using: &$0) }
    let want = try run(Int32.self, backend: .sequential, seed: seed, blockSize: 256) { Int32.random(in: -1000...1000, using: &$0) }
    #expect(got.direct == want.direct && got.acc == want.acc && got.lo == want.lo && got.hi == want.hi)
    #expect(got.touched == want.touched && got.written == want.written)
    #expect(got.sums == want.sums && got.lows == want.lows && got.highs == want.highs)
    #expect(got.notes.contains { $0.hasPrefix("gather: 4 Dat(s) staged in local memory") }, "\(got.notes)")
  }

  @Test("global staging runs no staged program; auto stages only on devices with dedicated local memory")
  func choice() throws {
    let global = try run(Double.self, backend: .opencl(staging: .global), seed: 3) { Double.random(in: -1...1, using: &$0) }
    #expect(!global.notes.contains { $0.contains("staged") })
    let auto = try run(Double.self, backend: .opencl(staging: .auto), seed: 3) { Double.random(in: -1...1, using: &$0) }
    let dedicated = try OpenCLExecutor.select(platform: nil, device: nil).hasDedicatedLocalMemory
    #expect(auto.notes.contains { $0.contains("staged in local memory") } == dedicated, "\(auto.notes)")
    let want = try run(Double.self, backend: .sequential, seed: 3) { Double.random(in: -1...1, using: &$0) }
    compare(global.acc, want.acc, "acc (global)", seed: 3)
    compare(auto.acc, want.acc, "acc (auto)", seed: 3)
  }

  /// A loop whose every element increments its own target of a dim-4 double Dat: a block of
  /// `n` elements stages `n * 32` bytes.
  private func ownTargets(limit: Int) throws -> (values: [Double], notes: [String]) {
    var configuration = OP2.Configuration.testing(.opencl(staging: .local))
    configuration.blockSize = 128
    return try OpenCLExecutor.$localMemoryLimit.withValue(limit) {
      try OP2.withConfiguration(configuration) {
        let from = Set(size: 1000, name: "from"), to = Set(size: 1000, name: "to")
        let map = try Map(from: from, to: to, arity: 1, values: (0..<1000).map { Int32(($0 * 7) % 1000) }, name: "m")
        let v = Dat<Double>(to ** 4, name: "v")
        let k = Kernel(code: "void own(double *v) { for (int d = 0; d < 4; d++) v[d] += d + 1; }", name: "own")
        try parLoop(k, over: from, v(.inc, map[0]))
        try parLoop(k, over: from, v(.inc, map[0]))
        return (v.data, OP2.timingReport().notes)
      }
    }
  }

  @Test("staged data larger than local memory shrinks the blocks, then falls back to global memory")
  func localMemoryFit() throws {
    let expected: [Double] = (0..<1000).flatMap { _ -> [Double] in [2, 4, 6, 8] }
    let fits = try ownTargets(limit: 4096)
    #expect(fits.values.count == expected.count && zip(fits.values, expected).filter { $0 != $1 }.isEmpty, "fits: wrong sums")
    #expect(fits.notes.contains("own: 1 Dat(s) staged in local memory, blocks of 128, 4096 of 4096 bytes per work-group, 1.00 accesses per staged element"), "\(fits.notes)")
    let shrunk = try ownTargets(limit: 2048)
    #expect(shrunk.values.count == expected.count && zip(shrunk.values, expected).filter { $0 != $1 }.isEmpty, "shrunk: wrong sums")
    #expect(shrunk.notes.contains("own: 1 Dat(s) staged in local memory, blocks of 64, 2048 of 2048 bytes per work-group, 1.00 accesses per staged element"), "\(shrunk.notes)")
    let none = try ownTargets(limit: 1000)
    #expect(none.values.count == expected.count && zip(none.values, expected).filter { $0 != $1 }.isEmpty, "none: wrong sums")
    #expect(none.notes.contains("own: staged data needs 1024 bytes of local memory with blocks of 32, the device has 1000; ran with global memory"),
            "\(none.notes)")
  }

  @Test("OP2_OPENCL_STAGING accepts local, global and auto")
  func environment() throws {
    #expect(try OpenCLStaging.fromEnvironment("LOCAL") == .local)
    #expect(try OpenCLStaging.fromEnvironment("") == nil)
    #expect(try Backend.fromEnvironment(["OP2_BACKEND": "opencl", "OP2_OPENCL_STAGING": "global"]) == .opencl(staging: .global))
    #expect(throws: OP2Error.invalidConfiguration(variable: "OP2_OPENCL_STAGING", value: "shared", expected: "local, global or auto")) {
      try Backend.fromEnvironment(["OP2_BACKEND": "opencl", "OP2_OPENCL_STAGING": "shared"])
    }
    #expect(Backend.opencl(staging: .local).description == "opencl(local staging)")
  }
}

/// The per-block tables of local staging (OP2's `ind_map`, `loc_map`, `ind_sizes`, `ind_offs`)
/// and which Dats a loop stages.
@Suite("OpenCL staging tables")
struct OpenCLStagingTableTests {
  /// A ring of 5 edges over 5 nodes (edge e joins nodes e and e+1 mod 5), blocks of 2 edges.
  @Test("a ring of edges gives the per-block lists and local indices worked out by hand")
  func ring() {
    let edges: [Int32] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 0]
    // Dat 0 through both slots; Dat 1 through slot 1 only, of another map onto 3 cells.
    let cells: [Int32] = [2, 0, 1, 1, 0, 2, 2, 2, 0, 1]
    let tables = OpenCLStagingTables(setSize: 5, blockSize: 2, dats: [
      [.init(values: edges, arity: 2, targetSize: 5, slots: [0, 1])],
      [.init(values: cells, arity: 2, targetSize: 3, slots: [1])],
    ])
    #expect(tables.blockCount == 3 && tables.datCount == 2)
    // Block 0 (edges 0, 1): nodes 0 1 2, cells 0 1; block 1 (edges 2, 3): nodes 2 3 4, cells 2;
    // block 2 (edge 4): nodes 4 0, cell 1.
    #expect(tables.sizes == [3, 2, 3, 1, 2, 1])
    #expect(tables.offsets == [0, 3, 5, 8, 9, 11])
    #expect(tables.elements == [0, 1, 2, 0, 1, 2, 3, 4, 2, 4, 0, 1])
    #expect(tables.localIndices[0] == [0, 1, 1, 2, 0, 1, 1, 2, 0, 1])
    #expect(tables.localIndices[1] == [-1, 0, -1, 1, -1, 0, -1, 0, -1, 0])
    #expect(tables.maxSizes == [3, 2])
    #expect(tables.references == 15 && tables.reuse == 15.0 / 12)
    #expect(tables.localBytes(bytesPerElement: [16, 8]) == 3 * 16 + 2 * 8)
  }

  @Test("a plan over the rest of a set reads map rows from its first element")
  func firstElement() {
    let tables = OpenCLStagingTables(setSize: 2, blockSize: 4, dats: [[.init(values: [5, 3, 3, 9], arity: 1, targetSize: 10, slots: [0])]],
                                     firstElement: 2)
    #expect(tables.elements == [3, 9] && tables.localIndices[0] == [0, 1] && tables.sizes == [2])
  }

  private func arg(_ kind: LoopSignature.ArgumentKind, _ access: Access, data: Int, map: Int, index: Int = 0) -> LoopSignature.ArgumentDescriptor {
    LoopSignature.ArgumentDescriptor(kind: kind, cType: "double", dim: 2, arity: 3, index: index, access: access, dataAlias: data, mapAlias: map)
  }

  @Test("only Dats reached through maps with one access mode are staged")
  func stageable() {
    // 0: x read via m[0]; 1: x read via m (whole); 2: y inc via m[1]; 3: z read via m[2] and
    // 4: z inc via m[0] (mixed: stays global); 5: u direct, 6: u inc via m[1] (stays global).
    let args = [arg(.mapSlot, .read, data: 0, map: 0), arg(.wholeMap, .read, data: 0, map: 0), arg(.mapSlot, .inc, data: 2, map: 0, index: 1),
                arg(.mapSlot, .read, data: 3, map: 0, index: 2), arg(.mapSlot, .inc, data: 3, map: 0), arg(.direct, .read, data: 5, map: 5),
                arg(.mapSlot, .inc, data: 5, map: 0, index: 1)]
    let staged = OpenCLGenerator.stageable(args)
    #expect(staged.map(\.alias) == [0, 2])
    #expect(staged[0].maps == [.init(argument: 0, mapAlias: 0, arity: 3, slots: [0, 1, 2])])
    #expect(staged[1].maps == [.init(argument: 2, mapAlias: 0, arity: 3, slots: [1])])
    // Loops that only read through maps run without a plan: nothing to stage.
    #expect(OpenCLGenerator.stageable(Array(args[0..<2])).isEmpty)
  }
}
