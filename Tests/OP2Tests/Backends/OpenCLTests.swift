import Foundation
import Numerics
import Testing
@testable import OP2

/// The OpenCL backend against the sequential one on random meshes, its data residence and
/// transfer counts, its build errors and device selection. Runs wherever an OpenCL platform
/// exists (PoCL's CPU device in CI); skipped, saying so, where none does.
@Suite("OpenCL backend", .enabled(if: OpenCLExecutor.isAvailable, "no OpenCL platform: apt-get install ocl-icd-opencl-dev pocl-opencl-icd"))
struct OpenCLTests {
  static let seeds: [UInt64] = [1, 2, 3, 42, 2024]

  /// One random mesh and every kind of argument, for one element type: direct READ/RW/WRITE,
  /// indirect READ through a slot and the whole map, INC through a slot and the whole map,
  /// indirect RW, dim 3 data, and INC/MIN/MAX Globals of dim 2.
  private func run<T: OP2Scalar>(_: T.Type, backend: Backend, seed: UInt64, value: (inout SeededGenerator) -> T) throws
    -> (direct: [T], written: [T], acc: [T], touched: [T], sums: [T], lows: [T], highs: [T]) {
    var rng = SeededGenerator(seed: seed)
    let nFrom = [0, 1, 17, 1000, 4099][Int(seed % 5)]
    let nTo = Int.random(in: 1...300, using: &rng)
    let values = (0..<(nFrom * 3)).map { _ in Int32.random(in: 0..<Int32(nTo), using: &rng) }
    let a0 = (0..<(nFrom * 3)).map { _ in value(&rng) }
    let x0 = (0..<(nTo * 3)).map { _ in value(&rng) }
    let c = T.cType
    return try OP2.withConfiguration(.testing(backend)) {
      let from = Set(size: nFrom, name: "from"), to = Set(size: nTo, name: "to")
      let map = try Map(from: from, to: to, arity: 3, values: values, name: "m")
      let a = try Dat<T>(from ** 3, values: a0, name: "a")
      let b = Dat<T>(from ** 3, name: "b")
      let x = try Dat<T>(to ** 3, values: x0, name: "x")
      let acc = Dat<T>(to ** 3, name: "acc")
      let touched = Dat<T>(to ** 1, name: "touched")
      let sums = Global<T>(dim: 2, value: 0, name: "sums")
      let lows = Global<T>(dim: 2, value: T.op2Maximum, name: "lows")
      let highs = Global<T>(dim: 2, value: T.op2Minimum, name: "highs")
      let k1 = Kernel(code: """
        void mix(\(c) *a, \(c) *b, const \(c) *x0, \(c) **xs, \(c) *acc1, \(c) **acc,
                 \(c) *sums, \(c) *lows, \(c) *highs) {
          for (int d = 0; d < 3; d++) {
            b[d] = a[d] + x0[d] - xs[2][d];
            a[d] = a[d] + 1;
            acc1[d] += a[d];
            for (int k = 0; k < 3; k++) acc[k][d] += (\(c))(k + 1);
          }
          sums[0] += a[0]; sums[1] += 1;
          if (a[1] < lows[0]) lows[0] = a[1];
          if (x0[2] < lows[1]) lows[1] = x0[2];
          if (a[2] > highs[0]) highs[0] = a[2];
          if (xs[1][0] > highs[1]) highs[1] = xs[1][0];
        }
        """, name: "mix")
      try parLoop(k1, over: from, a(.rw), b(.write), x(.read, map[0]), x(.read, map), acc(.inc, map[1]), acc(.inc, map),
                  sums(.inc), lows(.min), highs(.max))
      // Indirect RW with repeated targets: each visit adds 2, in any order.
      let k2 = Kernel(code: "void visit(\(c) *t) { t[0] = t[0] + 2; }", name: "visit")
      try parLoop(k2, over: from, touched(.rw, map[2]))
      return (a.data, b.data, acc.data, touched.data, sums.value, lows.value, highs.value)
    }
  }

  private func compare<T: OP2Scalar>(_ got: [T], _ want: [T], exact: Bool, _ what: String, seed: UInt64) where T: BinaryFloatingPoint {
    #expect(got.count == want.count)
    for (i, (g, w)) in zip(got, want).enumerated() {
      let ok = exact ? g == w : g.isApproximatelyEqual(to: w, absoluteTolerance: T(1e-5) * max(1, abs(w)))
      if !ok { Issue.record("seed \(seed): \(what)[\(i)]: \(g) vs \(w)"); return }
    }
  }

