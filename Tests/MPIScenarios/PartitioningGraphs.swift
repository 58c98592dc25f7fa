import Foundation
import OP2

/// A whole graph every rank builds identically (from a seed), cut into even consecutive blocks
/// for the partitioners, and the measures the partitioning scenarios check.
struct TestGraph: Sendable {
  var name: String
  var offsets: [Int]
  var adjacency: [Int]
  var coordinates: [Double]
  var dimension: Int
  var vertexCount: Int { offsets.count - 1 }
  var edgeCount: Int { adjacency.count / 2 }

  /// A `width` × `height` grid, vertex `y·width + x` at (x, y), joined to its 4 neighbours.
  /// The optimal cut into 2 parts is `min(width, height)` edges.
  static func grid(width: Int, height: Int) -> TestGraph {
    var offsets = [0], adjacency = [Int](), coordinates = [Double]()
    for y in 0..<height {
      for x in 0..<width {
        let v = y * width + x
        if y > 0 { adjacency.append(v - width) }
        if x > 0 { adjacency.append(v - 1) }
        if x < width - 1 { adjacency.append(v + 1) }
        if y < height - 1 { adjacency.append(v + width) }
        offsets.append(adjacency.count)
        coordinates += [Double(x), Double(y)]
      }
    }
    return TestGraph(name: "grid \(width)x\(height)", offsets: offsets, adjacency: adjacency,
                     coordinates: coordinates, dimension: 2)
  }

  /// `count` points drawn uniformly in the unit square from `seed`, joined when closer than the
  /// radius that gives about `degree` neighbours on average (a random geometric graph).
  static func randomGeometric(count: Int, degree: Double, seed: UInt64) -> TestGraph {
    var generator = SeededGenerator(seed: seed)
    let points = (0..<count).map { _ in (Double.random(in: 0..<1, using: &generator), Double.random(in: 0..<1, using: &generator)) }
    let radius = (degree / (Double.pi * Double(count))).squareRoot()
    let cells = max(1, Int(1 / radius))
    func cell(_ p: (Double, Double)) -> (Int, Int) { (min(cells - 1, Int(p.0 * Double(cells))), min(cells - 1, Int(p.1 * Double(cells)))) }
    var buckets = [[Int]](repeating: [], count: cells * cells)
    for (i, p) in points.enumerated() { let c = cell(p); buckets[c.1 * cells + c.0].append(i) }
    var offsets = [0], adjacency = [Int]()
    for (i, p) in points.enumerated() {
      let c = cell(p)
      var row = [Int]()
      for cy in max(0, c.1 - 1)...min(cells - 1, c.1 + 1) {
        for cx in max(0, c.0 - 1)...min(cells - 1, c.0 + 1) {
          for j in buckets[cy * cells + cx] where j != i {
            let dx = points[j].0 - p.0, dy = points[j].1 - p.1
            if dx * dx + dy * dy < radius * radius { row.append(j) }
          }
        }
      }
      adjacency += row.sorted()
      offsets.append(adjacency.count)
    }
    return TestGraph(name: "random geometric \(count)", offsets: offsets, adjacency: adjacency,
                     coordinates: points.flatMap { [$0.0, $0.1] }, dimension: 2)
  }

  /// A path 0 – 1 – … – (count − 1) at x = vertex number.
  static func path(_ count: Int) -> TestGraph {
    var offsets = [0], adjacency = [Int]()
    for v in 0..<count {
      if v > 0 { adjacency.append(v - 1) }
      if v < count - 1 { adjacency.append(v + 1) }
      offsets.append(adjacency.count)
    }
    return TestGraph(name: "path \(count)", offsets: offsets, adjacency: adjacency,
                     coordinates: (0..<count).map(Double.init), dimension: 1)
  }

  /// This rank's block of an even split in rank order (block sizes differ by at most one).
  func block(of communicator: Communicator) -> DistributedGraph {
    let bounds = DistributedGraph.evenBlockBounds(count: vertexCount, blocks: communicator.size)
    let first = bounds[communicator.rank]
    return DistributedGraph(slicing: offsets, adjacency: adjacency, coordinates: coordinates,
                            dimension: dimension, first: first, count: bounds[communicator.rank + 1] - first)
  }

  /// Every vertex's part, from each rank's parts of its block.
  func gather(_ localParts: [Int32], _ communicator: Communicator) -> [Int32] {
    Array(communicator.allgather(localParts).joined())
  }

  /// The number of vertices in each part.
  func sizes(_ parts: [Int32], count: Int) -> [Int] {
    var sizes = [Int](repeating: 0, count: count)
    for p in parts { sizes[Int(p)] += 1 }
    return sizes
  }

  /// The number of edges whose ends are in different parts.
  func edgeCut(_ parts: [Int32]) -> Int {
    var cut = 0
    for v in 0..<vertexCount {
      for w in adjacency[offsets[v]..<offsets[v + 1]] where w > v && parts[w] != parts[v] { cut += 1 }
    }
    return cut
  }
}
