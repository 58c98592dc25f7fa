import Foundation
import Testing
@testable import OP2

/// Memory stays bounded: plans do not outlive their maps, plan memory does not grow with the
/// thread count, and sizes and array parameters beyond what the generated code can address are
/// typed errors at declaration.
@Suite("Bounded memory and declared sizes")
struct BoundsTests {
  let spread = Kernel(code: "void spread_one(double *to[2]) { *to[0] += 1; *to[1] += 1; }", name: "spread_one")

  @Test("the threaded backend's plan cache does not keep a dropped map alive")
  func planCacheDoesNotRetainMaps() throws {
    weak var dropped: Map?
    try OP2.withConfiguration(.testing(.threaded(threads: 2))) {
      let nodes = Set(size: 200, name: "nodes"), edges = Set(size: 199, name: "edges")
      let map = try Map(from: edges, to: nodes, arity: 2, values: (0..<199).flatMap { [$0, $0 + 1] }, name: "edge2node")
      let counts = Dat<Double>(nodes ** 1, name: "counts")
      try parLoop(spread, over: edges, counts(.inc, map))
      #expect(counts.data[0] == 1 && counts.data[100] == 2)
      dropped = map
    }
    #expect(dropped == nil)
  }

  @Test("owner colouring with per-target last-owner masks equals one mask array per owner",
        arguments: [1, 2, 3, 7, 64, 1000])
  func ownerColouringMatchesReference(owners: Int) {
    var generator = SeededGenerator(seed: UInt64(owners))
    let setSize = 3000, targets = 700, arity = 3
    let values = (0..<(setSize * arity)).map { _ in Int32(Int.random(in: 0..<targets, using: &generator)) }
    let conflict = PlanConflict(mapID: ObjectIdentifier(Map.self), values: values, arity: arity, targetSize: targets)
    let plan = Plan(setSize: setSize, blockSize: 16, conflicts: [conflict], owners: owners)
    #expect(plan.blockColours == Self.referenceColours(values: values, arity: arity, targets: targets, setSize: setSize, blockSize: 16, owners: owners))
    #expect(plan.checkInvariants().isEmpty)
  }

  /// The colouring as first written: one 64-colour mask array per owner (memory owners × targets).
  static func referenceColours(values: [Int32], arity: Int, targets: Int, setSize: Int, blockSize: Int, owners: Int) -> [Int] {
    let blockCount = (setSize + blockSize - 1) / blockSize
    var colours = [Int](repeating: -1, count: blockCount)
    var pending = Array(0..<blockCount)
    var base = 0
    while !pending.isEmpty {
      var masks = [[UInt64]](repeating: [UInt64](repeating: 0, count: targets), count: owners)
      var waiting: [Int] = []
      for b in pending {
        let mine = b * owners / blockCount
        let rows = (b * blockSize)..<min((b + 1) * blockSize, setSize)
        var taken: UInt64 = 0
        for o in 0..<owners where o != mine {
          for e in rows { for k in 0..<arity { taken |= masks[o][Int(values[e * arity + k])] } }
        }
        if taken == .max { waiting.append(b); continue }
        let bit = (~taken).trailingZeroBitCount
        for e in rows { for k in 0..<arity { masks[mine][Int(values[e * arity + k])] |= 1 << UInt64(bit) } }
        colours[b] = base + bit
      }
      pending = waiting
      base += 64
    }
    return colours
  }

