import Testing
@testable import OP2

/// The serial count of OP2's decomposition (`op2-bench scaling`) on meshes small enough to do by
/// hand. Tests/MPIScenarios/Halos.swift checks it against `OP2.partition` under mpirun.
@Suite("Decomposition census")
struct DecompositionCensusTests {
  /// A 3 × 2 grid of quads laid out as airfoil's sets: nodes (i, j) are `4j + i`, cells `3j + i`.
  ///
  ///     8 ─ 9 ─10 ─11
  ///     │c3 │c4 │c5 │
  ///     4 ─ 5 ─ 6 ─ 7
  ///     │c0 │c1 │c2 │
  ///     0 ─ 1 ─ 2 ─ 3
  static let sets = [("nodes", 12), ("edges", 7), ("bedges", 10), ("cells", 6)]
    .map { DecompositionCensus.SetDescription(name: $0.0, size: $0.1) }
  static let cellNodes: [Int32] = [0, 1, 5, 4, 1, 2, 6, 5, 2, 3, 7, 6, 4, 5, 9, 8, 5, 6, 10, 9, 6, 7, 11, 10]
  static let maps = [
    // Interior edges; e2 and e6 list the right-hand cell c2 first, so they follow it.
    DecompositionCensus.MapDescription(name: "pedge", from: 1, to: 0, arity: 2, values: [1, 5, 5, 9, 2, 6, 6, 10, 4, 5, 5, 6, 6, 7]),
    .init(name: "pecell", from: 1, to: 3, arity: 2, values: [0, 1, 3, 4, 2, 1, 4, 5, 0, 3, 1, 4, 5, 2]),
    .init(name: "pbedge", from: 2, to: 0, arity: 2, values: [0, 1, 1, 2, 2, 3, 8, 9, 9, 10, 10, 11, 0, 4, 4, 8, 3, 7, 7, 11]),
    .init(name: "pbecell", from: 2, to: 3, arity: 1, values: [0, 1, 2, 3, 4, 5, 0, 3, 2, 5]),
    .init(name: "pcell", from: 3, to: 0, arity: 4, values: cellNodes),
  ]

  @Test("cells that share a node are adjacent, each list ascending")
  func graph() {
    let g = DecompositionCensus.adjacency(of: Self.cellNodes, arity: 4, sourceCount: 6, targetCount: 12)
    // Only the outer columns (c0, c2 and c3, c5) share no node.
    #expect(g.offsets == [0, 3, 8, 11, 14, 19, 22])
    #expect(g.adjacency == [1, 3, 4, 0, 2, 3, 4, 5, 1, 4, 5, 0, 1, 4, 0, 1, 2, 3, 5, 1, 2, 4])
  }

  @Test("the 3 × 2 grid split by columns has the hand-counted halos")
  func grid() {
    // Part 0: columns 0 and 1; part 1: column 2.
    let census = DecompositionCensus(sets: Self.sets, maps: Self.maps, primary: 3, primaryParts: [0, 0, 1, 0, 0, 1], parts: 2)
    // Nodes take the lowest part of their cells, so part 1 keeps only its right-hand nodes;
    // edges and boundary edges follow their first cell.
    #expect(census.elementParts[0] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    #expect(census.elementParts[1] == [0, 0, 1, 0, 0, 0, 1])
    #expect(census.elementParts[2] == [0, 0, 1, 0, 0, 1, 0, 0, 1, 1])
    // Part 0: every owned cell has only its own nodes (core); c2 and c5 touch nodes 2, 6, 10 and
    // are its exec halo, as are e2, e6 (on nodes 2, 6) and b2, b5; nodes 3, 7, 11 are its
    // non-exec halo. Part 1: e3 (cells c4, c5) is its exec halo; its cells and edges read
    // nodes 2, 6, 10 and cells c1, c4 (through e2, e3), its non-exec halo.
    #expect(census.counts[0] == .init(owned: [9, 3], core: [9, 3], exec: [0, 0], nonExec: [3, 3]))
    #expect(census.counts[1] == .init(owned: [5, 2], core: [4, 0], exec: [2, 1], nonExec: [0, 0]))
    #expect(census.counts[2] == .init(owned: [6, 4], core: [6, 2], exec: [2, 0], nonExec: [0, 0]))
    #expect(census.counts[3] == .init(owned: [4, 2], core: [4, 0], exec: [2, 0], nonExec: [0, 2]))
    typealias I = DecompositionCensus.Import
    #expect(census.imports[0] == [I(importer: 0, owner: 1, elements: 3), I(importer: 1, owner: 0, elements: 3)])
    #expect(census.imports[1] == [I(importer: 0, owner: 1, elements: 2), I(importer: 1, owner: 0, elements: 1)])
    #expect(census.imports[2] == [I(importer: 0, owner: 1, elements: 2)])
    #expect(census.imports[3] == [I(importer: 0, owner: 1, elements: 2), I(importer: 1, owner: 0, elements: 2)])
    #expect(census.exported(3) == [2, 2] && census.imported(3) == [2, 2])
    #expect(census.exportNeighbours(2) == [0, 1] && census.neighbours(2) == [1, 1])
  }

