import Testing
@testable import OP2

@Suite("Sparsity")
struct SparsityTests {
  @Test("the pattern of several map pairs is the union, rows sorted and unique, diagonal reserved")
  func union() throws {
    let nodes = Set(size: 5, name: "nodes"), cells = Set(size: 2, name: "cells"), edges = Set(size: 1, name: "edges")
    let c2n = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2, 2, 1, 0], name: "c2n")
    let e2n = try Map(from: edges, to: nodes, arity: 2, values: [4, 0], name: "e2n")
    let s = try Sparsity(rows: nodes ** 1, cols: nodes ** 1, maps: [(c2n, c2n), (e2n, e2n)])
    #expect(Array(s.columns(ofRow: 0)) == [0, 1, 2, 4])
    #expect(Array(s.columns(ofRow: 1)) == [0, 1, 2])
    #expect(Array(s.columns(ofRow: 3)) == [3])  // touched by no element: only the reserved diagonal
    #expect(Array(s.columns(ofRow: 4)) == [0, 4])
    #expect(s.blockNonzeroCount == 4 + 3 + 3 + 1 + 2)
    #expect(s.contains(rows: e2n, cols: e2n) && !s.contains(rows: c2n, cols: e2n))
  }

  @Test("only square patterns (rows and columns the same DataSet) reserve the diagonal")
  func diagonalOnlyWhenSquare() throws {
    let nodes = Set(size: 4, name: "nodes"), cells = Set(size: 1, name: "cells")
    let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1], name: "c2n")
    let square = try Sparsity(nodes ** 2, map: c2n)
    #expect((0..<4).map { Array(square.columns(ofRow: $0)) } == [[0, 1], [0, 1], [2], [3]])
    let rectangular = try Sparsity(rows: nodes ** 1, cols: nodes ** 2, maps: [(c2n, c2n)])
    #expect((0..<4).map { Array(rectangular.columns(ofRow: $0)) } == [[0, 1], [0, 1], [], []])
  }

  @Test("building the same Sparsity twice returns the cached one")
  func cached() throws {
    let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 1, name: "cells")
    let c2n = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2], name: "c2n")
    let a = try Sparsity(nodes ** 1, map: c2n), b = try Sparsity(nodes ** 1, map: c2n)
    #expect(a == b)
    #expect(a.storage === b.storage)
    #expect(try Sparsity(nodes ** 2, map: c2n) != a)  // other block size, other pattern
  }

  @Test("long rows (more than 32 entries before deduplication) are sorted too")
  func longRows() throws {
    let n = 50
    let hub = Set(size: n + 1, name: "nodes"), spokes = Set(size: n, name: "spokes")
    // Node 0 is in every spoke, listed in reverse order.
    let m = try Map(from: spokes, to: hub, arity: 2, values: (0..<n).flatMap { [0, n - $0] }, name: "spoke")
    let s = try Sparsity(hub ** 1, map: m)
    #expect(Array(s.columns(ofRow: 0)) == (0...n).map(Int32.init))
    #expect(Array(s.columns(ofRow: 7)) == [0, 7])
  }
}
