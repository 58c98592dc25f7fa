import Foundation
import OP2

// Mats on extruded sets over a randomly partitioned base, against the same calls on the whole
// mesh in one process: the matrices entry by entry (denseValues in PETSc's numbering, mapped back
// to the declared one, and each owned row through row(_:)), y = A x, and a CG solve.
// Expectations are recorded (``Checks``) so that no rank leaves the others in a collective call.

extension Scenario {
  /// What one run produced, in the declared numbering: entity `(g, k)` of base element `g` is
  /// `g * layers + k`, scalar `entity * dim + a`.
  private struct ExtrudedMatResults {
    /// A (nodes × nodes, dim 1), B (nodes ** 2 × columns ** 1) and C (nodes ** 2, square: PETSc
    /// blocks of 2), dense, row-major.
    var a: [Double], b: [Double], c: [Double]
    /// A x, B z and C x2, gathered.
    var ax: [Double], bz: [Double], cx: [Double]
    /// The CG solution of A u = f (rows of untouched nodes set to the identity).
    var u: [Double]
    var iterations: Int
  }

  /// A square symmetric positive (semi)definite prism matrix (a mass matrix scaled by the cell's
  /// `s`, a vertical Laplacian weighted by the layer, and the rank-one `w wᵀ` of the nodes' x
  /// coordinates), a rectangular, unsymmetric one from the nodes (dim 2) to the cells, and a
  /// square unsymmetric one of 2 × 2 blocks.
  static let extrudedMat = Scenario("extruded-mat") {
    let check = Checks()
    let mesh = RandomMesh(cells: 120, seed: 37)
    let layers = 4, L = Int32(layers)
    let square = Kernel(code: """
      void ext_square(double A[6][6], const double *s, const double *x[6], int k) {
        for (int a = 0; a < 2; a++) for (int i = 0; i < 3; i++)
          for (int b = 0; b < 2; b++) for (int j = 0; j < 3; j++) {
            double m = s[0] * (i == j ? 2.0 : 1.0) * (a == b ? 2.0 : 1.0) / 36.0;
            double kz = i == j ? (a == b ? 1.0 : -1.0) * (k + 1) : 0.0;
            A[3 * a + i][3 * b + j] += m + kz + 0.1 * x[3 * a + i][0] * x[3 * b + j][0];
          }
      }
      """, name: "ext_square")
    let rectangle = Kernel(code: """
      void ext_rectangle(double B[12][1], const double *x[6], int k) {
        for (int r = 0; r < 12; r++) B[r][0] = x[r / 2][r % 2] * (r + 1) + 0.5 * k;
      }
      """, name: "ext_rectangle")
    let block = Kernel(code: """
      void ext_block(double C[12][12], const double *x[6], int k) {
        for (int r = 0; r < 12; r++) for (int c = 0; c < 12; c++)
          C[r][c] = (r == c ? 2.0 + k : 0.0) + 0.01 * x[r / 2][r % 2] * (c + 1) - 0.02 * x[c / 2][(c + 1) % 2];
      }
      """, name: "ext_block")
    // Nodes no cell touches: their rows are set to the identity before the solve.
    var touched = [Bool](repeating: false, count: mesh.nodeCount)
    for n in mesh.cellNodes { touched[Int(n)] = true }

    func compute(partitioned: Bool, reference: ExtrudedMatResults?) throws -> ExtrudedMatResults {
      let objects = try MeshObjects(mesh)
      if partitioned {
        try OP2.partition(primary: objects.cells, map: objects.cellToNode, method: mesh.randomParts(ranks: OP2.rankCount, seed: 13))
      }
      let columns = try ExtrudedSet(objects.cells, layers: layers, name: "mat_columns")
      let nodeColumns = try ExtrudedSet(objects.nodes, layers: layers, name: "mat_node_columns")
      let prism = try prismMap(from: columns, to: nodeColumns, triangles: objects.cellToNode.values, name: "mat_prism")
      let own = try Map(from: columns, to: columns, arity: 1, values: (0..<Int32(columns.executedSize)).map { $0 * L }, offset: [1], name: "mat_own")
      // Declared-numbering values, scattered: each rank keeps its columns.
      var xValues: [Double] = [], sValues: [Double] = [], fValues: [Double] = [], zValues: [Double] = []
      for g in 0..<mesh.nodeCount {
        for k in 0..<layers {
          xValues += [mesh.x[2 * g] + 0.25 * Double(k), mesh.x[2 * g + 1] - 0.5 * Double(k)]
          fValues.append(touched[g] ? sin(Double(g * layers + k)) : 0)
        }
      }
      for g in 0..<mesh.cellCount {
        for k in 0..<layers {
          sValues.append(mesh.s[g] + 0.1 * Double(k))
          zValues.append(cos(Double(g * layers + k)))
        }
      }
      let x = Dat<Double>(nodeColumns ** 2, name: "mat_x")
      try x.scatterData(xValues)
      let s = Dat<Double>(columns ** 1, name: "mat_s")
      try s.scatterData(sValues)
      let A = try Mat<Double>(try Sparsity(nodeColumns ** 1, map: prism, name: "extruded_square"), name: "A")
      let B = try Mat<Double>(try Sparsity(rows: nodeColumns ** 2, cols: columns ** 1, maps: [(prism, own)], name: "extruded_rectangle"), name: "B")
      try parLoop(square, over: columns, passLayer: true, A(.inc, rows: prism, cols: prism), s(.read), x(.read, prism))
      try parLoop(rectangle, over: columns, passLayer: true, B(.inc, rows: prism, cols: own), x(.read, prism))
      let C = try Mat<Double>(try Sparsity(nodeColumns ** 2, map: prism, name: "extruded_block"), name: "C")
      try parLoop(block, over: columns, passLayer: true, C(.inc, rows: prism, cols: prism), x(.read, prism))
      check.that(A.globalRowCount == mesh.nodeCount * layers && B.globalColumnCount == mesh.cellCount * layers,
                 "global sizes \(A.globalRowCount), \(B.globalColumnCount)")

      // PETSc's numbering of the entities: columns numbered by rank in local order, layers inside.
      func declaredOrder(of set: Set) -> [Int] {
        let owned = Array(set.globalIndices.prefix(set.size))
        return partitioned ? MPIEnvironment.world!.allgather(owned).flatMap { $0 } : owned
      }
      func permuted(_ dense: [Double], rows: (order: [Int], dim: Int), cols: (order: [Int], dim: Int)) -> [Double] {
        let rowCount = rows.order.count * layers * rows.dim, colCount = cols.order.count * layers * cols.dim
        func declared(_ i: Int, _ side: (order: [Int], dim: Int)) -> Int {
          let entity = i / side.dim
          return (side.order[entity / layers] * layers + entity % layers) * side.dim + i % side.dim
        }
        var out = [Double](repeating: .nan, count: dense.count)
        for r in 0..<rowCount { for c in 0..<colCount { out[declared(r, rows) * colCount + declared(c, cols)] = dense[r * colCount + c] } }
        return out
      }
      let nodeOrder = declaredOrder(of: objects.nodes), cellOrder = declaredOrder(of: objects.cells)
      let a = permuted(try A.denseValues(), rows: (nodeOrder, 1), cols: (nodeOrder, 1))
      let b = permuted(try B.denseValues(), rows: (nodeOrder, 2), cols: (cellOrder, 1))
      let c = permuted(try C.denseValues(), rows: (nodeOrder, 2), cols: (nodeOrder, 2))

      if let reference {
        // Every owned row through row(_:): local columns, mapped to the declared numbering.
        for (mat, name, dims, ref, colSet) in [(A, "A", (1, 1), reference.a, objects.nodes), (B, "B", (2, 1), reference.b, objects.cells),
                                               (C, "C", (2, 2), reference.c, objects.nodes)] { check.record {
          let colCount = colSet.globalSize * layers * dims.1
          let rowIndices = objects.nodes.globalIndices, colIndices = colSet.globalIndices
          for r in 0..<mat.rowCount {
            let entity = r / dims.0
            let declaredRow = (rowIndices[entity / layers] * layers + entity % layers) * dims.0 + r % dims.0
            var got = [Double](repeating: 0, count: colCount)
            for (c, v) in try mat.row(r) {
              let e = c / dims.1
              got[(colIndices[e / layers] * layers + e % layers) * dims.1 + c % dims.1] += v
            }
            check.close(got, Array(ref[(declaredRow * colCount)..<((declaredRow + 1) * colCount)]), tolerance: 1e-12,
                        "\(name).row(\(r)) (declared row \(declaredRow))")
          }
        } }
        let owned = (ScenarioSupport.sum(A.rowCount), ScenarioSupport.sum(B.rowCount))
        check.that(owned == (mesh.nodeCount * layers, mesh.nodeCount * layers * 2), "each row is owned once: \(owned)")
        check.that(A.rowCount == objects.nodes.size * layers && objects.nodes.size < mesh.nodeCount,
                   "A owns its owned columns' entities: \(A.rowCount) of \(A.globalRowCount)")
      }

      let xa = Dat<Double>(nodeColumns ** 1, name: "mat_xa")
      try xa.scatterData(fValues.indices.map { 1 + 0.5 * sin(3 * Double($0)) })
      let ya = Dat<Double>(nodeColumns ** 1, name: "mat_ya")
      try A.multiply(xa, into: ya)
      let z = Dat<Double>(columns ** 1, name: "mat_z")
      try z.scatterData(zValues)
      let yb = Dat<Double>(nodeColumns ** 2, name: "mat_yb")
      try B.multiply(z, into: yb)
      let yc = Dat<Double>(nodeColumns ** 2, name: "mat_yc")
      try C.multiply(x, into: yc)

      // Solve A u = f with the untouched nodes' rows (every layer) set to the identity.
      let f = Dat<Double>(nodeColumns ** 1, name: "mat_f")
      try f.scatterData(fValues)
      let u = Dat<Double>(nodeColumns ** 1, name: "mat_u")
      let nodeIndices = objects.nodes.globalIndices
      let untouched = (0..<objects.nodes.size).filter { !touched[nodeIndices[$0]] }.flatMap { c in (0..<layers).map { c * layers + $0 } }
      try A.zeroRows(untouched, diagonal: 1, symmetric: true, solution: u, rhs: f)
      let report = try Solver(options: ["ksp_type": "cg", "pc_type": "jacobi", "ksp_rtol": "1e-13", "ksp_max_it": "2000"], name: "extruded_cg")
        .solve(A, solution: u, rhs: f)
      check.that(report.reason.converged, "CG: \(report.reason)")
      return ExtrudedMatResults(a: a, b: b, c: c, ax: ya.gatheredData(), bz: yb.gatheredData(), cx: yc.gatheredData(),
                                u: u.gatheredData(), iterations: report.iterations)
    }

    let reference = try OP2.withConfiguration(.init()) { try compute(partitioned: false, reference: nil) }
    check.that(reference.a.contains { $0 != 0 } && reference.b.contains { $0 != 0 } && reference.u.contains { $0 != 0 }, "the reference did something")
    check.that(![reference.a, reference.b, reference.c].contains { $0.contains { $0.isNaN } }, "the reference permutation covers every entry")
    let got = try OP2.withConfiguration(.init()) { try compute(partitioned: true, reference: reference) }
    check.close(got.a, reference.a, tolerance: 1e-12, "A.denseValues in the declared numbering")
    check.close(got.b, reference.b, tolerance: 1e-12, "B.denseValues in the declared numbering")
    check.close(got.c, reference.c, tolerance: 1e-12, "C.denseValues (2 × 2 blocks) in the declared numbering")
    check.close(got.ax, reference.ax, tolerance: 1e-12, "A x")
    check.close(got.cx, reference.cx, tolerance: 1e-12, "C x")
    check.close(got.bz, reference.bz, tolerance: 1e-12, "B z")
    check.close(got.u, reference.u, tolerance: 1e-8, "the CG solution")
    try check.finish()
  }
}
