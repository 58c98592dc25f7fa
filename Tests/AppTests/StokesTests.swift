import Foundation
import Numerics
import OP2
import PoissonKit
import Testing

/// The Stokes demo (stabilised P1/P1 on the unit square, a 2×2 block Mat solved with a Schur
/// fieldsplit): errors against the manufactured solution fall at the expected rates.
@Suite("Stokes")
struct StokesTests {
  @Test("velocity error falls as h², pressure error as h^1.5 or better (measured), with a fieldsplit preconditioner")
  func convergence() throws {
    let ns = [8, 16, 32]
    let solutions = try ns.map { n in try OP2.withConfiguration(.init()) { try StokesProblem(mesh: .unitSquare(n: n)).solve() } }
    let uRates = zip(solutions, solutions.dropFirst()).map { log2($0.velocityError / $1.velocityError) }
    let pRates = zip(solutions, solutions.dropFirst()).map { log2($0.pressureError / $1.pressureError) }
    print("Stokes errors", solutions.map { ($0.velocityError, $0.pressureError, $0.solve.iterations) }, "rates", uRates, pRates)
    for s in solutions { #expect(s.pcType == "fieldsplit" && s.solve.reason.converged) }
    #expect(uRates.last! > 1.8, "velocity rates \(uRates)")
    #expect(pRates.last! > 1.4, "pressure rates \(pRates) (measured 1.73, 1.67 for n = 8, 16, 32)")
    #expect(solutions.last!.velocityError < 5e-3)
  }

  @Test("every backend gives the sequential solution", arguments: Backend.available.filter { $0 != .sequential })
  func backends(backend: Backend) throws {
    var sequential = OP2.Configuration()
    sequential.backend = .sequential
    var other = OP2.Configuration()
    other.backend = backend
    let mesh = TriangleMesh.unitSquare(n: 12)
    let a = try OP2.withConfiguration(sequential) { try StokesProblem(mesh: mesh).solve() }
    let b = try OP2.withConfiguration(other) { try StokesProblem(mesh: mesh).solve() }
    #expect(a.velocityError.isApproximatelyEqual(to: b.velocityError, relativeTolerance: 1e-8))
    #expect(a.pressureError.isApproximatelyEqual(to: b.pressureError, relativeTolerance: 1e-8))
  }
}
