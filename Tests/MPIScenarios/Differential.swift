import OP2

extension Scenario {
  /// Runs ``MeshObjects/run(iterations:)`` on the whole mesh on this rank (replicated), then on the
  /// partitioned mesh, and compares everything gathered back.
  static func differential(_ name: String, backend: Backend, method: @escaping @Sendable (RandomMesh) -> OP2.PartitionMethod) -> Scenario {
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
        let objects = try MeshObjects(mesh)
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: method(mesh))
        try expect(objects.cells.isDistributed == (OP2.rankCount > 1), "cells distributed: \(objects.cells.isDistributed)")
        try objects.run(iterations: 3)
        let got = objects.results()
        for (name, values) in reference.dats.sorted(by: { $0.key < $1.key }) {
          try expectClose(got.dats[name] ?? [], values, tolerance: 1e-12, name)
        }
        try expectClose(got.globals, reference.globals, tolerance: 1e-12, "globals (sum, min, max)")
      }
    }
  }

  static let differentialTests: [Scenario] = [
    differential("differential-sequential-given", backend: .sequential) { $0.randomParts(ranks: OP2.rankCount, seed: 5) },
    differential("differential-sequential-block", backend: .sequential) { _ in .block },
    differential("differential-threaded-given", backend: .threaded(threads: 2)) { $0.randomParts(ranks: OP2.rankCount, seed: 6) },
  ]
}

extension RandomMesh {
  func randomParts(ranks: Int, seed: UInt64) -> OP2.PartitionMethod { .given(randomPartArray(ranks: ranks, seed: seed)) }
}
