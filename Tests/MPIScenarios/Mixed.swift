import OP2

extension Scenario {
  /// Mixed spaces on the partitioned random mesh against the same calls on the whole mesh in one
  /// process: a mixed INC through a MixedMap (the exec halo reaches owned targets of both
  /// components), a block Mat assembled block by block and through MixedMaps, and a fieldsplit
  /// solve over the MATNEST of distributed AIJ blocks.
  static func mixed(_ name: String, backend: Backend) -> Scenario {
    Scenario(name) {
      let mesh = RandomMesh(cells: 300, seed: 23)
      var config = OP2.Configuration()
      config.blockSize = 16
      let load = Kernel(code: """
        void mixed_load(const double *s, double *bu[3], double *bp[3]) {
          for (int k = 0; k < 3; k++) { bu[k][0] += s[0]; bu[k][1] -= 0.5 * s[0] + k; bp[k][0] += 1.0 + k; }
        }
        """, name: "mixed_load")
      let mass = Kernel(code: """
        void mixed_mass(double A[6][6]) {
          for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) A[i][j] = (i == j) ? 4.0 : (i % 2 == j % 2 ? 1.0 : 0.0);
        }
        """, name: "mixed_mass")
      let rest = Kernel(code: """
        void mixed_rest(double B[6][3], double Bt[3][6], double C[3][3]) {
          for (int i = 0; i < 6; i++) for (int j = 0; j < 3; j++) { B[i][j] = 0.1 * (i - j); Bt[j][i] = 0.1 * (i - j); }
          for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) C[i][j] = (i == j) ? 3.0 : 1.0;
        }
        """, name: "mixed_rest")
      func compute(partitioned: Bool) throws -> [[Double]] {
        let objects = try MeshObjects(mesh)
        let shape = try MixedSet([objects.nodes, objects.nodes]) ** [2, 1]
        let c2s = try MixedMap([objects.cellToNode, objects.cellToNode], name: "c2s")
        if partitioned {
          try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 5))
        }
        let b = MixedDat<Double>(shape, name: "b")
        try parLoop(load, over: objects.cells, objects.s(.read), b(.inc, c2s))
        let A = try Mat<Double>(try Sparsity(shape, map: c2s, name: "mixed"), name: "A")
        let c2n = objects.cellToNode
        try parLoop(mass, over: objects.cells, A[0, 0](.inc, rows: c2n, cols: c2n))
        try parLoop(rest, over: objects.cells, A[0, 1](.inc, rows: c2n, cols: c2n), A[1, 0](.inc, rows: c2n, cols: c2n),
                    A[1, 1](.inc, rows: c2n, cols: c2n))
        let x = MixedDat<Double>(shape, name: "x")
        let solver = try Solver(options: ["ksp_type": "gmres", "ksp_rtol": "1e-12", "pc_type": "fieldsplit",
                                          "pc_fieldsplit_type": "multiplicative", "fieldsplit_0_pc_type": "jacobi",
                                          "fieldsplit_1_pc_type": "jacobi"], name: "mixed")
        try solver.solve(A, solution: x, rhs: b)
        let dense = try A.denseValues()
        return [b[0].gatheredData(), b[1].gatheredData(), x[0].gatheredData(), x[1].gatheredData(),
                [dense.reduce(0) { $0 + $1 * $1 }, Double(A.globalRowCount)]]
      }
      let reference = try OP2.withConfiguration(config) { try compute(partitioned: false) }
      config.backend = backend
      let got = try OP2.withConfiguration(config) { try compute(partitioned: true) }
      for (k, what) in ["b[0]", "b[1]"].enumerated() { try expectClose(got[k], reference[k], tolerance: 1e-12, what) }
      for (k, what) in ["x[0]", "x[1]"].enumerated() { try expectClose(got[k + 2], reference[k + 2], tolerance: 1e-8, what) }
      try expectClose(got[4], reference[4], tolerance: 1e-10, "the block Mat's squared entries and rows")
    }
  }

  static let mixedTests: [Scenario] = [
    mixed("mixed-sequential", backend: .sequential),
    mixed("mixed-threaded", backend: .threaded(threads: 2)),
  ]
}
