// An independent, plain-Swift transcription of OP2-Common's sequential airfoil
// (apps/c/airfoil/airfoil_plain/dp: airfoil.cpp and the kernels save_soln.h,
// adt_calc.h, res_calc.h, bres_calc.h, update.h). No OP2 machinery is involved:
// the tests use it to check the OP2-based application value by value.
//
// Every expression keeps the grouping and evaluation order of the C source
// (left-to-right sums, `0.5f*ri*(...)` as `(0.5*ri)*(...)`, and so on), so that the
// results agree bit for bit with the C code compiled without FMA contraction.
// Swift never contracts `a*b + c` into an FMA, and `squareRoot()` is the correctly
// rounded IEEE square root, like C's `sqrt`. The C float literals used in the
// kernels (`0.5f`, `1.0f`, `0.0f`) are exact in double and appear here as doubles.

/// Reference airfoil solver over a mesh given as OP2's `new_grid.dat` arrays (0-based).
struct AirfoilReference {
  let nodeCount: Int
  let cellCount: Int
  let edgeCount: Int
  let bedgeCount: Int

  /// Node coordinates, 2 per node.
  let x: [Double]
  /// cell -> 4 nodes.
  let cellNodes: [Int32]
  /// edge -> 2 nodes.
  let edgeNodes: [Int32]
  /// edge -> 2 cells.
  let edgeCells: [Int32]
  /// boundary edge -> 2 nodes.
  let bedgeNodes: [Int32]
  /// boundary edge -> 1 cell.
  let bedgeCells: [Int32]
  /// boundary edge type (1 = wall, otherwise far field), 1 per boundary edge.
  let bound: [Int32]

  /// Flow variables, 4 per cell; initialised to `qinf`.
  var q: [Double]
  /// Flow variables saved at the start of each iteration, 4 per cell.
  var qold: [Double]
  /// Flux residual, 4 per cell; initialised to 0 and reset to 0 by every update.
  var res: [Double]
  /// Area / time step, 1 per cell; initialised to 0.
  var adt: [Double]

  /// The global constants exactly as airfoil.cpp sets them (float literals
  /// assigned to doubles):
  ///
  ///     gam = 1.4f; gm1 = gam - 1.0f; cfl = 0.9f; eps = 0.05f;
  ///     mach = 0.4f; alpha = 3.0*atan(1.0)/45.0; p = r = 1;
  ///     u = sqrt(gam*p/r)*mach; e = p/(r*gm1) + 0.5f*u*u;
  ///     qinf = {r, r*u, 0, r*e}
  ///
  /// `alpha` is not used by any kernel. `atan(1.0)` is the double nearest pi/4,
  /// which is exactly `Double.pi / 4`, so no math library is needed.
  static let constants:
    (gam: Double, gm1: Double, cfl: Double, eps: Double, mach: Double, alpha: Double, qinf: [Double]) = {
      let gam = Double(Float(1.4))
      let gm1 = gam - 1.0
      let cfl = Double(Float(0.9))
      let eps = Double(Float(0.05))
      let mach = Double(Float(0.4))
      let alpha = 3.0 * (Double.pi / 4.0) / 45.0
      let p = 1.0
      let r = 1.0
      let u = (gam * p / r).squareRoot() * mach
      let e = p / (r * gm1) + 0.5 * u * u
      return (gam, gm1, cfl, eps, mach, alpha, [r, r * u, 0.0, r * e])
    }()

  init(
    nodeCount: Int, cellCount: Int, edgeCount: Int, bedgeCount: Int,
    x: [Double], cellNodes: [Int32], edgeNodes: [Int32], edgeCells: [Int32],
    bedgeNodes: [Int32], bedgeCells: [Int32], bound: [Int32]
  ) {
    precondition(x.count == 2 * nodeCount, "x must hold 2 values per node")
    precondition(cellNodes.count == 4 * cellCount, "cellNodes must hold 4 ids per cell")
    precondition(edgeNodes.count == 2 * edgeCount, "edgeNodes must hold 2 ids per edge")
    precondition(edgeCells.count == 2 * edgeCount, "edgeCells must hold 2 ids per edge")
    precondition(bedgeNodes.count == 2 * bedgeCount, "bedgeNodes must hold 2 ids per boundary edge")
    precondition(bedgeCells.count == bedgeCount, "bedgeCells must hold 1 id per boundary edge")
    precondition(bound.count == bedgeCount, "bound must hold 1 value per boundary edge")
    precondition(cellNodes.allSatisfy { $0 >= 0 && Int($0) < nodeCount }, "cellNodes out of range")
    precondition(edgeNodes.allSatisfy { $0 >= 0 && Int($0) < nodeCount }, "edgeNodes out of range")
    precondition(bedgeNodes.allSatisfy { $0 >= 0 && Int($0) < nodeCount }, "bedgeNodes out of range")
    precondition(edgeCells.allSatisfy { $0 >= 0 && Int($0) < cellCount }, "edgeCells out of range")
    precondition(bedgeCells.allSatisfy { $0 >= 0 && Int($0) < cellCount }, "bedgeCells out of range")

    self.nodeCount = nodeCount
    self.cellCount = cellCount
    self.edgeCount = edgeCount
    self.bedgeCount = bedgeCount
    self.x = x
    self.cellNodes = cellNodes
    self.edgeNodes = edgeNodes
    self.edgeCells = edgeCells
    self.bedgeNodes = bedgeNodes
    self.bedgeCells = bedgeCells
    self.bound = bound

    let qinf = Self.constants.qinf
    var q = [Double](repeating: 0.0, count: 4 * cellCount)
    for n in 0..<cellCount {
      for m in 0..<4 { q[4 * n + m] = qinf[m] }
    }
    self.q = q
    self.qold = [Double](repeating: 0.0, count: 4 * cellCount)
    self.res = [Double](repeating: 0.0, count: 4 * cellCount)
    self.adt = [Double](repeating: 0.0, count: cellCount)
  }

