import OP2

/// OP2's halo definitions computed naively on the whole mesh, as an oracle for the distributed
/// construction: which elements of each set a rank owns, which are core, and what its exec and
/// non-exec halos are, in the local order `[core | owned | exec | non-exec]`.
struct HaloOracle {
  struct SetMaps {
    var size: Int
    /// Maps from this set: (target set index, arity, values).
    var outgoing: [(to: Int, arity: Int, values: [Int32])]
  }

  var sets: [SetMaps]
  var parts: [[Int]]

  /// Parts as the library derives them from the primary set's: a set with a map to a
  /// partitioned set follows its first target (slot 0); a set that a partitioned set maps to takes
  /// the lowest part among its sources (unreached elements keep their block); in rounds.
  init(sets: [SetMaps], primary: Int, primaryParts: [Int], ranks: Int) {
    self.sets = sets
    var parts = [[Int]?](repeating: nil, count: sets.count)
    parts[primary] = primaryParts
    while true {
      let known = parts.map { $0 != nil }
      var progress = false
      for (i, s) in sets.enumerated() where parts[i] == nil {
        if let m = s.outgoing.first(where: { known[$0.to] }) {
          parts[i] = (0..<s.size).map { parts[m.to]![Int(m.values[$0 * m.arity])] }
        } else if let (from, m) = sets.enumerated().lazy.flatMap({ f in f.element.outgoing.map { (f.offset, $0) } })
          .first(where: { $0.1.to == i && known[$0.0] })
        {
          var p = (0..<s.size).map { j in (0..<ranks).first { r in j < s.size * (r + 1) / ranks }! }
          var reached = [Bool](repeating: false, count: s.size)
          for (k, t) in m.values.enumerated() {
            let part = parts[from]![k / m.arity]
            if !reached[Int(t)] || part < p[Int(t)] { p[Int(t)] = part; reached[Int(t)] = true }
          }
          parts[i] = p
        } else {
          continue
        }
        progress = true
      }
      if !progress { break }
    }
    self.parts = parts.enumerated().map { i, p in
      p ?? (0..<sets[i].size).map { j in (0..<ranks).first { r in j < sets[i].size * (r + 1) / ranks }! }
    }
  }

  /// The expected layout of set `i` on rank `me`: (core, owned, executed, total, global indices).
  func layout(of i: Int, on me: Int) -> (core: Int, owned: Int, executed: Int, total: Int, indices: [Int]) {
    let s = sets[i]
    let owned = (0..<s.size).filter { parts[i][$0] == me }
    func targets(_ e: Int, of set: Int) -> [(to: Int, element: Int)] {
      sets[set].outgoing.flatMap { m in (0..<m.arity).map { (m.to, Int(m.values[e * m.arity + $0])) } }
    }
    let core = owned.filter { e in targets(e, of: i).allSatisfy { parts[$0.to][$0.element] == me } }
    let coreSet = Swift.Set(core)
    let exec = (0..<s.size).filter { e in parts[i][e] != me && targets(e, of: i).contains { parts[$0.to][$0.element] == me } }
      .sorted { (parts[i][$0], $0) < (parts[i][$1], $1) }
    let execSet = Swift.Set(exec)
    var nonexec = Swift.Set<Int>()
    for (j, other) in sets.enumerated() {
      let executed = (0..<other.size).filter { parts[j][$0] == me } + (0..<other.size).filter { e in
        parts[j][e] != me && targets(e, of: j).contains { parts[$0.to][$0.element] == me }
      }
      for e in executed {
        for t in targets(e, of: j) where t.to == i && parts[i][t.element] != me && !execSet.contains(t.element) {
          nonexec.insert(t.element)
        }
      }
    }
    let nonexecList = nonexec.sorted { (parts[i][$0], $0) < (parts[i][$1], $1) }
    let indices = core + owned.filter { !coreSet.contains($0) } + exec + nonexecList
    return (core.count, owned.count, owned.count + exec.count, indices.count, indices)
  }
}

