import AirfoilKit
import Foundation
import Testing
@testable import OP2

/// Gathered chunk reads (``ChunkReads``): the vector loop reads through the maps itself instead of
/// from lane arrays. Every way of reading must give the plain element loop's bits, with every
/// compiler we can find, on every backend.
@Suite("Chunk reads")
struct ChunkReadsTests {
  /// `cc`, and clang when it is on the PATH (the Swift toolchain ships one): the two compilers
  /// whose code the two ways of reading are chosen for.
  static let compilers: [[String]] =
    Compiler.Configuration.defaultCommand(path: ProcessInfo.processInfo.environment["PATH"]) == "clang" ? [["cc"], ["clang"]] : [["cc"]]

  @Test("OP2_CHUNK_READS parses staged, gathered, automatic; automatic follows the compiler")
  func setting() throws {
    #expect(try ChunkReads.fromEnvironment("gathered") == .gathered)
    #expect(try ChunkReads.fromEnvironment("STAGED") == .staged)
    #expect(try ChunkReads.fromEnvironment(nil) == nil)
    #expect(try OP2.Configuration.fromEnvironment(["OP2_CHUNK_READS": "staged"]).chunkReads == .staged)
    expectError(.invalidConfiguration(variable: "OP2_CHUNK_READS", value: "vector", expected: "staged, gathered or automatic"),
                message: "OP2_CHUNK_READS=\"vector\" is invalid: expected staged, gathered or automatic") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_CHUNK_READS": "vector"])
    }
    #expect(ChunkReads.automatic.resolved(compilerIdentity: "clang | clang version 21.0.0") == .gathered)
    #expect(ChunkReads.automatic.resolved(compilerIdentity: "cc | cc (Debian 12.2.0-14) 12.2.0") == .staged)
    #expect(ChunkReads.staged.resolved(compilerIdentity: "clang | clang version 21.0.0") == .staged)
  }

  @Test("a gathered chunk has no lane arrays for READ data and reads through the map in the vector loop")
  func generatedShape() throws {
    let k = Kernel(code: "void f(const double *a, const double *b, double *r) { r[0] += a[0] * b[1]; }", name: "f")
    let nodes = Set(size: 4, name: "nodes"), edges = Set(size: 3, name: "edges")
    let m = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3], name: "m")
    let x = Dat<Double>(nodes ** 2, name: "x"), r = Dat<Double>(nodes ** 1, name: "r")
    let loop = try ParLoop(k, over: edges, x(.read, m[0]), x(.read, m[1]), r(.inc, m[0]))
    let staged = WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code, reads: .staged)
    let gathered = WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code, reads: .gathered)
    #expect(staged.source.contains("double s0[16][2];"))
    #expect(!gathered.source.contains("double s0["))
    #expect(gathered.source.contains("f(d0 + (size_t)m0[n * 2 + 0] * 2, d0 + (size_t)m0[n * 2 + 1] * 2, l2[j]);"))
    #expect(staged.functionName != gathered.functionName)
  }

  @Test("staged and gathered chunks equal the plain wrapper bit for bit on random meshes",
        arguments: Backend.available, [UInt64(3), 41, 1000])
  func equalsPlain(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let nCells = [1, 15, 16, 17, 1000, 4103][Int(seed % 6)] + Int.random(in: 0...40, using: &rng)
    let nNodes = Int.random(in: 1...300, using: &rng)
    let pcell = (0..<(3 * nCells)).map { _ in Int32.random(in: 0..<Int32(nNodes), using: &rng) }
    let x = (0..<(2 * nNodes)).map { _ in Double.random(in: -10...10, using: &rng) }
    let q = (0..<(4 * nCells)).map { _ in Double.random(in: 0.5...2, using: &rng) }
    let scale = Double.random(in: 0.5...2, using: &rng)
    // Every kind of read a chunk does: a whole map READ (x through all three slots), map slot
    // READs, a direct READ, a Global READ; increments through a whole map and through one slot
    // (the same node may appear twice in a cell and in the next cells: repeated entries).
    let k = Kernel(code: """
      void cell_terms(const double **xs, const double *x0, const double *x2, const double *q, const double *s,
                      double **acc, double *first, double *area) {
        double a = 0.5 * ((xs[1][0] - x0[0]) * (x2[1] - x0[1]) - (x2[0] - x0[0]) * (xs[1][1] - x0[1]));
        double r = sqrt(q[1] * q[1] + q[2] * q[2]) / q[0];
        for (int v = 0; v < 3; v++) { acc[v][0] += s[0] * a * q[3] / 3.0; acc[v][1] -= r * xs[v][1]; }
        first[0] += r;
        *area = a;
      }
      """, name: "cell_terms")
    func run(chunking: Bool, reads: ChunkReads, compiler: [String]) throws -> [[UInt64]] {
      var config = OP2.Configuration.testing(backend)
      config.chunking = chunking
      config.chunkReads = reads
      config.compilerCommand = compiler
      return try OP2.withConfiguration(config) {
        let cells = Set(size: nCells, name: "cells"), nodes = Set(size: nNodes, name: "nodes")
        let c2n = try Map(from: cells, to: nodes, arity: 3, values: pcell, name: "c2n")
        let xd = try Dat<Double>(nodes ** 2, values: x, name: "x")
        let qd = try Dat<Double>(cells ** 4, values: q, name: "q")
        let acc = Dat<Double>(nodes ** 2, name: "acc"), first = Dat<Double>(nodes ** 1, name: "first")
        let area = Dat<Double>(cells ** 1, name: "area")
        let s = Global<Double>(value: scale, name: "s")
        for _ in 0..<2 {  // twice: the second pass adds onto the first's increments
          try parLoop(k, over: cells, xd(.read, c2n), xd(.read, c2n[0]), xd(.read, c2n[2]), qd(.read), s(.read),
                      acc(.inc, c2n), first(.inc, c2n[0]), area(.write))
        }
        return [acc.data, first.data, area.data].map { $0.map(\.bitPattern) }
      }
    }
    let plain = try run(chunking: false, reads: .staged, compiler: ["cc"])
    for compiler in Self.compilers {
      for reads in ChunkReads.allCases {
        let chunked = try run(chunking: true, reads: reads, compiler: compiler)
        let differing = zip(chunked, plain).map { a, b in zip(a, b).filter { $0 != $1 }.count }
        #expect(differing == [0, 0, 0], "seed \(seed), \(compiler.joined(separator: " ")), \(reads): values differing from the plain wrapper's in acc, first, area")
      }
    }
  }

  /// airfoil's `bres_calc` (AirfoilKit's kernel, with airfoil's Consts): a branch, and an add next
  /// to a subtract of two products (`res1[1] += +p1 * dy; res1[2] += -p1 * dx`). gcc 12 fuses such
  /// a pair into one `vfmsubadd` in the vectorized chunk despite `-ffp-contract=off` (seen: 135 and
  /// 150 values of the chunked wrapper an ulp off here, its plain wrapper exact; airfoil's final
  /// rms moved by 5e-16); clang rounds every product. The reference is the kernel in Swift, which
  /// never fuses.
  @Test("bres_calc: clang's plain and chunked loops round every product exactly, gcc's within an ulp",
        arguments: [UInt64(8), 77])
  func boundaryKernel(seed: UInt64) throws {
    _ = try AirfoilConstants.declare()  // airfoil's Consts: process-wide, declared once
    var rng = SeededGenerator(seed: seed)
    let nEdges = 4000 + Int.random(in: 0...40, using: &rng), nCells = 300, nNodes = 500
    let edgeNodes = (0..<(2 * nEdges)).map { _ in Int32.random(in: 0..<Int32(nNodes), using: &rng) }
    let edgeCells = (0..<nEdges).map { _ in Int32.random(in: 0..<Int32(nCells), using: &rng) }
    let x = (0..<(2 * nNodes)).map { _ in Double.random(in: -1...1, using: &rng) }
    let q = (0..<(4 * nCells)).map { i in Double.random(in: 0.5...1.5, using: &rng) + (i % 4 == 3 ? 2 : 0) }
    let adt = (0..<nCells).map { _ in Double.random(in: 0.1...1, using: &rng) }
    let bound = (0..<nEdges).map { _ in Int32.random(in: 1...2, using: &rng) }
    let gm1 = AirfoilConstants.gm1, eps = AirfoilConstants.eps, qinf = AirfoilConstants.qinf
    let k = AirfoilKernels.bresCalc
    func run(chunking: Bool, compiler: [String]) throws -> [Double] {
      var config = OP2.Configuration.testing(.sequential)
      config.chunking = chunking
      config.compilerCommand = compiler
      return try OP2.withConfiguration(config) {
        let edges = Set(size: nEdges, name: "bedges"), cells = Set(size: nCells, name: "cells"), nodes = Set(size: nNodes, name: "nodes")
        let e2n = try Map(from: edges, to: nodes, arity: 2, values: edgeNodes, name: "pbedge")
        let e2c = try Map(from: edges, to: cells, arity: 1, values: edgeCells, name: "pbecell")
        let xd = try Dat<Double>(nodes ** 2, values: x, name: "x")
        let qd = try Dat<Double>(cells ** 4, values: q, name: "q")
        let ad = try Dat<Double>(cells ** 1, values: adt, name: "adt")
        let bd = try Dat<Int32>(edges ** 1, values: bound, name: "bound")
        let r = Dat<Double>(cells ** 4, name: "res")
        try parLoop(k, over: edges, xd(.read, e2n[0]), xd(.read, e2n[1]), qd(.read, e2c[0]), ad(.read, e2c[0]),
                    r(.inc, e2c[0]), bd(.read))
        return r.data
      }
    }
    // The kernel in Swift (every product rounded; `0.5f` is exactly 0.5), each edge's increments
    // added in edge order through a zeroed local, as the wrappers do.
    var expected = [Double](repeating: 0, count: 4 * nCells)
    for e in 0..<nEdges {
      let n1 = Int(edgeNodes[2 * e]), n2 = Int(edgeNodes[2 * e + 1]), c = Int(edgeCells[e])
      let q1 = Array(q[(4 * c)..<(4 * c + 4)])
      let dx = x[2 * n1] - x[2 * n2], dy = x[2 * n1 + 1] - x[2 * n2 + 1]
      var ri = 1.0 / q1[0]
      let p1 = gm1 * (q1[3] - 0.5 * ri * (q1[1] * q1[1] + q1[2] * q1[2]))
      var l = [0.0, 0.0, 0.0, 0.0]
      if bound[e] == 1 {
        l[1] += +p1 * dy
        l[2] += -p1 * dx
      } else {
        let vol1 = ri * (q1[1] * dy - q1[2] * dx)
        ri = 1.0 / qinf[0]
        let p2 = gm1 * (qinf[3] - 0.5 * ri * (qinf[1] * qinf[1] + qinf[2] * qinf[2]))
        let vol2 = ri * (qinf[1] * dy - qinf[2] * dx)
        let mu = adt[c] * eps
        l[0] += 0.5 * (vol1 * q1[0] + vol2 * qinf[0]) + mu * (q1[0] - qinf[0])
        l[1] += 0.5 * (vol1 * q1[1] + p1 * dy + vol2 * qinf[1] + p2 * dy) + mu * (q1[1] - qinf[1])
        l[2] += 0.5 * (vol1 * q1[2] - p1 * dx + vol2 * qinf[2] - p2 * dx) + mu * (q1[2] - qinf[2])
        l[3] += 0.5 * (vol1 * (q1[3] + p1) + vol2 * (qinf[3] + p2)) + mu * (q1[3] - qinf[3])
      }
      for k in 0..<4 { expected[4 * c + k] += l[k] }
    }
    for compiler in Self.compilers {
      for chunking in [false, true] {
        let values = try run(chunking: chunking, compiler: compiler)
        let differing = zip(values, expected).filter { $0.bitPattern != $1.bitPattern }.count
        let largest = zip(values, expected).map { abs($0 - $1) / max(abs($1), 1e-300) }.max() ?? 0
        if compiler == ["clang"] {
          #expect(differing == 0, "seed \(seed), chunking \(chunking): clang's values differ from exact rounding in \(differing) places")
        } else {
          #expect(largest < 1e-13, "seed \(seed), chunking \(chunking), \(compiler): largest relative difference \(largest) (\(differing) values differ)")
        }
      }
    }
  }
}
