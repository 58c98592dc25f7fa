import OP2

extension Scenario {
  /// Dat algebra and MIN/MAX into Dats through maps, on the partitioned mesh, against the same
  /// calls on the whole mesh in one process: inner products and norms sum owned elements over
  /// ranks; MIN/MAX through maps reach owned targets from the exec halo, as INC does.
  static func algebra(_ name: String, backend: Backend) -> Scenario {
    Scenario(name) {
      let mesh = RandomMesh(cells: 300, seed: 17)
      var config = OP2.Configuration()
      config.blockSize = 16
      config.checkPlans = true
      let extremes = Kernel(code: """
        void extremes(const double *w, double **lo, double *hi[3], double *top) {
          for (int k = 0; k < 3; k++) {
            for (int d = 0; d < 2; d++) lo[k][d] = fmin(lo[k][d], w[d]);
            hi[k][0] = fmax(hi[k][0], w[0] + w[1]);
          }
          top[0] = w[0] - w[1];
        }
        """, name: "extremes")
      func compute(partitioned: Bool) throws -> (dats: [[Double]], inner: Double, norm: Double) {
        let objects = try MeshObjects(mesh)
        let lo = try Dat<Double>(objects.nodes ** 2, values: Array(repeating: 100, count: 2 * mesh.nodeCount), name: "lo")
        let hi = try Dat<Double>(objects.nodes ** 1, values: Array(repeating: -100, count: mesh.nodeCount), name: "hi")
        let top = Dat<Double>(objects.cells ** 1, name: "top")
        if partitioned {
          try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 11))
        }
        let w = try objects.q * 2.0 - 0.5
        try w.axpy(3, objects.q)
        try w *= w
        try parLoop(extremes, over: objects.cells, w(.read), lo(.min, objects.cellToNode), hi(.max, objects.cellToNode), top(.max))
        return ([w.gatheredData(), lo.gatheredData(), hi.gatheredData(), top.gatheredData()], try w.inner(objects.q), try w.norm)
      }
      let reference = try OP2.withConfiguration(config) { try compute(partitioned: false) }
      config.backend = backend
      let got = try OP2.withConfiguration(config) { try compute(partitioned: true) }
      for (k, name) in ["w", "lo", "hi", "top"].enumerated() {
        try expectClose(got.dats[k], reference.dats[k], tolerance: 1e-13, name)
      }
      try expectClose([got.inner, got.norm], [reference.inner, reference.norm], tolerance: 1e-12, "inner and norm")
    }
  }

  static let algebraTests: [Scenario] = [
    algebra("algebra-minmax-sequential", backend: .sequential),
    algebra("algebra-minmax-threaded", backend: .threaded(threads: 2)),
  ]
}