  /// Runs `iterations` iterations of the main time-marching loop and returns, for
  /// each, `sqrt(rms / ncell)` where `rms` is the sum of squared updates of the
  /// second (corrector) pass of that iteration — the value airfoil.cpp prints.
  mutating func run(iterations: Int) -> [Double] {
    precondition(iterations >= 0)
    var history: [Double] = []
    history.reserveCapacity(iterations)
    if iterations == 0 { return history }

    // Move the state into locals so the kernels below work on uniquely owned
    // buffers through plain pointers (fast enough even in a debug build).
    var q = self.q
    var qold = self.qold
    var res = self.res
    var adt = self.adt
    self.q = []
    self.qold = []
    self.res = []
    self.adt = []

    let ncell = cellCount
    for _ in 0..<iterations {
      let rms = Self.iteration(
        ncell: ncell, nedge: edgeCount, nbedge: bedgeCount,
        x: x, cellNodes: cellNodes, edgeNodes: edgeNodes, edgeCells: edgeCells,
        bedgeNodes: bedgeNodes, bedgeCells: bedgeCells, bound: bound,
        q: &q, qold: &qold, res: &res, adt: &adt)
      history.append((rms / Double(ncell)).squareRoot())
    }

    self.q = q
    self.qold = qold
    self.res = res
    self.adt = adt
    return history
  }

