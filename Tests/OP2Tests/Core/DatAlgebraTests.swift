import Numerics
import Testing
@testable import OP2

/// Dat arithmetic (`a + b`, `a += 2`, `inner`, `norm`, `copy(to:)`, `axpy`) is a generated loop:
/// it gives the values plain Swift arithmetic gives, on every backend, queues lazily and rejects
/// operands on other sets without changing anything.
@Suite("Dat algebra")
struct DatAlgebraTests {
  static let seeds: [UInt64] = [1, 7, 2024]

  @Test("element-wise operators give hand-computed values", arguments: Backend.available)
  func handComputed(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 2, name: "s")
      let a = try Dat<Double>(s ** 2, values: [1, 2, 3, 4], name: "a")
      let b = try Dat<Double>(s ** 2, values: [10, 20, 30, 40], name: "b")
      #expect(try (a + b).data == [11, 22, 33, 44])
      #expect(try (a - b).data == [-9, -18, -27, -36])
      #expect(try (a * b).data == [10, 40, 90, 160])
      #expect(try (b / a).data == [10, 10, 10, 10])
      #expect(try (a * 2).data == [2, 4, 6, 8])
      #expect(try (a + 0.5).data == [1.5, 2.5, 3.5, 4.5])
      #expect(try (a - 1).data == [0, 1, 2, 3])
      #expect(try (a / 2).data == [0.5, 1, 1.5, 2])
      #expect(try (-a + 10).data == [9, 8, 7, 6])
      #expect(try (-a).data == [-1, -2, -3, -4])
      let g2 = try Global<Double>(dim: 2, value: [100, 200], name: "g2")
      let g1 = Global<Double>(value: 3, name: "g1")
      #expect(try (a + g2).data == [101, 202, 103, 204])
      #expect(try (a * g1).data == [3, 6, 9, 12])
      #expect(try (a - g2).data == [-99, -198, -97, -196])
      let third: [Double] = [1, 2, 3, 4].map { $0 / 3 }
      #expect(try (a / g1).data == third)
      #expect(a.data == [1, 2, 3, 4] && b.data == [10, 20, 30, 40], "operands unchanged")