extension Scenario {
  static let halos: [Scenario] = [
    Scenario("halo-chain-by-hand") {
      // Six cells in a chain, cell i on nodes i and i+1, cells split in halves (two ranks) or
      // thirds. Hand-derived for two ranks: rank 0 owns cells 0–2 (all core: their nodes 0–3 are
      // its own, node 3 going to the lower rank), imports cell 3 as exec halo (it writes node 3)
      // and node 4 as non-exec halo; rank 1 owns cells 3–5 (cell 3, on node 3, is not core) and
      // nodes 4–6, and imports node 3.
      let ranks = OP2.rankCount
      let nodes = Set(size: 7, name: "nodes"), cells = Set(size: 6, name: "cells")
      let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<6).flatMap { [$0, $0 + 1] }, name: "cell2node")
      let parts = (0..<6).map { $0 * ranks / 6 }
      try OP2.partition(primary: cells, map: map, method: .given(parts))
      if ranks == 2 {
        let expected: [[Int]] = OP2.rank == 0 ? [[3, 3, 4, 4], [4, 4, 4, 5]] : [[2, 3, 3, 3], [3, 3, 3, 4]]
        let got = [cells, nodes].map { [$0.coreSize, $0.size, $0.executedSize, $0.totalSize] }
        try expect(got == expected, "rank \(OP2.rank): (core, owned, exec, total) of cells, nodes = \(got), expected \(expected)")
        let indices = [cells.globalIndices, nodes.globalIndices]
        let expectedIndices: [[Int]] = OP2.rank == 0 ? [[0, 1, 2, 3], [0, 1, 2, 3, 4]] : [[4, 5, 3], [4, 5, 6, 3]]
        try expect(indices == expectedIndices, "global indices \(indices), expected \(expectedIndices)")
        // The map, renumbered to local indices, still reads the same global nodes.
        let local = map.values.map { nodes.globalIndices[Int($0)] }
        let wanted = cells.globalIndices.prefix(cells.executedSize).flatMap { [$0, $0 + 1] }
        try expect(local == wanted, "renumbered map reads global nodes \(local), expected \(wanted)")
      }
      try checkAgainstOracle(sets: [nodes, cells], maps: [(cells, nodes, 2, (0..<6).flatMap { [Int32($0), Int32($0 + 1)] })],
                             primary: 1, parts: parts)
    },
    Scenario("halo-random-mesh") {
      for seed in [1, 2, 3] as [UInt64] {
        let mesh = RandomMesh(cells: 120, seed: seed)
        let parts = mesh.randomPartArray(ranks: OP2.rankCount, seed: seed + 10)
        let objects = try MeshObjects(mesh)
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: .given(parts))
        try checkAgainstOracle(sets: [objects.nodes, objects.cells, objects.edges],
                               maps: [(objects.cells, objects.nodes, 3, mesh.cellNodes), (objects.edges, objects.cells, 2, mesh.edgeCells),
                                      (objects.edges, objects.nodes, 2, mesh.edgeNodes)],
                               primary: 1, parts: parts)
        // Every local map entry points at the right global element.
        for (map, values) in [(objects.cellToNode, mesh.cellNodes), (objects.edgeToCell, mesh.edgeCells), (objects.edgeToNode, mesh.edgeNodes)] {
          let from = map.from.globalIndices, to = map.to.globalIndices
          for e in 0..<map.from.executedSize {
            for k in 0..<map.arity {
              let got = to[Int(map.values[e * map.arity + k])], want = Int(values[from[e] * map.arity + k])
              try expect(got == want, "\(map.name) of element \(from[e]) slot \(k): \(got), expected \(want)")
            }
          }
        }
        // Data moved with its elements.
        let x = objects.x.gatheredData()
        try expect(x == mesh.x, "x gathered back differs")
        let local = objects.q.data, indices = objects.cells.globalIndices
        for i in 0..<objects.cells.size {
          try expect(Array(local[(2 * i)..<(2 * i + 2)]) == Array(mesh.q[(2 * indices[i])..<(2 * indices[i] + 2)]), "q of cell \(indices[i])")
        }
      }
    },
    Scenario("halo-census-matches-partition") {
      // DecompositionCensus (the serial count behind op2-bench scaling) against what
      // OP2.partition built: given random parts, and METIS on the graph the census builds itself
      // (the same CSR as the library's, so METIS's fixed seed gives the same parts).
      for (seed, metis) in [(1, false), (2, false), (3, true), (4, true)] as [(UInt64, Bool)] {
        let mesh = RandomMesh(cells: 150, seed: seed)
        let ranks = OP2.rankCount, me = OP2.rank
        let objects = try MeshObjects(mesh)
        var parts = mesh.randomPartArray(ranks: ranks, seed: seed + 10).map { Int32($0) }
        if metis {
          let graph = DecompositionCensus.adjacency(of: mesh.cellNodes, arity: 3, sourceCount: mesh.cellCount, targetCount: mesh.nodeCount)
          parts = try METIS.partitionWhole(offsets: graph.offsets, adjacency: graph.adjacency, parts: ranks)
        }
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: metis ? .metis : .given(parts.map { Int($0) }))
        let sets = [objects.nodes, objects.cells, objects.edges]
        let census = DecompositionCensus(
          sets: sets.map { .init(name: $0.name, size: $0.globalSize) },
          maps: [.init(name: "cell2node", from: 1, to: 0, arity: 3, values: mesh.cellNodes),
                 .init(name: "edge2cell", from: 2, to: 1, arity: 2, values: mesh.edgeCells),
                 .init(name: "edge2node", from: 2, to: 0, arity: 2, values: mesh.edgeNodes)],
          primary: 1, primaryParts: parts, parts: ranks)
        for (i, s) in sets.enumerated() {
          let c = census.counts[i]
          let want = [c.core[me], c.owned[me], c.owned[me] + c.exec[me], c.owned[me] + c.exec[me] + c.nonExec[me]]
          let got = [s.coreSize, s.size, s.executedSize, s.totalSize]
          try expect(got == want, "seed \(seed)\(metis ? " (METIS)" : ""), rank \(me) set \(s.name): (core, owned, executed, total) = \(got), census \(want)")
          let imports = s.distribution.map { $0.imports.map { [$0.rank, $0.elements.count] } } ?? []
          let exports = s.distribution.map { $0.exports.map { [$0.rank, $0.elements.count] } } ?? []
          let wantImports = census.imports[i].filter { $0.importer == me }.map { [$0.owner, $0.elements] }
          let wantExports = census.imports[i].filter { $0.owner == me }.map { [$0.importer, $0.elements] }
          try expect(imports == wantImports && exports == wantExports,
                     "seed \(seed), rank \(me) set \(s.name): imports \(imports), exports \(exports); census \(wantImports), \(wantExports)")
        }
      }
    },
  ]

  /// Compares every set's layout and local order on this rank with ``HaloOracle``.
  static func checkAgainstOracle(sets: [Set], maps: [(Set, Set, Int, [Int32])], primary: Int, parts: [Int]) throws {
    let index = { (s: Set) in sets.firstIndex { $0 === s }! }
    let oracle = HaloOracle(
      sets: sets.map { s in
        HaloOracle.SetMaps(size: s.globalSize, outgoing: maps.filter { $0.0 === s }.map { (index($0.1), $0.2, $0.3) })
      },
      primary: primary, primaryParts: parts, ranks: OP2.rankCount)
    for (i, s) in sets.enumerated() {
      let want = oracle.layout(of: i, on: OP2.rank)
      let got = (s.coreSize, s.size, s.executedSize, s.totalSize)
      try expect(got == (want.core, want.owned, want.executed, want.total),
                 "rank \(OP2.rank) set \(s.name): (core, owned, exec, total) = \(got), expected \((want.core, want.owned, want.executed, want.total))")
      try expect(s.globalIndices == want.indices, "rank \(OP2.rank) set \(s.name): local order \(s.globalIndices), expected \(want.indices)")
    }
  }
}