  @Test("one part: everything is core and nothing is imported")
  func onePart() {
    let census = DecompositionCensus(sets: Self.sets, maps: Self.maps, primary: 3, primaryParts: [0, 0, 0, 0, 0, 0], parts: 1)
    for (s, set) in Self.sets.enumerated() {
      #expect(census.counts[s] == .init(owned: [set.size], core: [set.size], exec: [0], nonExec: [0]), "\(set.name)")
      #expect(census.imports[s].isEmpty, "\(set.name)")
    }
  }

  @Test("a chain in halves has the counts the MPI halo-chain-by-hand scenario expects")
  func chain() {
    // Cell i on nodes i, i + 1; cells 0–2 on part 0. Tests/MPIScenarios/Halos.swift checks the
    // same on 2 ranks: rank 0 cells (core, owned, executed, total) 3, 3, 4, 4 and nodes
    // 4, 4, 4, 5; rank 1 cells 2, 3, 3, 3 and nodes 3, 3, 3, 4.
    let census = DecompositionCensus(
      sets: [.init(name: "nodes", size: 7), .init(name: "cells", size: 6)],
      maps: [.init(name: "cell2node", from: 1, to: 0, arity: 2, values: (0..<6).flatMap { [Int32($0), Int32($0 + 1)] })],
      primary: 1, primaryParts: [0, 0, 0, 1, 1, 1], parts: 2)
    func layout(_ s: Int, _ r: Int) -> [Int] {
      let c = census.counts[s]
      return [c.core[r], c.owned[r], c.owned[r] + c.exec[r], c.owned[r] + c.exec[r] + c.nonExec[r]]
    }
    #expect([layout(1, 0), layout(0, 0)] == [[3, 3, 4, 4], [4, 4, 4, 5]])
    #expect([layout(1, 1), layout(0, 1)] == [[2, 3, 3, 3], [3, 3, 3, 4]])
  }

  @Test("elements nothing reaches keep their even block")
  func unreached() {
    // Nodes 0 and 1 are on no cell; "flags" is connected to nothing. Both cells are on part 1;
    // the even blocks of 5 elements over 2 parts are 0..<2 and 2..<5.
    let census = DecompositionCensus(
      sets: [.init(name: "nodes", size: 5), .init(name: "cells", size: 2), .init(name: "flags", size: 5)],
      maps: [.init(name: "cell2node", from: 1, to: 0, arity: 2, values: [2, 3, 3, 4])],
      primary: 1, primaryParts: [1, 1], parts: 2)
    #expect(census.elementParts[0] == [0, 0, 1, 1, 1])
    #expect(census.elementParts[2] == [0, 0, 1, 1, 1])
    #expect(census.counts[2] == .init(owned: [2, 3], core: [2, 3], exec: [0, 0], nonExec: [0, 0]))
  }
}