  @Test("absurd thread counts are typed errors, from the environment and in code")
  func absurdThreadCounts() throws {
    expectError(.invalidConfiguration(variable: "OP2_THREADS", value: "100000", expected: "at most 4096 threads"),
                message: "OP2_THREADS=\"100000\" is invalid: expected at most 4096 threads") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "threaded", "OP2_THREADS": "100000"])
    }
    let s = Set(size: 4, name: "s")
    let d = Dat<Double>(s ** 1, name: "d")
    let k = Kernel(code: "void set_one(double *x) { *x = 1; }", name: "set_one")
    OP2.withConfiguration(.testing(.threaded(threads: 1_000_000_000))) {
      expectError(.invalidConfiguration(variable: "threads", value: "1000000000", expected: "from 1 to 4096 threads"),
                  message: "threads=\"1000000000\" is invalid: expected from 1 to 4096 threads") { () throws(OP2Error) in
        try parLoop(k, over: s, d(.write))
      }
    }
    #expect(d.data == [0, 0, 0, 0])
  }

  @Test("a set larger than 32-bit indices address is a typed error at declaration")
  func setSizeBeyondInt32() {
    expectError(.invalidSize(object: "Set \"huge\"", what: "size (at most 2147483647, what 32-bit indices address)", value: 3_000_000_000),
                message: "Set \"huge\": invalid size (at most 2147483647, what 32-bit indices address): 3000000000") { () throws(OP2Error) in
      _ = try Set(checkedSize: 3_000_000_000, name: "huge")
    }
  }

  @Test("array sizes in kernel parameters are checked against dim and arity")
  func arrayParameterExtents() throws {
    let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 1, name: "cells")
    let cell2node = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2], name: "cell2node")
    let x = Dat<Double>(nodes ** 2, name: "x")
    let c = Dat<Double>(cells ** 2, name: "c")
    let tooWide = Kernel(code: "void too_wide(double x[4]) { x[3] = 1; }", name: "too_wide")
    expectError(.extentMismatch(.init(loop: "too_wide", position: 1, argument: "c"), kernelType: "double x[4]", declared: 4, provided: 2, what: "values per element"),
                message: "parLoop \"too_wide\", argument 1 (c): kernel parameter double x[4] declares 4 values per element but the argument provides 2") { () throws(OP2Error) in
      try parLoop(tooWide, over: cells, c(.write))
    }
    let tooMany = Kernel(code: "void too_many(const double *x[4]) { }", name: "too_many")
    expectError(.extentMismatch(.init(loop: "too_many", position: 1, argument: "x via cell2node"), kernelType: "const double *x[4]", declared: 4, provided: 3, what: "map entries"),
                message: "parLoop \"too_many\", argument 1 (x via cell2node): kernel parameter const double *x[4] declares 4 map entries but the argument provides 3") { () throws(OP2Error) in
      try parLoop(tooMany, over: cells, x(.read, cell2node))
    }
    // A two-dimensional array is not the array of pointers a whole-map argument passes.
    let flat = Kernel(code: "void flat_rows(const double x[3][2]) { }", name: "flat_rows")
    expectError(.dtypeMismatch(.init(loop: "flat_rows", position: 1, argument: "x via cell2node"), kernelType: "const double x[3][2]",
                               dataType: "double ** (x via every entry of cell2node)"),
                message: "parLoop \"flat_rows\", argument 1 (x via cell2node): kernel parameter has type const double x[3][2] but the data is double ** (x via every entry of cell2node)") { () throws(OP2Error) in
      try parLoop(flat, over: cells, x(.read, cell2node))
    }
    // Exact and smaller sizes are fine.
    try x.setData([1, 2, 3, 4, 5, 6])
    let exact = Kernel(code: "void exact_fit(double c[2], const double *x[3]) { c[0] = x[0][0]; c[1] = x[2][1]; }", name: "exact_fit")
    let smaller = Kernel(code: "void smaller(double c[1], const double *x[2]) { c[0] += x[1][0]; }", name: "smaller")
    try OP2.withConfiguration(.testing()) {
      try parLoop(exact, over: cells, c(.write), x(.read, cell2node))
      try parLoop(smaller, over: cells, c(.rw), x(.read, cell2node))
      #expect(c.data == [4, 6])
    }
  }

  @Test("setting a Global to the wrong number of values throws and changes nothing")
  func globalWrongCount() throws {
    let g = try Global<Double>(dim: 2, value: [1, 2], name: "g")
    expectError(.valueCountMismatch(object: "Global \"g\"", expected: 2, got: 1),
                message: "Global \"g\": expected 2 values, got 1") { () throws(OP2Error) in
      try g.setValue([5])
    }
    #expect(g.value == [1, 2])
  }
}
