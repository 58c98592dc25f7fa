import Foundation
import Testing
@testable import OP2

/// Const values reach kernels at run time: changing them compiles nothing, and queued loops keep
/// the value they were recorded with. Consts are process-wide C names: each test uses its own.
@Suite("Const values at run time")
struct ConstTests {
  let s = Set(size: 3, name: "s")
  private func fill(_ const: String) -> Kernel {
    Kernel(code: "void fill_\(const)(double *v) { v[0] = \(const) * 2.0; }", name: "fill_\(const)")
  }

  @Test("a Const that changes every step compiles one wrapper", arguments: Backend.available)
  func changingValueCompilesOnce(backend: Backend) throws {
    let name = "step_\(backend.threads)"
    try OP2.withConfiguration(.testing(backend, cacheDirectory: temporaryDirectory("const-steps"))) {
      let dt = try Const<Double>(name: name, value: 0)
      let d = Dat<Double>(s ** 1, name: "d")
      let k = fill(name)
      for step in 1...30 {
        dt.value = [Double(step) / 4]
        try parLoop(k, over: s, d(.write))
        #expect(d.data == Array(repeating: Double(step) / 2, count: 3))
      }
      #expect(OP2.statistics.compilations == 1)
    }
  }

  @Test("queued loops keep the value they were recorded with")
  func queuedLoopsKeepTheirValue() throws {
    try OP2.withConfiguration(.testing(lazy: true)) {
      let c = try Const<Double>(name: "queued_scale", dim: 2, value: [1, 10])
      let k = Kernel(code: "void use_scale(double *v) { v[0] = queued_scale[0] + queued_scale[1]; }", name: "use_scale")
      let first = Dat<Double>(s ** 1, name: "first"), second = Dat<Double>(s ** 1, name: "second")
      try parLoop(k, over: s, first(.write))
      c.value = [2, 20]
      try parLoop(k, over: s, second(.write))
      #expect(OP2.statistics.loopsExecuted == 0)
      #expect(c.value == [2, 20])
      #expect(second.data == [22, 22, 22])
      #expect(first.data == [11, 11, 11])
    }
  }

  @Test("a Const folded at compile time compiles once per value and is a C constant")
  func foldedConst() throws {
    try OP2.withConfiguration(.testing(cacheDirectory: temporaryDirectory("const-folded"))) {
      let c = try Const<Double>(name: "folded_c", value: 1, foldedAtCompileTime: true)
      let d = Dat<Double>(s ** 1, name: "d")
      let k = fill("folded_c")
      let loop = try ParLoop(kernel: k, set: s, args: [d(.write)])
      #expect(WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code).source.contains("static const double folded_c = "))
      for value in [1.0, 2, 3, 2] {
        c.value = [value]
        try parLoop(k, over: s, d(.write))
        #expect(d.data == Array(repeating: 2 * value, count: 3))
      }
      #expect(OP2.statistics.compilations == 3)
    }
  }

  @Test("Consts named like a C keyword or a header's name are rejected at declaration")
  func reservedNames() {
    for name in ["double", "restrict", "M_PI", "sqrt", "NULL", "INT32_MAX", "__x", "_Bool"] {
      expectError(.reservedName(object: "Const", name: name),
                  message: "Const: \"\(name)\" is a C keyword or a name the C headers define; choose another name") { () throws(OP2Error) in
        _ = try Const<Double>(name: name, value: 1)
      }
    }
  }

  @Test("setting a Const to the wrong number of values throws and changes nothing")
  func wrongCount() throws {
    let c = try Const<Int32>(name: "count_checked", dim: 2, value: [1, 2])
    expectError(.valueCountMismatch(object: "Const \"count_checked\"", expected: 2, got: 3),
                message: "Const \"count_checked\": expected 2 values, got 3") { () throws(OP2Error) in
      try c.setValue([1, 2, 3])
    }
    #expect(c.value == [1, 2])
  }
}

extension Backend {
  /// Thread count for names (1 for sequential).
  var threads: Int {
    if case .threaded(let n) = self { return n }
    return 1
  }
}
