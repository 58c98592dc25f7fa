import OP2

extension Scenario {
  /// Runs ``MeshObjects/run(iterations:)`` on the whole mesh on this rank (replicated), then on the
  /// partitioned mesh, and compares everything gathered back.
  static func differential(_ name: String, backend: Backend, inBlocks: Bool = false,
                           method: @escaping @Sendable (RandomMesh, MeshObjects) -> OP2.PartitionMethod) -> Scenario {
    Scenario(name) {
      let mesh = RandomMesh(cells: 300, seed: 42)
      var config = OP2.Configuration()
      config.blockSize = 16
      config.checkPlans = true
      // The reference: sequential, one process's view, before anything is distributed.
      let reference = try OP2.withConfiguration(config) { () throws -> (dats: [String: [Double]], globals: [Double]) in
        let objects = try MeshObjects(mesh)
        try objects.run(iterations: 3)
        return objects.results()
      }
      config.backend = backend
      try OP2.withConfiguration(config) {
        let objects = try MeshObjects(mesh, inBlocks: inBlocks)
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: method(mesh, objects))
        try expect(objects.cells.isDistributed == (OP2.rankCount > 1), "cells distributed: \(objects.cells.isDistributed)")
        try objects.run(iterations: 3)
        let got = objects.results()
        try expect(OP2.statistics.loopsFused > 0, "no loops were fused")
        for (name, values) in reference.dats.sorted(by: { $0.key < $1.key }) {
          try expectClose(got.dats[name] ?? [], values, tolerance: 1e-12, name)
        }
        try expectClose(got.globals, reference.globals, tolerance: 1e-12, "globals (sum, min, max)")
      }
    }
  }

  static let differentialTests: [Scenario] = [
    differential("differential-sequential-given", backend: .sequential) { mesh, _ in mesh.randomParts(ranks: OP2.rankCount, seed: 5) },
    differential("differential-sequential-block", backend: .sequential) { _, _ in .block },
    differential("differential-threaded-given", backend: .threaded(threads: 2)) { mesh, _ in mesh.randomParts(ranks: OP2.rankCount, seed: 6) },
    differential("differential-sequential-ptscotch", backend: .sequential) { _, _ in .ptscotch },
    differential("differential-threaded-metis", backend: .threaded(threads: 2)) { _, _ in .metis },
    differential("differential-sequential-geometric", backend: .sequential) { _, objects in .geometric(coordinates: objects.x) },
    // The large-mesh path: every rank declares only its blocks.
    differential("differential-blocks-ptscotch", backend: .sequential, inBlocks: true) { _, _ in .ptscotch },
    differential("differential-blocks-threaded-geometric", backend: .threaded(threads: 2), inBlocks: true) { _, objects in
      .geometric(coordinates: objects.x)
    },
    differential("differential-blocks-given", backend: .sequential, inBlocks: true) { mesh, objects in
      let first = objects.cells.globalIndices.first ?? 0
      return .given(Array(mesh.randomPartArray(ranks: OP2.rankCount, seed: 8)[first..<(first + objects.cells.size)]))
    },
  ]
}

extension RandomMesh {
  func randomParts(ranks: Int, seed: UInt64) -> OP2.PartitionMethod { .given(randomPartArray(ranks: ranks, seed: seed)) }
}

extension Scenario {
  static let reports: [Scenario] = [
    Scenario("timing-report-across-ranks") {
      var config = OP2.Configuration()
      config.blockSize = 16
      try OP2.withConfiguration(config) {
        let mesh = RandomMesh(cells: 200, seed: 9)
        let objects = try MeshObjects(mesh)
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: .given(mesh.randomPartArray(ranks: OP2.rankCount, seed: 3)))
        try objects.run(iterations: 2)
        let report = OP2.gatheredTimingReport()
        try expect(report.ranks == OP2.rankCount, "report covers \(report.ranks) ranks")
        let names = report.rows.map(\.name)
        for loop in ["scale", "gather3", "spread", "move", "flux", "stats", "tally"] {
          try expect(names.contains { $0.split(separator: "+").contains(Substring(loop)) }, "no row for \(loop) in \(names)")
        }
        // gather3 reads x through a map after move wrote it: an exchange in each iteration but the
        // first; flux reads q, written by scale, through a map.
        for row in report.rows where row.name == "flux" || row.name == "gather3" {
          let expected = row.name == "flux" ? 2 : 1
          if OP2.rankCount > 1 {
            try expect(row.haloExchanges >= expected && row.haloBytes > 0, "\(row.name): \(row.haloExchanges) exchanges, \(row.haloBytes) bytes")
          } else {
            try expect(row.haloExchanges == 0, "\(row.name): exchanges on one rank")
          }
          try expect(row.seconds >= (row.averageSeconds ?? 0), "\(row.name): max below average")
        }
        let text = report.description
        try expect(OP2.rankCount == 1 || (text.contains("halo (s)") && text.contains("\(OP2.rankCount) ranks")), "report text:\n\(text)")
      }
    },
  ]

  /// Run alone: a program that never partitions runs replicated and says so once.
  static let replicated = Scenario("replicated-without-partition") {
    let mesh = RandomMesh(cells: 90, seed: 4)
    let objects = try MeshObjects(mesh)
    try objects.run(iterations: 2)
    let (dats, globals) = objects.results()
    try expect(!objects.cells.isDistributed && objects.cells.size == 90, "cells were distributed")
    let all = ScenarioSupport.gatherMessages("\(dats.sorted { $0.key < $1.key }.map(\.value)) \(globals)")
    try expect(Swift.Set(all).count == 1, "ranks computed different results")
  }
}
