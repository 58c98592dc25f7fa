import AirfoilKit
import Foundation
import Testing
@testable import OP2

/// Cross-loop sparse tiling (``SparseTiling``): chains of queued loops, indirect ones included,
/// run tile by tile. Tiled runs must equal untiled ones (INC sums and reductions up to their
/// order) on every backend, and every plan must order each pair of conflicting accesses.
@Suite("Sparse tiling")
struct SparseTilingTests {
  @Test("OP2_TILING and OP2_TILE_SIZE parse; bad values are typed errors")
  func setting() throws {
    #expect(try OP2.Configuration.fromEnvironment([:]).tiling == false)
    #expect(try OP2.Configuration.fromEnvironment(["OP2_TILING": "1"]).tiling)
    #expect(try OP2.Configuration.fromEnvironment(["OP2_TILE_SIZE": "512"]).tileSize == 512)
    #expect(try OP2.Configuration.fromEnvironment([:]).tileSize == SparseTiling.defaultTileSize)
    expectError(.invalidConfiguration(variable: "OP2_TILE_SIZE", value: "0", expected: "a positive integer"),
                message: "OP2_TILE_SIZE=\"0\" is invalid: expected a positive integer") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_TILE_SIZE": "0"])
    }
    #expect(Setting.misspelledVariables(in: ["OP2_TILING": "1", "OP2_TILE_SIZE": "8"]).isEmpty)
  }

  /// A random mesh: cells, nodes, edges between two cells and two nodes, boundary edges with one
  /// cell. `banded`: every edge joins cells at most `band` apart and nodes near them (a mesh in a
  /// good order, as after RCM), else anywhere (the worst case for tiles).
  struct Mesh {
    var cells: Int, nodes: Int, edges: Int, bedges: Int
    var edgeCells: [Int32], edgeNodes: [Int32], bedgeCells: [Int32]
    var x: [Double], q: [Double]

    init(seed: UInt64, banded: Bool) {
      var rng = SeededGenerator(seed: seed)
      cells = Int.random(in: 300...2500, using: &rng)
      nodes = cells / 2 + Int.random(in: 1...50, using: &rng)
      edges = 2 * cells + Int.random(in: 0...30, using: &rng)
      bedges = Int.random(in: 5...60, using: &rng)
      let band = 12
      var ec: [Int32] = [], en: [Int32] = [], bc: [Int32] = []
      for e in 0..<edges {
        let c0 = banded ? min(cells - 1, e / 2) : Int.random(in: 0..<cells, using: &rng)
        let c1 = banded ? min(cells - 1, max(0, c0 + Int.random(in: -band...band, using: &rng))) : Int.random(in: 0..<cells, using: &rng)
        ec += [Int32(c0), Int32(c1)]
        let n0 = banded ? min(nodes - 1, c0 / 2) : Int.random(in: 0..<nodes, using: &rng)
        en += [Int32(n0), Int32(banded ? min(nodes - 1, n0 + Int.random(in: 0...3, using: &rng)) : Int.random(in: 0..<nodes, using: &rng))]
      }
      for _ in 0..<bedges { bc.append(Int32.random(in: 0..<Int32(cells), using: &rng)) }
      edgeCells = ec; edgeNodes = en; bedgeCells = bc
      x = (0..<(2 * nodes)).map { _ in Double.random(in: -1...1, using: &rng) }
      q = (0..<(4 * cells)).map { _ in Double.random(in: 0.5...2, using: &rng) }
    }
  }

  static let cellKernel = Kernel(code: """
    void cell_scale(const double *q, const double *s, double *a) { a[0] = s[0] * (q[0] + 0.25 * q[1] * q[1] + q[3]); }
    """, name: "cell_scale")
  static let edgeKernel = Kernel(code: """
    void edge_flux(const double *x0, const double *x1, const double **q, const double **a, double **res, double *nodeacc) {
      double dx = x1[0] - x0[0], dy = x1[1] - x0[1];
      double f = (q[0][0] - q[1][0]) * (a[0][0] + a[1][0]) * (dx * dx + dy * dy + 0.5);
      for (int k = 0; k < 4; k++) { res[0][k] += f * (k + 1); res[1][k] -= f * q[0][k] * 0.125; }
      nodeacc[0] += f;
    }
    """, name: "edge_flux")
  static let boundaryKernel = Kernel(code: """
    void bedge_flux(const double *a, const double *q, double *res) { for (int k = 0; k < 4; k++) res[k] += 0.01 * a[0] * q[k]; }
    """, name: "bedge_flux")
  static let updateKernel = Kernel(code: """
    void cell_update(const double *a, double *q, double *res, double *rms, double *top) {
      for (int k = 0; k < 4; k++) { double d = 1e-3 * res[k] / (1.0 + a[0]); q[k] += d; res[k] = 0.0; rms[0] += d * d; }
      if (q[0] > top[0]) top[0] = q[0];
    }
    """, name: "cell_update")
  static let nodeSumKernel = Kernel(code: """
    void node_sum(const double *acc, double *out) { out[0] += 2.0 * acc[0] + 1.0; }
    """, name: "node_sum")
  static let nodeKernel = Kernel(code: """
    void node_move(const double *acc, double *x) { x[0] += 1e-4 * acc[0]; x[1] -= 1e-4 * acc[0]; }
    """, name: "node_move")

  /// The chain's objects on a mesh, and one stage of its loops: every kind of dependence — a
  /// direct WRITE read through a map (`a`), INCs through whole maps and slots from two sets (`res`,
  /// `nodeacc`), a direct read of what was incremented and nothing else (`nodeacc` added into
  /// `nodeout`), a direct RW of what was incremented (`q`, `res`), a direct RW of data read through
  /// a map earlier (`x`: write after read), a Global READ, a Global INC, a Global MAX.
  struct Chain {
    let x, q, a, res, nodeacc, nodeout: Dat<Double>
    let rms, top: Global<Double>
    /// One stage, in program order; `update` (which reduces into `rms`) is `stage[updateIndex]`.
    let stage: [ParLoop]
    static let updateIndex = 4

    init(_ mesh: Mesh) throws {
      let cells = Set(size: mesh.cells, name: "cells"), nodes = Set(size: mesh.nodes, name: "nodes")
      let edges = Set(size: mesh.edges, name: "edges"), bedges = Set(size: mesh.bedges, name: "bedges")
      let e2c = try Map(from: edges, to: cells, arity: 2, values: mesh.edgeCells, name: "e2c")
      let e2n = try Map(from: edges, to: nodes, arity: 2, values: mesh.edgeNodes, name: "e2n")
      let b2c = try Map(from: bedges, to: cells, arity: 1, values: mesh.bedgeCells, name: "b2c")
      x = try Dat<Double>(nodes ** 2, values: mesh.x, name: "x")
      q = try Dat<Double>(cells ** 4, values: mesh.q, name: "q")
      a = Dat<Double>(cells ** 1, name: "a")
      res = Dat<Double>(cells ** 4, name: "res")
      nodeacc = Dat<Double>(nodes ** 1, name: "nodeacc")
      nodeout = Dat<Double>(nodes ** 1, name: "nodeout")
      let s = Global<Double>(value: 0.75, name: "s")
      rms = Global<Double>(value: 0, name: "rms")
      top = Global<Double>(value: -1, name: "top")
      stage = [
        try ParLoop(cellKernel, over: cells, q(.read), s(.read), a(.write)),
        try ParLoop(edgeKernel, over: edges, x(.read, e2n[0]), x(.read, e2n[1]), q(.read, e2c), a(.read, e2c), res(.inc, e2c), nodeacc(.inc, e2n[0])),
        try ParLoop(boundaryKernel, over: bedges, a(.read, b2c[0]), q(.read, b2c[0]), res(.inc, b2c[0])),
        try ParLoop(nodeSumKernel, over: nodes, nodeacc(.read), nodeout(.rw)),
        try ParLoop(updateKernel, over: cells, a(.read), q(.rw), res(.rw), rms(.inc), top(.max)),
        try ParLoop(nodeKernel, over: nodes, nodeacc(.read), x(.rw)),
        try ParLoop(cellKernel, over: cells, q(.read), s(.read), a(.write)),
      ]
    }
  }

  /// Three stages of ``Chain``, `rms` reset by a host store before each stage's `update`.
  static func run(_ mesh: Mesh, backend: Backend, tiling: Int?) throws -> (data: [[Double]], rms: [Double], top: Double, stats: OP2.Statistics) {
    var config = OP2.Configuration.testing(backend)
    config.tiling = tiling != nil
    if let tiling { config.tileSize = tiling }
    return try OP2.withConfiguration(config) {
      let c = try Chain(mesh)
      // Nothing is read between stages: each stage's store into rms queues behind the last
      // stage's update and moves ahead of the loops that do not use rms.
      for _ in 0..<3 {
        for loop in c.stage[..<Chain.updateIndex] { try loop() }
        c.rms.value = [0]
        for loop in c.stage[Chain.updateIndex...] { try loop() }
      }
      let sums = c.rms.value
      return ([c.x.data, c.q.data, c.a.data, c.res.data, c.nodeacc.data, c.nodeout.data], sums, c.top.value[0], OP2.statistics)
    }
  }

  static func largestRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-300) }.max() ?? 0
  }

  @Test("tiled chains equal untiled runs on random meshes, every backend, tiles from 7 elements up",
        arguments: Backend.available, [UInt64(1), 2, 3, 4])
  func equalsUntiled(backend: Backend, seed: UInt64) throws {
    let mesh = Mesh(seed: seed, banded: seed % 2 == 0)
    let reference = try Self.run(mesh, backend: .sequential, tiling: nil)
    #expect(reference.stats.loopsTiled == 0)
    for size in [7, 100, 100_000] {
      let tiled = try Self.run(mesh, backend: backend, tiling: size)
      let names = ["x", "q", "a", "res", "nodeacc", "nodeout"]
      for (k, name) in names.enumerated() {
        let d = Self.largestRelativeDifference(tiled.data[k], reference.data[k])
        #expect(d < 1e-12, "seed \(seed), tile size \(size), \(backend): \(name) differs by \(d) relative")
      }
      #expect(Self.largestRelativeDifference(tiled.rms, reference.rms) < 1e-12, "seed \(seed), tile size \(size): rms \(tiled.rms) vs \(reference.rms)")
      #expect(tiled.top == reference.top)
      if case .opencl = backend {
        #expect(tiled.stats.loopsTiled == 0, "the OpenCL target runs no tiled chain")
      } else {
        // Chains between the stores into rms, run when rms is read: stage 1's first five loops;
        // stage 1's last two with stage 2's first five; stage 2's last two with stage 3's first
        // three and `update` (its `node_sum` is not needed for rms: it runs alone later, as do
        // stage 3's last two loops when the Dats are read). 5 + 7 + 6.
        #expect(tiled.stats.loopsTiled == 18, "seed \(seed), tile size \(size), \(backend): \(tiled.stats.loopsTiled) loops tiled")
      }
    }
  }

  /// The accesses a plan orders: every (loop, element, Dat entry, writes) of a chain.
  static func checkPlan(_ plan: TilePlan, loops: [ParLoop]) -> [String] {
    func time(_ t: Int) -> Int { t == plan.tileCount ? Int.max : (plan.coloured ? plan.colour(of: t) : t) }
    // Tile of each element of each loop, from the schedule.
    var tileOf: [[Int]] = []
    for (k, loop) in loops.enumerated() {
      var tiles = [Int](repeating: -1, count: loop.set.size)
      let s = plan.loops[k]
      for t in 0...plan.tileCount {
        for r in s.ranges[s.rangeStarts[t]..<s.rangeStarts[t + 1]] { for e in r { tiles[Int(e)] = t } }
        for e in s.list[s.listStarts[t]..<s.listStarts[t + 1]] { tiles[Int(e)] = t }
      }
      tileOf.append(tiles)
    }
    var problems: [String] = []
    for (k, tiles) in tileOf.enumerated() where tiles.contains(-1) { problems.append("loop \(k): an element in no tile") }
    // Per Dat entry, its accesses in program order.
    var entries: [String: [(loop: Int, tile: Int, writes: Bool, increments: Bool)]] = [:]
    for (k, loop) in loops.enumerated() {
      for arg in loop.args where !arg.isGlobal {
        let name = "\(ObjectIdentifier(arg.data))"
        for e in 0..<loop.set.size {
          let targets = arg.map.map { m in (arg.index.map { [$0] } ?? Array(0..<m.arity)).map { Int(m.values[e * m.arity + $0]) } } ?? [e]
          for x in targets { entries["\(name)#\(x)", default: []].append((k, tileOf[k][e], arg.access.writes, arg.access == .inc)) }
        }
      }
    }
    // Two accesses to an entry, one of them a write, from different tiles: the earlier loop's
    // tile must run first, unless both increment (increments commute); tiles that run at once
    // (one colour) must never share such an entry.
    for (entry, accesses) in entries {
      for i in accesses.indices {
        for j in accesses.indices where j > i && (accesses[i].writes || accesses[j].writes) {
          let a = accesses[i], b = accesses[j]
          guard a.tile != b.tile else { continue }
          if a.loop < b.loop, !(a.increments && b.increments), !(time(a.tile) < time(b.tile)) {
            problems.append("\(entry): loop \(a.loop) in tile \(a.tile) before loop \(b.loop) in tile \(b.tile), not ordered")
          }
          if plan.coloured, time(a.tile) == time(b.tile) {
            problems.append("\(entry): loops \(a.loop), \(b.loop) in tiles \(a.tile) and \(b.tile) of one colour")
          }
        }
      }
      if problems.count > 10 { break }
    }
    return problems
  }

  @Test("every plan orders each pair of conflicting accesses; a banded mesh needs no remainder",
        arguments: [UInt64(5), 6, 7, 8], [1, 2])
  func plansOrderConflicts(seed: UInt64, colours: Int) throws {
    let mesh = Mesh(seed: seed, banded: seed % 2 == 0)
    try OP2.withConfiguration(.testing(.sequential)) {
      let loops = try Chain(mesh).stage
      for size in [5, 64, 400] {
        let plan = TilePlan(loops: loops, tileSize: size, coloured: colours > 1)
        let problems = Self.checkPlan(plan, loops: loops)
        #expect(problems.isEmpty, "seed \(seed), \(colours) colours, tile size \(size): \(problems.prefix(5))")
        if seed % 2 == 0, size == 400 {
          #expect(plan.remainderCounts.allSatisfy { $0 == 0 }, "banded mesh, tiles of 400 cells: remainder \(plan.remainderCounts)")
          #expect(plan.tileCount == (mesh.cells + 399) / 400)
        }
      }
    }
  }

  @Test("plans are reused for the same chain and rebuilt when a map's values are replaced")
  func planCache() throws {
    let mesh = Mesh(seed: 11, banded: true)
    let cache = TilePlanCache()
    try OP2.withConfiguration(.testing(.sequential)) {
      let cells = Set(size: mesh.cells, name: "cells"), edges = Set(size: mesh.edges, name: "edges")
      let e2c = try Map(from: edges, to: cells, arity: 2, values: mesh.edgeCells, name: "e2c")
      let q = Dat<Double>(cells ** 4, name: "q"), a = Dat<Double>(cells ** 1, name: "a"), res = Dat<Double>(cells ** 4, name: "res")
      let x = Dat<Double>(Set(size: 1, name: "n") ** 2, name: "x")
      _ = x
      let s = Global<Double>(value: 1, name: "s")
      let loops = [
        try ParLoop(Self.cellKernel, over: cells, q(.read), s(.read), a(.write)),
        try ParLoop(Self.boundaryKernel, over: edges, a(.read, e2c[0]), q(.read, e2c[1]), res(.inc, e2c[1])),
      ]
      let first = cache.plan(for: loops, tileSize: 100, coloured: false)
      let again = cache.plan(for: loops, tileSize: 100, coloured: false)
      #expect(first.built && !again.built && first.plan === again.plan)
      #expect(cache.plan(for: loops, tileSize: 100, coloured: true).built)
      e2c.replaceValues(mesh.edgeCells.reversed())
      let renewed = cache.plan(for: loops, tileSize: 100, coloured: false)
      #expect(renewed.built && renewed.plan !== first.plan)
      #expect(cache.misses == 3)
    }
  }

  @Test("airfoil on the built-in grid: tiled chains give the untiled rms to 1e-12, sequential and on 2 threads",
        arguments: [Backend.sequential, .threaded(threads: 2)])
  func airfoil(backend: Backend) throws {
    let mesh = try AirfoilMesh.generate(cells: 4800)
    func rms(tiling: Bool) throws -> ([Double], Int) {
      var config = OP2.Configuration.testing(backend)
      config.blockSize = Plan.standardBlockSize
      config.tiling = tiling
      config.tileSize = 1024
      return try OP2.withConfiguration(config) {
        let sim = try AirfoilSimulation(grid: mesh)
        var values: [Double] = []
        for _ in 0..<30 { values.append(try sim.iterate()) }
        return (values, OP2.statistics.loopsTiled)
      }
    }
    let (plain, untiled) = try rms(tiling: false)
    let (tiled, count) = try rms(tiling: true)
    #expect(untiled == 0 && count == 30 * 9, "\(count) loops tiled")
    #expect(Self.largestRelativeDifference(tiled, plain) < 1e-12, "rms \(tiled.last!) vs \(plain.last!)")
  }
}