  /// One iteration: save_soln, then twice { adt_calc, res_calc, bres_calc, update }.
  /// Returns the (un-normalised) rms sum of the second update.
  private static func iteration(
    ncell: Int, nedge: Int, nbedge: Int,
    x: UnsafePointer<Double>, cellNodes: UnsafePointer<Int32>,
    edgeNodes: UnsafePointer<Int32>, edgeCells: UnsafePointer<Int32>,
    bedgeNodes: UnsafePointer<Int32>, bedgeCells: UnsafePointer<Int32>,
    bound: UnsafePointer<Int32>,
    q: UnsafeMutablePointer<Double>, qold: UnsafeMutablePointer<Double>,
    res: UnsafeMutablePointer<Double>, adt: UnsafeMutablePointer<Double>
  ) -> Double {
    let gam = constants.gam
    let gm1 = constants.gm1
    let cfl = constants.cfl
    let eps = constants.eps
    let qinf0 = constants.qinf[0]
    let qinf1 = constants.qinf[1]
    let qinf2 = constants.qinf[2]
    let qinf3 = constants.qinf[3]

    // save_soln
    for n in 0..<ncell {
      for k in 0..<4 { qold[4 * n + k] = q[4 * n + k] }
    }

    var rms = 0.0
    for _ in 0..<2 {
      // adt_calc
      for cell in 0..<ncell {
        let x1 = x + 2 * Int(cellNodes[4 * cell + 0])
        let x2 = x + 2 * Int(cellNodes[4 * cell + 1])
        let x3 = x + 2 * Int(cellNodes[4 * cell + 2])
        let x4 = x + 2 * Int(cellNodes[4 * cell + 3])
        let qc = q + 4 * cell

        let ri = 1.0 / qc[0]
        let u = ri * qc[1]
        let v = ri * qc[2]
        let c = (gam * gm1 * (ri * qc[3] - 0.5 * (u * u + v * v))).squareRoot()

        var dx = x2[0] - x1[0]
        var dy = x2[1] - x1[1]
        var a = (u * dy - v * dx).magnitude + c * (dx * dx + dy * dy).squareRoot()

        dx = x3[0] - x2[0]
        dy = x3[1] - x2[1]
        a += (u * dy - v * dx).magnitude + c * (dx * dx + dy * dy).squareRoot()

        dx = x4[0] - x3[0]
        dy = x4[1] - x3[1]
        a += (u * dy - v * dx).magnitude + c * (dx * dx + dy * dy).squareRoot()

        dx = x1[0] - x4[0]
        dy = x1[1] - x4[1]
        a += (u * dy - v * dx).magnitude + c * (dx * dx + dy * dy).squareRoot()

        adt[cell] = a / cfl
      }

      // res_calc
      for e in 0..<nedge {
        let x1 = x + 2 * Int(edgeNodes[2 * e])
        let x2 = x + 2 * Int(edgeNodes[2 * e + 1])
        let c1 = Int(edgeCells[2 * e])
        let c2 = Int(edgeCells[2 * e + 1])
        let q1 = q + 4 * c1
        let q2 = q + 4 * c2
        let adt1 = adt[c1]
        let adt2 = adt[c2]
        let res1 = res + 4 * c1
        let res2 = res + 4 * c2

        let dx = x1[0] - x2[0]
        let dy = x1[1] - x2[1]

        var ri = 1.0 / q1[0]
        let p1 = gm1 * (q1[3] - 0.5 * ri * (q1[1] * q1[1] + q1[2] * q1[2]))
        let vol1 = ri * (q1[1] * dy - q1[2] * dx)

        ri = 1.0 / q2[0]
        let p2 = gm1 * (q2[3] - 0.5 * ri * (q2[1] * q2[1] + q2[2] * q2[2]))
        let vol2 = ri * (q2[1] * dy - q2[2] * dx)

        let mu = 0.5 * (adt1 + adt2) * eps

        var f = 0.5 * (vol1 * q1[0] + vol2 * q2[0]) + mu * (q1[0] - q2[0])
        res1[0] += f
        res2[0] -= f
        f = 0.5 * (vol1 * q1[1] + p1 * dy + vol2 * q2[1] + p2 * dy) + mu * (q1[1] - q2[1])
        res1[1] += f
        res2[1] -= f
        f = 0.5 * (vol1 * q1[2] - p1 * dx + vol2 * q2[2] - p2 * dx) + mu * (q1[2] - q2[2])
        res1[2] += f
        res2[2] -= f
        f = 0.5 * (vol1 * (q1[3] + p1) + vol2 * (q2[3] + p2)) + mu * (q1[3] - q2[3])
        res1[3] += f
        res2[3] -= f
      }

      // bres_calc
      for b in 0..<nbedge {
        let x1 = x + 2 * Int(bedgeNodes[2 * b])
        let x2 = x + 2 * Int(bedgeNodes[2 * b + 1])
        let c1 = Int(bedgeCells[b])
        let q1 = q + 4 * c1
        let adt1 = adt[c1]
        let res1 = res + 4 * c1

        let dx = x1[0] - x2[0]
        let dy = x1[1] - x2[1]

        var ri = 1.0 / q1[0]
        let p1 = gm1 * (q1[3] - 0.5 * ri * (q1[1] * q1[1] + q1[2] * q1[2]))

        if bound[b] == 1 {
          res1[1] += +p1 * dy
          res1[2] += -p1 * dx
        } else {
          let vol1 = ri * (q1[1] * dy - q1[2] * dx)

          ri = 1.0 / qinf0
          let p2 = gm1 * (qinf3 - 0.5 * ri * (qinf1 * qinf1 + qinf2 * qinf2))
          let vol2 = ri * (qinf1 * dy - qinf2 * dx)

          let mu = adt1 * eps

          var f = 0.5 * (vol1 * q1[0] + vol2 * qinf0) + mu * (q1[0] - qinf0)
          res1[0] += f
          f = 0.5 * (vol1 * q1[1] + p1 * dy + vol2 * qinf1 + p2 * dy) + mu * (q1[1] - qinf1)
          res1[1] += f
          f = 0.5 * (vol1 * q1[2] - p1 * dx + vol2 * qinf2 - p2 * dx) + mu * (q1[2] - qinf2)
          res1[2] += f
          f = 0.5 * (vol1 * (q1[3] + p1) + vol2 * (qinf3 + p2)) + mu * (q1[3] - qinf3)
          res1[3] += f
        }
      }

      // update (rms accumulated sequentially, cell by cell, as in op_seq)
      rms = 0.0
      for cell in 0..<ncell {
        let adti = 1.0 / adt[cell]
        for n in 0..<4 {
          let del = adti * res[4 * cell + n]
          q[4 * cell + n] = qold[4 * cell + n] - del
          res[4 * cell + n] = 0.0
          rms += del * del
        }
      }
    }
    return rms
  }
}