  @Test("every argument kind matches the sequential backend for double and float", arguments: seeds)
  func floatingPoint(seed: UInt64) throws {
    let dd = try run(Double.self, backend: .opencl(), seed: seed) { Double.random(in: -1...1, using: &$0) }
    let ds = try run(Double.self, backend: .sequential, seed: seed) { Double.random(in: -1...1, using: &$0) }
    compare(dd.direct, ds.direct, exact: true, "a", seed: seed)
    compare(dd.written, ds.written, exact: true, "b", seed: seed)
    compare(dd.acc, ds.acc, exact: false, "acc", seed: seed)
    compare(dd.touched, ds.touched, exact: true, "touched", seed: seed)
    compare(dd.sums, ds.sums, exact: false, "sums", seed: seed)
    compare(dd.lows + dd.highs, ds.lows + ds.highs, exact: true, "min/max", seed: seed)
    let fd = try run(Float.self, backend: .opencl(), seed: seed) { Float.random(in: -1...1, using: &$0) }
    let fs = try run(Float.self, backend: .sequential, seed: seed) { Float.random(in: -1...1, using: &$0) }
    compare(fd.direct, fs.direct, exact: true, "a", seed: seed)
    compare(fd.written, fs.written, exact: true, "b", seed: seed)
    compare(fd.acc, fs.acc, exact: false, "acc", seed: seed)
    compare(fd.touched, fs.touched, exact: true, "touched", seed: seed)
    compare(fd.lows + fd.highs, fs.lows + fs.highs, exact: true, "min/max", seed: seed)
  }

  @Test("every argument kind matches the sequential backend exactly for int and long", arguments: seeds)
  func integers(seed: UInt64) throws {
    let i32 = try run(Int32.self, backend: .opencl(), seed: seed) { Int32.random(in: -1000...1000, using: &$0) }
    let s32 = try run(Int32.self, backend: .sequential, seed: seed) { Int32.random(in: -1000...1000, using: &$0) }
    #expect(i32.direct == s32.direct && i32.written == s32.written && i32.acc == s32.acc, "seed \(seed)")
    #expect(i32.touched == s32.touched && i32.sums == s32.sums && i32.lows == s32.lows && i32.highs == s32.highs, "seed \(seed)")
    let i64 = try run(Int64.self, backend: .opencl(), seed: seed) { Int64.random(in: -1 << 40 ... 1 << 40, using: &$0) }
    let s64 = try run(Int64.self, backend: .sequential, seed: seed) { Int64.random(in: -1 << 40 ... 1 << 40, using: &$0) }
    #expect(i64.direct == s64.direct && i64.written == s64.written && i64.acc == s64.acc, "seed \(seed)")
    #expect(i64.touched == s64.touched && i64.sums == s64.sums && i64.lows == s64.lows && i64.highs == s64.highs, "seed \(seed)")
  }

  /// The transfers row of `name` so far (without running queued loops, as OP2.timingReport would).
  private func transfers(_ kind: String, _ name: String) -> TimingReport.Transfer {
    Runtime.current.timingReport().transfers.first { $0.kind == kind && $0.name == name } ?? TimingReport.Transfer(kind: kind, name: name)
  }

  @Test("data moves only when the other side reads a stale copy")
  func residence() throws {
    try OP2.withConfiguration(.testing(.opencl())) {
      let s = Set(size: 1000, name: "s")
      let u = try Dat<Double>(s ** 2, values: (0..<2000).map(Double.init), name: "u")
      let v = Dat<Double>(s ** 2, name: "v")
      let total = Global<Double>(value: 0, name: "total")
      let step = Kernel(code: "void step(double *u, double *v) { v[0] = 2 * u[0]; v[1] = u[1]; u[0] += 1; }", name: "step")
      let sum = Kernel(code: "void sum(const double *v, double *t) { *t += v[0]; }", name: "sum")
      for _ in 0..<5 { try parLoop(step, over: s, u(.rw), v(.write)) }
      #expect(transfers("Dat", "u").uploads == 0)  // lazy: nothing ran yet
      OP2.flush()
      #expect(transfers("Dat", "u").uploads == 1 && transfers("Dat", "u").downloads == 0)
      #expect(transfers("Dat", "v").uploads == 1 && transfers("Dat", "v").downloads == 0)
      let first = u.data, again = u.data  // one download: the host copy is current after it
      #expect(first == again && first[0] == 5 && first[2] == 7)
      #expect(transfers("Dat", "u").downloads == 1 && transfers("Dat", "u").downloadBytes == 16000)
      try parLoop(sum, over: s, v(.read), total(.inc))
      let expected: Double = (0..<1000).reduce(0.0) { $0 + 2 * Double($1 * 2 + 4) }
      #expect(total.value == [expected])
      #expect(transfers("Dat", "v").uploads == 1)  // still current on the device
      // The host store travels with the reduction's launch: no upload of the Global.
      total.value = [0]
      try parLoop(sum, over: s, v(.read), total(.inc))
      _ = total.value
      #expect(transfers("Global", "total").uploads == 0 && transfers("Global", "total").downloads == 2)
      // A host write makes the device copy stale: the next loop uploads u again, once.
      u.withUnsafeMutableBufferPointer { $0[0] = -1 }
      try parLoop(step, over: s, u(.rw), v(.write))
      try parLoop(step, over: s, u(.rw), v(.write))
      #expect(u.data[0] == 1)
      #expect(transfers("Dat", "u").uploads == 2 && transfers("Dat", "u").downloads == 2)
    }
  }

