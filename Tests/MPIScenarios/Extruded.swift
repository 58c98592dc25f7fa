import OP2

extension Scenario {
  /// Extruded sets over a randomly partitioned base against the same calls on the whole mesh in
  /// one process: a layered INC through a Map with offsets (the exec halo's columns reach owned
  /// vertices), a Global INC, and a second loop that reads the incremented Dat through the map
  /// (a halo exchange of whole columns). Columns are gathered in the declared numbering.
  static func extruded(_ name: String, backend: Backend) -> Scenario {
    Scenario(name) {
      let mesh = RandomMesh(cells: 300, seed: 29)
      let layers = 4
      var config = OP2.Configuration()
      config.blockSize = 16
      let spread = Kernel(code: """
        void ext_spread(double *s, double *x[6], double *v[6], double *t, int k) {
          for (int i = 0; i < 6; i++) { v[i][0] += s[0] * (i + 1) + x[i][0]; v[i][1] += x[i][1] * (k + 1); }
          t[0] += s[0] * x[0][0] + k;
        }
        """, name: "ext_spread")
      let gather = Kernel(code: """
        void ext_gather(double *v[6], double *w, int k) { w[0] = v[0][0] - 2.0 * v[4][1] + v[5][0] * k; }
        """, name: "ext_gather")
      func compute(partitioned: Bool) throws -> [[Double]] {
        let objects = try MeshObjects(mesh)
        if partitioned {
          try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 7))
          try expect(objects.cells.isDistributed, "cells are distributed")
        }
        let columns = try ExtrudedSet(objects.cells, layers: layers, name: "columns")
        let nodeColumns = try ExtrudedSet(objects.nodes, layers: layers, name: "node_columns")
        try expect(columns.size == objects.cells.size && columns.executedSize == objects.cells.executedSize
                   && columns.totalSize == objects.cells.totalSize && columns.globalIndices == objects.cells.globalIndices,
                   "the extruded set takes its base's layout")
        // Local (after partitioning: renumbered) base rows, bottom then top vertices of each prism.
        let prism = try prismMap(from: columns, to: nodeColumns, triangles: objects.cellToNode.values, name: "prism")
        let nodes = objects.nodes.globalIndices.prefix(objects.nodes.size)
        var xValues: [Double] = [], sValues: [Double] = []
        for g in nodes {
          for k in 0..<layers {
            let dk = Double(k)
            xValues.append(mesh.x[2 * g] + dk)
            xValues.append(mesh.x[2 * g + 1] * (dk + 1))
          }
        }
        // The whole array in the declared numbering, scattered (each rank keeps its columns).
        for g in 0..<mesh.cellCount {
          for k in 0..<layers { sValues.append(mesh.s[g] + 0.1 * Double(k)) }
        }
        let x = try Dat<Double>(nodeColumns ** 2, values: xValues, name: "xe")
        let s = Dat<Double>(columns ** 1, name: "se")
        try s.scatterData(sValues, root: 0)
        let v = Dat<Double>(nodeColumns ** 2, name: "ve")
        let w = Dat<Double>(columns ** 1, name: "we")
        let total = Global<Double>(value: 0.5, name: "total")
        try parLoop(spread, over: columns, iterate: .all, passLayer: true, s(.read), x(.read, prism), v(.inc, prism), total(.inc))
        try parLoop(gather, over: columns, iterate: .all, passLayer: true, v(.read, prism), w(.write))
        return [v.gatheredData(), w.gatheredData(), total.value]
      }
      let reference = try OP2.withConfiguration(config) { try compute(partitioned: false) }
      try expect(reference[0].count == mesh.nodeCount * layers * 2 && reference[0].contains { $0 != 0 }, "the reference did something")
      config.backend = backend
      let got = try OP2.withConfiguration(config) { try compute(partitioned: true) }
      try expectClose(got[0], reference[0], tolerance: 1e-12, "the INC through the prism map")
      try expectClose(got[1], reference[1], tolerance: 1e-12, "the read of the exchanged columns")
      try expectClose(got[2], reference[2], tolerance: 1e-12, "the Global INC")
    }
  }

  /// An extruded set made before its base is partitioned stays whole: a loop over it throws.
  static let extrudedBeforePartition = Scenario("extruded-before-partition") {
    let mesh = RandomMesh(cells: 60, seed: 31)
    let objects = try MeshObjects(mesh)
    let columns = try ExtrudedSet(objects.cells, layers: 3, name: "early_columns")
    try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 3))
    let d = Dat<Double>(columns ** 1, name: "early")
    let bump = Kernel(code: "void ext_bump(double *d) { d[0] += 1.0; }", name: "ext_bump")
    do {
      try parLoop(bump, over: columns, d(.inc))
      throw ScenarioFailure(message: "a loop over an extruded set made before partitioning ran")
    } catch let error as OP2Error {
      guard case .unsupportedOnExtrudedSet(let set, _) = error, set == "early_columns" else { throw error }
    }
    // So does a Sparsity on it (its map rows are in the declared numbering of a base that is now
    // spread over the ranks).
    let early = try Map(from: columns, to: columns, arity: 1, values: (0..<Int32(columns.size)).map { $0 * 3 }, offset: [1], name: "early_own")
    do {
      _ = try Sparsity(columns ** 1, map: early, name: "early_sparsity")
      throw ScenarioFailure(message: "a Sparsity on an extruded set made before partitioning was accepted")
    } catch let error as OP2Error {
      guard case .unsupportedOnExtrudedSet(let set, let reason) = error, set == "early_columns",
            reason == "sparsity early_sparsity: its base cells was partitioned after the extruded set was made; extrude the base after OP2.partition" else { throw error }
    }
  }

  static let extrudedTests: [Scenario] = [
    extruded("extruded-sequential", backend: .sequential),
    extruded("extruded-threaded", backend: .threaded(threads: 2)),
    extrudedBeforePartition,
    extrudedMat,
  ]
}

/// The prism map of extruded triangles: each column's bottom then top vertices (the triangle's
/// node columns at layers 0 and 1, offset 1 per layer), from the triangles' local node rows.
func prismMap(from columns: ExtrudedSet, to nodeColumns: ExtrudedSet, triangles rows: [Int32], name: String) throws(OP2Error) -> Map {
  let layers = Int32(nodeColumns.layers)
  var prismRows: [Int32] = []
  prismRows.reserveCapacity(rows.count * 2)
  for c in 0..<(rows.count / 3) {
    let r = rows[(3 * c)..<(3 * c + 3)]
    for n in r { prismRows.append(n * layers) }
    for n in r { prismRows.append(n * layers + 1) }
  }
  return try Map(from: columns, to: nodeColumns, arity: 6, values: prismRows, offset: Array(repeating: 1, count: 6), name: name)
}
