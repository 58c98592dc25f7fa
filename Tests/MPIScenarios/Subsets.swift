import OP2

extension Scenario {
  /// Loops over subsets of a randomly partitioned mesh against the same subsets of global elements
  /// in one process: INC through maps (the exec-halo elements of the subset run here), direct
  /// RW, a Global reduction over owned elements only, `zero(subset:)`, `copy(to:subset:)` and a
  /// subset of a subset. Each rank's subset is its local indices (owned and exec halo) of the
  /// chosen global elements.
  static func subsets(_ name: String, backend: Backend) -> Scenario {
    Scenario(name) {
      let mesh = RandomMesh(cells: 300, seed: 29)
      var rng = SeededGenerator(seed: 5)
      let chosenCells = Swift.Set((0..<mesh.cellCount).filter { _ in Int.random(in: 0..<5, using: &rng) < 2 })
      let chosenEdges = Swift.Set((0..<mesh.edgeCount).filter { _ in Int.random(in: 0..<3, using: &rng) == 0 })
      let chosenNodes = Swift.Set((0..<mesh.nodeCount).filter { _ in Int.random(in: 0..<4, using: &rng) == 0 })
      /// Local indices, owned and exec halo, of the chosen global elements of `set`.
      func local(_ set: Set, _ chosen: Swift.Set<Int>) -> [Int] {
        let global = set.globalIndices
        return (0..<set.executedSize).filter { chosen.contains(global[$0]) }
      }
      var config = OP2.Configuration()
      config.blockSize = 16
      config.checkPlans = true
      func compute(partitioned: Bool) throws -> (dats: [[Double]], globals: [Double]) {
        let o = try MeshObjects(mesh)
        let early = try Subset(of: o.cells, indices: [0], name: "early")
        if partitioned {
          try OP2.partition(primary: o.cells, map: o.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 13))
          try expectError(.unsupportedOnSubset(subset: "early", reason: "set cells was partitioned after the subset was made, so its indices number elements that moved; make subsets after OP2.partition, with local indices")) {
            try parLoop(MeshObjects.scale, over: early, o.q(.rw), o.s(.read))
          }
          try expectError(.subsetIndexOutOfRange(subset: "halo", index: o.cells.executedSize, set: "cells", size: o.cells.executedSize)) {
            _ = try Subset(of: o.cells, indices: [o.cells.executedSize], name: "halo")
          }
        }
        let cells = try Subset(of: o.cells, indices: local(o.cells, chosenCells), name: "some_cells")
        let edges = try Subset(of: o.edges, indices: local(o.edges, chosenEdges), name: "some_edges")
        let nodes = try Subset(of: o.nodes, indices: local(o.nodes, chosenNodes), name: "some_nodes")
        // Positions in `cells` whose global cell is even: a subset of a subset.
        let cellGlobals = o.cells.globalIndices
        let even = try Subset(of: cells, indices: cells.indices.indices.filter { cellGlobals[cells.indices[$0]] % 2 == 0 }, name: "even")
        if partitioned {
          let owned = ScenarioSupport.sum(cells.size)
          try expect(owned == chosenCells.count, "owned subset elements add up over ranks: \(owned), expected \(chosenCells.count)")
          try expect(cells.coreSize <= cells.size && cells.size <= cells.totalSize, "core \(cells.coreSize) ≤ owned \(cells.size) ≤ total \(cells.totalSize)")
          let halo = ScenarioSupport.sum(cells.totalSize - cells.size), nonCore = ScenarioSupport.sum(cells.size - cells.coreSize)
          try expect(halo > 0 && nonCore > 0, "the subset has exec-halo (\(halo)) and non-core owned (\(nonCore)) elements")
        }
        for _ in 0..<2 {
          try parLoop(MeshObjects.scale, over: even, o.q(.rw), o.s(.read))
          try parLoop(MeshObjects.spread, over: cells, o.v(.inc, o.cellToNode), o.q(.read))
          try parLoop(MeshObjects.flux, over: edges, o.q(.read, o.edgeToCell[0]), o.q(.read, o.edgeToCell[1]), o.x(.read, o.edgeToNode[1]),
                      o.r(.inc, o.edgeToCell[0]), o.r(.inc, o.edgeToCell[1]))
          try parLoop(MeshObjects.stats, over: cells, o.q(.read), o.r(.read), o.sum(.inc), o.minimum(.min), o.maximum(.max))
          try parLoop(MeshObjects.tally, over: cells, o.count(.rw, o.cellToNode))
          try o.x.zero(subset: nodes)
          try o.v.copy(to: o.x, subset: nodes)
          try parLoop(MeshObjects.move, over: o.nodes, o.x(.rw), o.v(.read))
        }
        let r = o.results()
        return (["x", "v", "q", "r"].map { r.dats[$0]! } + [r.dats["count"]!], r.globals)
      }
      let reference = try OP2.withConfiguration(config) { try compute(partitioned: false) }
      config.backend = backend
      let got = try OP2.withConfiguration(config) { try compute(partitioned: true) }
      for (k, name) in ["x", "v", "q", "r", "count"].enumerated() {
        try expectClose(got.dats[k], reference.dats[k], tolerance: 1e-12, name)
      }
      try expectClose(got.globals, reference.globals, tolerance: 1e-12, "sum, minimum, maximum")
    }
  }

  static let subsetTests: [Scenario] = [
    subsets("subsets-sequential", backend: .sequential),
    subsets("subsets-threaded", backend: .threaded(threads: 2)),
  ]
}
