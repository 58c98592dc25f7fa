import Testing
@testable import OP2

/// The parts of partitioning that need no MPI job: block arithmetic, RCB's coordinate keys and
/// METIS on a whole graph. The partitioners themselves run under mpirun in
/// Tests/MPIScenarios/Partitioning.swift.
@Suite("Partitioning (serial parts)")
struct PartitioningTests {
  @Test("even blocks cover the count in order and differ by at most one",
        arguments: [(0, 1), (0, 3), (1, 2), (5, 4), (3000, 3), (2000, 7), (10, 10)])
  func evenBlocks(count: Int, blocks: Int) {
    let bounds = DistributedGraph.evenBlockBounds(count: count, blocks: blocks)
    #expect(bounds.count == blocks + 1)
    #expect(bounds.first == 0 && bounds.last == count)
    let sizes = (0..<blocks).map { bounds[$0 + 1] - bounds[$0] }
    #expect(sizes.allSatisfy { $0 >= 0 })
    #expect(sizes.max()! - sizes.min()! <= 1)
  }

  @Test("even block starts do not overflow for large counts")
  func evenBlockLarge() {
    let count = Int.max / 3
    #expect(DistributedGraph.evenBlockStart(count: count, blocks: 1000, block: 999) == count / 1000 * 999 + (count % 1000) * 999 / 1000)
  }

  @Test("a block slice keeps global neighbour numbers and its coordinates")
  func slicing() {
    // The path 0 – 1 – 2 – 3 at x = 0, 1, 2, 3.
    let offsets = [0, 1, 3, 5, 6], adjacency = [1, 0, 2, 1, 3, 2]
    let block = DistributedGraph(slicing: offsets, adjacency: adjacency, coordinates: [0, 1, 2, 3], dimension: 1,
                                 first: 2, count: 2)
    #expect(block == DistributedGraph(vertexOffset: 2, globalVertexCount: 4, adjacencyOffsets: [0, 2, 3],
                                      adjacency: [1, 3, 2], coordinates: [2, 3], coordinateDimension: 1))
    #expect(Array(block.neighbours(of: 0)) == [1, 3])
    #expect(block.globalNumber(of: 1) == 3)
  }

  @Test("the owner of a vertex is the rank whose block holds it, past empty blocks")
  func owner() {
    let summary = DistributedGraph.Summary(blockStarts: [0, 3, 3, 7, 10], globalArcCount: 0)
    #expect((0..<10).map(summary.owner(of:)) == [0, 0, 0, 2, 2, 2, 2, 3, 3, 3])
  }

  @Test("RCB's coordinate keys order like the coordinates, with −0 equal to +0")
  func keys() {
    let values: [Double] = [-.greatestFiniteMagnitude, -1e300, -2.5, -1, -.leastNonzeroMagnitude, 0,
                            .leastNonzeroMagnitude, 1e-300, 1, 2.5, 1e300, .greatestFiniteMagnitude]
    let keys = values.map(GeometricPartitioner.key)
    #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 })
    #expect(GeometricPartitioner.key(-0.0) == GeometricPartitioner.key(0.0))
  }

  /// A `width` × `height` grid in METIS's CSR form.
  private func grid(width: Int, height: Int) -> (offsets: [Int32], adjacency: [Int32]) {
    var offsets: [Int32] = [0], adjacency: [Int32] = []
    for y in 0..<height {
      for x in 0..<width {
        let v = Int32(y * width + x), w = Int32(width)
        if y > 0 { adjacency.append(v - w) }
        if x > 0 { adjacency.append(v - 1) }
        if x < width - 1 { adjacency.append(v + 1) }
        if y < height - 1 { adjacency.append(v + w) }
        offsets.append(Int32(adjacency.count))
      }
    }
    return (offsets, adjacency)
  }

  @Test("METIS splits a grid within 3 % and repeats itself", arguments: [2, 3, 4, 9])
  func metisGrid(parts: Int) throws {
    let g = grid(width: 60, height: 50)
    let first = try METIS.partitionWhole(offsets: g.offsets, adjacency: g.adjacency, parts: parts)
    let second = try METIS.partitionWhole(offsets: g.offsets, adjacency: g.adjacency, parts: parts)
    let repeated = first == second
    #expect(repeated, "a second partition into \(parts) parts differs")
    var sizes = [Int](repeating: 0, count: parts)
    for p in first { sizes[Int(p)] += 1 }
    #expect(sizes.max()! <= METIS.largestAcceptedPart(vertices: 3000, parts: parts))
  }

  @Test("METIS balances graphs of a few vertices per part (recursive bisection when k-way cannot)",
        arguments: [(1, 2), (2, 2), (3, 2), (5, 4), (7, 3), (9, 4)])
  func metisTiny(count: Int, parts: Int) throws {
    // The path 0 – 1 – … – (count − 1).
    var offsets: [Int32] = [0], adjacency: [Int32] = []
    for v in 0..<Int32(count) {
      if v > 0 { adjacency.append(v - 1) }
      if v < Int32(count) - 1 { adjacency.append(v + 1) }
      offsets.append(Int32(adjacency.count))
    }
    let result = try METIS.partitionWhole(offsets: offsets, adjacency: adjacency, parts: parts)
    var sizes = [Int](repeating: 0, count: parts)
    for p in result { sizes[Int(p)] += 1 }
    #expect(sizes.max()! <= METIS.largestAcceptedPart(vertices: count, parts: parts))
  }

  @Test("METIS's accepted largest part is its 3 % tolerance, or the rounded-up average")
  func acceptedPart() {
    #expect(METIS.largestAcceptedPart(vertices: 2000, parts: 2) == 1030)
    #expect(METIS.largestAcceptedPart(vertices: 3, parts: 2) == 2)
    #expect(METIS.largestAcceptedPart(vertices: 8, parts: 4) == 2)
  }
}