  @Test("a new Const value is a buffer write, not a rebuild")
  func constWithoutRebuild() throws {
    try OP2.withConfiguration(.testing(.opencl())) {
      let factor = try Const<Double>(name: "opencl_factor", value: 3)
      let s = Set(size: 10, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let k = Kernel(code: "void times(double *d) { d[0] = opencl_factor * 2; }", name: "times")
      try parLoop(k, over: s, d(.write))
      #expect(d.data == Array(repeating: 6, count: 10))
      let built = OP2.timingReport().deviceCompileSeconds
      factor.value = [-0.5]
      try parLoop(k, over: s, d(.write))
      #expect(d.data == Array(repeating: -1, count: 10))
      #expect(OP2.timingReport().deviceCompileSeconds == built)
      #expect(transfers("Const", "opencl_factor").uploads == 2)
    }
  }

  @Test("queued loops keep their Const value, and folded Consts are device constants")
  func constOrderAndFolding() throws {
    try OP2.withConfiguration(.testing(.opencl(), lazy: true)) {
      let scale = try Const<Double>(name: "opencl_scale", value: 2)
      let shift = try Const<Double>(name: "opencl_shift", dim: 2, value: [10, 20], foldedAtCompileTime: true)
      let s = Set(size: 6, name: "s")
      let d = try Dat<Double>(s ** 1, values: [0, 1, 2, 3, 4, 5], name: "d")
      let k = Kernel(code: "void affine(double *d) { d[0] = d[0] * opencl_scale + opencl_shift[1]; }", name: "affine")
      try parLoop(k, over: s, d(.rw))  // queued with scale 2, shift[1] 20
      scale.value = [-1]
      shift.value = [0, 0.5]
      try parLoop(k, over: s, d(.rw))  // scale -1, shift[1] 0.5
      // (x * 2 + 20) * -1 + 0.5
      let expected: [Double] = [-19.5, -21.5, -23.5, -25.5, -27.5, -29.5]
      #expect(d.data == expected)
    }
  }

  @Test("file-scope tables move to constant memory; tables inside functions stay")
  func constantTables() throws {
    let code = """
      static const double w[2] = {0.25, 0.75};
        static const int pairs[2][2] = {{0, 1},
                                        {1, 0}};
      void weigh(double *v) {
        static const double inner = 2;
        *v = w[0] * inner + w[1] * pairs[1][0];
      }
      """
    let lines = OpenCLGenerator.constantTables(code).split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 7)  // the #line numbering of build logs is kept
    #expect(lines[0] == "__constant double w[2] = {0.25, 0.75};")
    #expect(lines[1] == "  __constant int pairs[2][2] = {{0, 1},")
    #expect(lines[4] == "  static const double inner = 2;")
    try OP2.withConfiguration(.testing(.opencl())) {
      let s = Set(size: 3, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let k = Kernel(code: """
        static const double table_w[3] = {0.5, 1.5, 2.5};
        static const int table_i[2][2] = {{0, 2}, {1, 0}};
        void use_tables(double *v) { *v = table_w[table_i[0][1]] + table_w[table_i[1][0]]; }
        """, name: "use_tables")
      try parLoop(k, over: s, d(.write))
      #expect(d.data == [4, 4, 4])
    }
  }

  @Test("a kernel that is C but not OpenCL C fails with the build log at the kernel's own line")
  func buildFailure() throws {
    try OP2.withConfiguration(.testing(.opencl(), cacheDirectory: temporaryDirectory("opencl-build"))) {
      let s = Set(size: 4, name: "s")
      let d = Dat<Double>(s ** 2, name: "d")
      // memcpy is declared in the host wrapper (string.h) but is no OpenCL C built-in.
      let k = Kernel(code: """
        void copy_pair(double *d) {
          double pair[2] = {1, 2};
          memcpy(d, pair, sizeof pair);
        }
        """, name: "copy_pair")
      do {
        try parLoop(k, over: s, d(.write))
        Issue.record("expected a build failure")
      } catch let error as OP2Error {
        guard case .openCLBuildFailed(let kernel, let log, let sourcePath) = error else { Issue.record("\(error)"); return }
        #expect(kernel == "copy_pair")
        #expect(log.contains("copy_pair.c:3"), "log: \(log)")
        #expect(FileManager.default.fileExists(atPath: sourcePath))
      }
      #expect(d.data == Array(repeating: 0, count: 8))
    }
  }

  @Test("a device name that matches nothing is a typed error listing the devices")
  func unknownDevice() throws {
    try OP2.withConfiguration(.testing(.opencl(device: "no-such-accelerator"))) {
      let s = Set(size: 4, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let k = Kernel(code: "void one(double *d) { d[0] = 1; }", name: "one")
      do {
        try parLoop(k, over: s, d(.write))
        Issue.record("expected an error")
      } catch let error as OP2Error {
        guard case .openCLDeviceNotFound(let variable, let value, let available) = error else { Issue.record("\(error)"); return }
        #expect(variable == "OP2_OPENCL_DEVICE" && value == "no-such-accelerator")
        #expect(!available.isEmpty)
      }
    }
  }

  @Test("devices are chosen by index or by part of a name")
  func selection() throws {
    let all = try OpenCLDiscovery.devices()
    let first = all[0]
    #expect(try OpenCLExecutor.select(platform: nil, device: nil) == first)
    #expect(try OpenCLExecutor.select(platform: "\(first.platformIndex)", device: "\(first.deviceIndex)") == first)
    #expect(try OpenCLExecutor.select(platform: String(first.platformName.prefix(4)).lowercased(), device: nil).platformName == first.platformName)
    #expect(throws: OP2Error.self) { try OpenCLExecutor.select(platform: "99", device: nil) }
  }

  @Test("OP2_BACKEND=opencl reads the device variables; a bad block size is rejected")
  func environment() throws {
    #expect(try Backend.fromEnvironment(["OP2_BACKEND": "opencl"]) == .opencl())
    #expect(try Backend.fromEnvironment(["OP2_BACKEND": "OpenCL", "OP2_OPENCL_PLATFORM": "0", "OP2_OPENCL_DEVICE": "cpu"])
            == .opencl(platform: "0", device: "cpu"))
    expectError(.invalidConfiguration(variable: "OP2_OPENCL_BLOCK_SIZE", value: "100", expected: "a power of two from 1 to 4096"),
                message: "OP2_OPENCL_BLOCK_SIZE=\"100\" is invalid: expected a power of two from 1 to 4096") { () throws(OP2Error) in
      _ = try Backend.fromEnvironment(["OP2_BACKEND": "opencl", "OP2_OPENCL_BLOCK_SIZE": "100"])
    }
  }
}

/// The device plan's two-level colouring, checked like the threaded plan's.
@Suite("OpenCL plans")
struct OpenCLPlanTests {
  @Test("random maps give plans with no conflicting block or element of one colour", arguments: [UInt64(1), 2, 3, 4])
  func invariants(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let size = [1, 31, 500, 3000][Int(seed % 4)]
    let targets = Int.random(in: 1...200, using: &rng)
    let values = (0..<(size * 2)).map { _ in Int32.random(in: 0..<Int32(targets), using: &rng) }
    let conflict = PlanConflict(mapID: ObjectIdentifier(Token.shared), values: values, arity: 2,
                                targetSize: targets, indices: nil)
    let plan = OpenCLPlan(setSize: size, blockSize: 32, conflicts: [conflict])
    #expect(plan.violations(conflicts: [conflict], setSize: size).isEmpty)
    #expect(plan.elementColours.count == size && plan.blockColourCounts.count == plan.blockCount)
  }

  @Test("elements that all write one target get one colour each")
  func oneTarget() {
    let conflict = PlanConflict(mapID: ObjectIdentifier(Token.shared), values: [Int32](repeating: 0, count: 40),
                                arity: 1, targetSize: 1)
    let plan = OpenCLPlan(setSize: 40, blockSize: 16, conflicts: [conflict])
    #expect(plan.elementColours == (0..<40).map { Int32($0 % 16) })
    #expect(plan.blockColourCounts == [16, 16, 8])
    #expect(plan.colourCount == 3)  // the three blocks all write target 0
  }
}

/// An object whose identity names a test's map.
private final class Token: Sendable { static let shared = Token() }
