import Testing
@testable import OP2

/// Reverse Cuthill–McKee returns a permutation that brings neighbours close together.
@Suite("Renumbering")
struct RenumberingTests {
  /// The k × k grid graph (4-neighbour), vertices labelled by `label`.
  private func gridGraph(_ k: Int, label: [Int32]) -> (offsets: [Int], neighbours: [Int32]) {
    var pairs: [Int32] = []
    for i in 0..<k {
      for j in 0..<k {
        let v = i * k + j
        if j + 1 < k { pairs += [label[v], label[v + 1]] }
        if i + 1 < k { pairs += [label[v], label[v + k]] }
      }
    }
    return Renumbering.graph(count: k * k, pairs: pairs)
  }

  private func isPermutation(_ order: [Int32], of n: Int) -> Bool {
    order.count == n && Swift.Set(order).count == n && order.allSatisfy { $0 >= 0 && $0 < n }
  }

  @Test("a shuffled path gets bandwidth 1", arguments: [UInt64(1), 2, 3])
  func path(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let n = 500
    let label = (0..<Int32(n)).shuffled(using: &rng)
    let pairs = (0..<(n - 1)).flatMap { [label[$0], label[$0 + 1]] }
    let g = Renumbering.graph(count: n, pairs: pairs)
    #expect(Renumbering.bandwidth(offsets: g.offsets, neighbours: g.neighbours) > 10)
    let order = Renumbering.reverseCuthillMcKee(offsets: g.offsets, neighbours: g.neighbours)
    #expect(isPermutation(order, of: n))
    #expect(Renumbering.bandwidth(offsets: g.offsets, neighbours: g.neighbours, order: order) == 1)
  }

  @Test("a shuffled k × k grid gets bandwidth about k", arguments: [UInt64(1), 2, 3])
  func grid(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let k = 40
    let g = gridGraph(k, label: (0..<Int32(k * k)).shuffled(using: &rng))
    #expect(Renumbering.bandwidth(offsets: g.offsets, neighbours: g.neighbours) > 10 * k)
    let order = Renumbering.reverseCuthillMcKee(offsets: g.offsets, neighbours: g.neighbours)
    #expect(isPermutation(order, of: k * k))
    // Breadth-first from a corner numbers anti-diagonals one after another: at most 2k apart.
    #expect(Renumbering.bandwidth(offsets: g.offsets, neighbours: g.neighbours, order: order) <= 2 * k)
  }

  @Test("components, isolated vertices and self-loops are all numbered")
  func components() {
    // 0–1–2 path, 3 isolated, 4–5 with a self-loop on 5, 6 isolated.
    let g = Renumbering.graph(count: 7, pairs: [0, 1, 1, 2, 4, 5, 5, 5])
    #expect(g.offsets == [0, 1, 3, 4, 4, 5, 6, 6])
    let order = Renumbering.reverseCuthillMcKee(offsets: g.offsets, neighbours: g.neighbours)
    #expect(isPermutation(order, of: 7))
    #expect(Renumbering.bandwidth(offsets: g.offsets, neighbours: g.neighbours, order: order) == 1)
    #expect(Renumbering.reverseCuthillMcKee(offsets: [0], neighbours: []).isEmpty)
  }
}