      let c = Dat<Double>(s ** 2, name: "c")
      try a.copy(to: c)
      try c += b
      #expect(c.data == [11, 22, 33, 44])
      try c -= a
      #expect(c.data == [10, 20, 30, 40])
      try c *= 2
      try c /= a
      #expect(c.data == [20, 20, 20, 20])
      try c += g2
      try c -= 1
      #expect(c.data == [119, 219, 119, 219])
      try c *= g1
      try c /= g1
      try c *= c
      let squares: [Double] = [14161, 47961, 14161, 47961]
      #expect(c.data == squares)
      try c.axpy(-1, c)
      #expect(c.data == [0, 0, 0, 0])
      try c.axpy(0.5, b)
      #expect(c.data == [5, 10, 15, 20])
      try c /= c
      #expect(c.data == [1, 1, 1, 1])
      try a.copy(to: a)
      #expect(try a.inner(b) == 300)
      #expect(try a.inner(a) == 30)
      #expect(try a.norm == 30.0.squareRoot())
    }
  }

  @Test("integer Dats use C's integer arithmetic", arguments: Backend.available)
  func integers(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: 3, name: "s")
      let a = try Dat<Int32>(s ** 1, values: [7, -7, 9], name: "a")
      let b = try Dat<Int32>(s ** 1, values: [2, 2, -4], name: "b")
      #expect(try (a / b).data == [3, -3, -2])
      let product = try a * b + 1
      #expect(product.data == [15, -13, -35])
      #expect(try a.inner(b) == -36)
      let l = try Dat<Int64>(s ** 1, values: [1 << 40, 2, 3], name: "l")
      try l *= 4
      #expect(l.data == [1 << 42, 8, 12])
    }
  }

  @Test("expressions of several operations match Swift arithmetic on random data",
        arguments: Backend.available, seeds)
  func differential(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let n = [0, 1, 33, 4099][Int(seed % 4)] + Int.random(in: 0...50, using: &rng)
    let dim = Int.random(in: 1...3, using: &rng)
    func random() -> [Double] { (0..<(n * dim)).map { _ in Double.random(in: 0.5...2, using: &rng) } }
    let (av, bv, cv) = (random(), random(), random())
    let alpha = Double.random(in: -2...2, using: &rng)
    let gv = (0..<dim).map { _ in Double.random(in: -1...1, using: &rng) }

    // Reference, in the same operation order as the generated loops.
    var expected = [Double](repeating: 0, count: n * dim)
    for i in expected.indices {
      let sum: Double = av[i] + bv[i]
      let quotient: Double = cv[i] / av[i]
      var e: Double = sum * 2.5 - quotient
      e = e + gv[i % dim]
      e = e + alpha * bv[i]
      expected[i] = e * e
    }
    let expectedInner = zip(expected, cv).reduce(0.0) { $0 + $1.0 * $1.1 }

    try OP2.withConfiguration(.testing(backend)) {
      let s = Set(size: n, name: "s")
      let a = try Dat<Double>(s ** dim, values: av, name: "a")
      let b = try Dat<Double>(s ** dim, values: bv, name: "b")
      let c = try Dat<Double>(s ** dim, values: cv, name: "c")
      let g = try Global<Double>(dim: dim, value: gv, name: "g")
      let r = try (a + b) * 2.5 - c / a
      try r += g
      try r.axpy(alpha, b)
      try r *= r
      let got = r.data
      #expect(got.count == expected.count)
      let off = zip(got, expected).enumerated().filter { !$0.element.0.isApproximatelyEqual(to: $0.element.1, relativeTolerance: 1e-14) }
      #expect(off.isEmpty, "seed \(seed): \(off.count) values off, first \(off.first.map { "\($0.offset): \($0.element.0) vs \($0.element.1)" } ?? "")")
      let inner = try r.inner(c)
      #expect(inner.isApproximatelyEqual(to: expectedInner, absoluteTolerance: 1e-12 * max(1, abs(expectedInner))), "seed \(seed): \(inner) vs \(expectedInner)")
      #expect(try c.norm.isApproximatelyEqual(to: cv.reduce(0) { $0 + $1 * $1 }.squareRoot(), relativeTolerance: 1e-13))
    }
  }

  @Test("algebra queues, fuses its direct loops, and runs when a result is read")
  func lazy() throws {
    try OP2.withConfiguration(.testing(.sequential, lazy: true)) {
      let s = Set(size: 10, name: "s")
      let a = try Dat<Double>(s ** 1, values: (0..<10).map(Double.init), name: "a")
      let b = try Dat<Double>(s ** 1, values: Array(repeating: 1, count: 10), name: "b")
      let c = try a + b
      try c *= 2
      try c.axpy(1, a)
      #expect(OP2.pendingLoopCount == 3)
      #expect(OP2.statistics.loopsExecuted == 0)
      let expected: [Double] = (0..<10).map { i in Double(3 * i + 2) }
      #expect(c.data == expected)
      #expect(OP2.pendingLoopCount == 0)
      #expect(OP2.statistics.loopsExecuted == 3)
      #expect(OP2.statistics.loopsFused == 3, "three direct loops over s sharing c run as one group")
      try b += 1
      #expect(OP2.pendingLoopCount == 1)
      #expect(try a.inner(b) == 90, "inner runs the queued update of b")
      #expect(OP2.pendingLoopCount == 0)
    }
  }

  @Test("repeated operations reuse one generated kernel")
  func kernelCache() throws {
    try OP2.withConfiguration(.testing(.sequential, lazy: true)) {
      let s = Set(size: 4, name: "s")
      let a = Dat<Float>(s ** 5, name: "a"), b = Dat<Float>(s ** 5, name: "b")
      try a += b
      let key = DatAlgebra.Key(form: .update(.add, broadcast: false), cType: "float", dim: 5)
      let first = DatAlgebra.kernel(for: key)
      let count = DatAlgebra.cachedKernelCount
      for _ in 0..<10 { try a += b }
      #expect(DatAlgebra.kernel(for: key) === first)
      #expect(DatAlgebra.cachedKernelCount == count)
      OP2.flush()
    }
  }

  @Test("generated kernels use no name a Const could take (on OpenCL a Const is #defined into the kernel)")
  func noConstNames() {
    let forms: [DatAlgebra.Form] = [.binary(.add, broadcast: true), .binary(.divide, broadcast: false), .update(.subtract, broadcast: true),
                                    .updateSelf(.multiply), .negate, .axpy, .axpySelf, .copy, .inner, .innerSelf, .zero]
    for form in forms {
      for cType in ["double", "float", "int", "long"] {
        let kernel = DatAlgebra.kernel(for: .init(form: form, cType: cType, dim: 3))
        // Every identifier a Const may be named (valid, not reserved) that the code uses, other than the function and C's own words.
        let open = kernel.identifiers.filter { CIdentifier.isValid($0) && !CIdentifier.isReserved($0) && $0 != kernel.name && !($0.first?.isNumber ?? false) }
        #expect(open.isEmpty, "\(kernel.name) uses \(open.sorted())")
      }
    }
  }

  @Test("operands on another set or dim are rejected and nothing changes", arguments: Backend.available)
  func mismatches(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let cells = Set(size: 2, name: "cells"), nodes = Set(size: 2, name: "nodes")
      let a = try Dat<Double>(cells ** 1, values: [1, 2], name: "a")
      let onNodes = try Dat<Double>(nodes ** 1, values: [3, 4], name: "n")
      let wide = try Dat<Double>(cells ** 2, values: [5, 6, 7, 8], name: "w")
      let g3 = try Global<Double>(dim: 3, value: [1, 1, 1], name: "g3")
      let pending = OP2.pendingLoopCount
      expectError(.algebraMismatch(operation: "a + n", operand: "Dat \"n\"", found: "on nodes**1", expected: "cells**1, the DataSet of a"),
                  message: "Dat algebra \"a + n\": Dat \"n\" is on nodes**1; expected cells**1, the DataSet of a") { () throws(OP2Error) in
        _ = try a + onNodes
      }
      expectError(.algebraMismatch(operation: "a += w", operand: "Dat \"w\"", found: "on cells**2", expected: "cells**1, the DataSet of a"),
                  message: "Dat algebra \"a += w\": Dat \"w\" is on cells**2; expected cells**1, the DataSet of a") { () throws(OP2Error) in
        try a += wide
      }
      expectError(.algebraMismatch(operation: "w *= g3", operand: "Global \"g3\"", found: "of dim 3", expected: "dim 1 or 2, the dim of w"),
                  message: "Dat algebra \"w *= g3\": Global \"g3\" is of dim 3; expected dim 1 or 2, the dim of w") { () throws(OP2Error) in
        try wide *= g3
      }
      expectError(.algebraMismatch(operation: "n.copy(to: a)", operand: "Dat \"n\"", found: "on nodes**1", expected: "cells**1, the DataSet of a"),
                  message: "Dat algebra \"n.copy(to: a)\": Dat \"n\" is on nodes**1; expected cells**1, the DataSet of a") { () throws(OP2Error) in
        try onNodes.copy(to: a)
      }
      #expect(throws: OP2Error.self) { try a.axpy(2, wide) }
      #expect(throws: OP2Error.self) { _ = try a.inner(onNodes) }
      #expect(throws: OP2Error.self) { _ = try wide - g3 }
      #expect(OP2.pendingLoopCount == pending, "nothing was queued")
      #expect(a.data == [1, 2] && onNodes.data == [3, 4] && wide.data == [5, 6, 7, 8])
    }
  }
}
