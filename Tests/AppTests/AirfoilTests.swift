import AirfoilKit
import Foundation
import Numerics
import OP2
import Testing

/// The airfoil app on swift-op2 against an independent pure-Swift implementation of the same
/// scheme (AirfoilReference), value by value.
@Suite("Airfoil against the Swift reference")
struct AirfoilTests {
  @Test("20 iterations on a generated grid match the reference: rms bit for bit sequentially, to 1e-12 on threads", arguments: Backend.available)
  func matchesReference(backend: Backend) throws {
    let grid = try AirfoilMesh.generate(cells: 2400)
    var reference = AirfoilReference(
      nodeCount: grid.nodeCount, cellCount: grid.cellCount, edgeCount: grid.edgeCount, bedgeCount: grid.bedgeCount,
      x: grid.x, cellNodes: grid.cellNodes, edgeNodes: grid.edgeNodes, edgeCells: grid.edgeCells,
      bedgeNodes: grid.bedgeNodes, bedgeCells: grid.bedgeCells, bound: grid.bound)
    let expected = reference.run(iterations: 20)
    var config = OP2.Configuration()
    config.backend = backend
    config.blockSize = 64
    config.checkPlans = true
    try OP2.withConfiguration(config) {
      let sim = try AirfoilSimulation(grid: grid)
      var rms: [Double] = []
      for _ in 0..<20 { rms.append(try sim.iterate()) }
      for (i, (got, want)) in zip(rms, expected).enumerated() {
        if backend == .sequential {
          // The reference adds in the sequential wrapper's order: the same bits.
          #expect(got == want, "iteration \(i + 1): \(got) vs \(want)")
        } else {
          // Per-thread partial sums of the rms, and increments of res in plan order.
          #expect(got.isApproximatelyEqual(to: want, relativeTolerance: 1e-12), "iteration \(i + 1): \(got) vs \(want)")
        }
      }
      // Relative to each component's largest magnitude (y-momentum starts at exactly 0, so
      // element-wise relative errors of near-zero values would measure nothing but rounding).
      let q = sim.q.data
      var scale = [Double](repeating: 0, count: 4)
      for (i, v) in reference.q.enumerated() { scale[i % 4] = max(scale[i % 4], abs(v)) }
      var worst = (index: 0, error: 0.0)
      for (i, (got, want)) in zip(q, reference.q).enumerated() {
        let error = abs(got - want) / scale[i % 4]
        if error > worst.error { worst = (i, error) }
      }
      #expect(worst.error <= 1e-12, "worst q[\(worst.index)]: relative error \(worst.error)")
      #expect(q.count == reference.q.count)
    }
  }

  @Test("a simulation declared from a one-rank block is the simulation of the whole grid")
  func fromBlock() throws {
    let grid = try AirfoilMesh.generate(cells: 2400)
    try OP2.withConfiguration(OP2.Configuration()) {
      let whole = try AirfoilSimulation(grid: grid)
      let blocks = try AirfoilSimulation(block: OP2GridBlock(slicing: grid, rank: 0, rankCount: 1))
      try blocks.partition()  // nothing to do on one rank
      #expect(blocks.cells.globalSize == grid.cellCount && blocks.nodes.size == grid.nodeCount)
      for i in 1...10 { #expect(try whole.iterate() == blocks.iterate(), "iteration \(i)") }
      #expect(whole.q.data == blocks.q.data)
    }
    #expect(throws: OP2Error.invalidSize(
      object: "AirfoilSimulation(block:)", what: "block rank (this process is rank 0 of 1, the block one of 2)", value: 1)) {
      try AirfoilSimulation(block: OP2GridBlock(slicing: grid, rank: 1, rankCount: 2))
    }
  }

  @Test("renumbered grids are consistent and give the same rms", arguments: ["shuffled", "rcm", "shuffled+rcm"])
  func renumbered(ordering: String) throws {
    let grid = try AirfoilMesh.generate(cells: 2400)
    var renumbered = grid
    for step in ordering.split(separator: "+") {
      renumbered = renumbered.renumbered(step == "rcm" ? .reverseCuthillMcKee : .shuffled(seed: 7))
    }
    #expect(AirfoilMesh.checkConsistency(renumbered) == [])
    #expect(renumbered != grid)
    if ordering.hasSuffix("rcm") { #expect(renumbered.cellBandwidth * 10 < grid.renumbered(.shuffled(seed: 7)).cellBandwidth) }
    func rms(_ g: OP2Grid) throws -> [Double] {
      try OP2.withConfiguration(OP2.Configuration()) {
        let sim = try AirfoilSimulation(grid: g)
        return try (0..<10).map { _ in try sim.iterate() }
      }
    }
    for (got, want) in zip(try rms(renumbered), try rms(grid)) {
      #expect(got.isApproximatelyEqual(to: want, relativeTolerance: 1e-12), "\(got) vs \(want)")
    }
  }

  @Test("a uniform free stream only changes next to the wall in the first iteration", arguments: [600, 2400])
  func freeStreamPreserved(cells: Int) throws {
    // With q = qinf everywhere, the fluxes through a closed cell cancel when every edge is
    // oriented consistently, and the far field sees qinf on both sides. Only the wall's pressure
    // term acts, so after the two stages of one iteration only wall cells and their neighbours
    // move: any wrongly oriented edge elsewhere shows up as a change.
    let grid = try AirfoilMesh.generate(cells: cells)
    try OP2.withConfiguration(OP2.Configuration()) {
      let sim = try AirfoilSimulation(grid: grid)
      _ = try sim.iterate()
      let q = sim.q.data
      var near = Swift.Set(zip(grid.bedgeCells, grid.bound).filter { $0.1 == 1 }.map { Int($0.0) })
      for e in 0..<grid.edgeCount {
        let a = Int(grid.edgeCells[2 * e]), b = Int(grid.edgeCells[2 * e + 1])
        if near.contains(a) || near.contains(b) { near.insert(a); near.insert(b) }
      }
      var worst = 0.0
      for c in 0..<grid.cellCount where !near.contains(c) {
        for k in 0..<4 { worst = max(worst, abs(q[4 * c + k] - AirfoilConstants.qinf[k])) }
      }
      #expect(worst < 1e-12, "largest change away from the wall: \(worst)")
      #expect(near.count < grid.cellCount)
    }
  }
}
