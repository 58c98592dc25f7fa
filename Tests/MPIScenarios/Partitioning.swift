import Foundation
import OP2

// The graph partitioners (OP2.partition's back ends) on every rank. Each method partitions a
// 60 × 50 grid and a random geometric graph of 2000 vertices into 1, 2, 3, 4 and `ranks` parts,
// twice, and the scenarios check the range of the parts, the balance, the edge cut and that both
// runs agree. Set OP2_PARTITION_REPORT=1 to print the measured sizes and cuts on rank 0.
//
// The bounds (measured on 1, 2 and 3 ranks, see each partitioner's documentation):
// - geometric (RCB) and block: part sizes exactly ⌊(p+1)N/P⌋ − ⌊pN/P⌋, so within one vertex;
// - PT-Scotch within its strategy's 1 % and METIS within k-way's 3 % above the average, plus one
//   vertex for rounding (measured: at most 1.0 % and 2.9 %);
// - on the grid, a cut at most twice the optimum (50, 100 and 110 edges for 2, 3 and 4 parts)
//   for PT-Scotch, METIS and RCB (measured: 50–54, 90–102 and 110–127);
// - on the random graph, a cut at most a third of the block partition's (its numbering is
//   random: 3819–5739 of 7661 edges cut), and for PT-Scotch and METIS no more than RCB's
//   (measured: 42–100 and 51–76 against RCB's 206–332).

extension Scenario {
  static let partitioning: [Scenario] =
    GraphPartitioning.Method.allCases.flatMap { method in
      [
        Scenario("partition-\(method.rawValue)-grid") {
          try checkPartitions(.grid(width: 60, height: 50), method: method)
        },
        Scenario("partition-\(method.rawValue)-random") {
          try checkPartitions(.randomGeometric(count: 2000, degree: 8, seed: 2024), method: method)
        },
        Scenario("partition-\(method.rawValue)-tiny") {
          // Fewer vertices than ranks or parts: some blocks and some parts are empty.
          for graph in [TestGraph.path(0), .path(1), .path(2), .path(5)] {
            try checkPartitions(graph, method: method, partCounts: [1, 2, 4], checkCut: false)
          }
        },
        Scenario("partition-\(method.rawValue)-malformed") {
          try checkMalformed(method: method)
        },
      ]
    } + [
      Scenario("partition-input-errors") { try checkInputErrors() },
    ]

  /// Partitions `graph` into each of `partCounts` (by default 1, 2, 3, 4 and the rank count) twice.
  static func checkPartitions(_ graph: TestGraph, method: GraphPartitioning.Method,
                              partCounts: [Int]? = nil, checkCut: Bool = true) throws {
    let world = MPIEnvironment.world!
    let block = graph.block(of: world)
    var counts = [Int]()
    for p in partCounts ?? [1, 2, 3, 4, world.size] where !counts.contains(p) { counts.append(p) }
    for parts in counts {
      let what = "\(method) on \(graph.name) into \(parts) parts on \(world.size) ranks"
      let first = try GraphPartitioning.partition(block, parts: parts, method: method, communicator: world)
      let second = try GraphPartitioning.partition(block, parts: parts, method: method, communicator: world)
      try expect(first == second, "\(what): a second run gave different parts")
      try expect(first.count == block.localVertexCount, "\(what): \(first.count) parts for \(block.localVertexCount) vertices")
      try expect(first.allSatisfy { (0..<Int32(parts)).contains($0) }, "\(what): a part outside 0..<\(parts)")
      if method == .block, parts == world.size {
        try expect(first.allSatisfy { $0 == Int32(world.rank) }, "\(what): block parts are not the rank")
      }

      let all = graph.gather(first, world)
      let sizes = graph.sizes(all, count: parts)
      let cut = graph.edgeCut(all)
      let average = Double(graph.vertexCount) / Double(parts)
      let imbalance = graph.vertexCount == 0 ? 0 : Double(sizes.max()!) / average - 1
      if world.rank == 0, ProcessInfo.processInfo.environment["OP2_PARTITION_REPORT"] != nil {
        print("  \(what): sizes \(sizes.min()!)...\(sizes.max()!), imbalance \(String(format: "%.2f", 100 * imbalance)) %, cut \(cut) of \(graph.edgeCount) edges")
      }
      let bounds = DistributedGraph.evenBlockBounds(count: graph.vertexCount, blocks: parts)
      let exact = (0..<parts).map { bounds[$0 + 1] - bounds[$0] }
      switch method {
      case .geometric, .block:
        try expect(sizes == exact, "\(what): sizes \(sizes), expected \(exact)")
      case .ptscotch, .metis:
        let allowed = method == .ptscotch ? 0.01 : 0.03
        try expect(Double(sizes.max()!) <= average * (1 + allowed) + 1,
                   "\(what): sizes \(sizes) exceed the average \(average) by more than \(Int(allowed * 100)) %")
      }
      guard checkCut, parts > 1, method != .block else { continue }
      if graph.name.hasPrefix("grid") {
        let optimum = [2: 50, 3: 100, 4: 110][parts]
        if let optimum { try expect(cut <= 2 * optimum, "\(what): cut \(cut), optimum \(optimum)") }
      } else {
        let blockCut = graph.edgeCut(graph.gather(
          try GraphPartitioning.partition(block, parts: parts, method: .block, communicator: world), world))
        try expect(3 * cut <= blockCut, "\(what): cut \(cut), the block partition's \(blockCut)")
        if method == .ptscotch || method == .metis {
          let geometricCut = graph.edgeCut(graph.gather(
            try GraphPartitioning.partition(block, parts: parts, method: .geometric, communicator: world), world))
          try expect(cut <= geometricCut, "\(what): cut \(cut), RCB's \(geometricCut)")
        }
      }
    }
  }

  /// A neighbour outside the graph on the last rank only: every rank throws the same error.
  static func checkMalformed(method: GraphPartitioning.Method) throws {
    let world = MPIEnvironment.world!
    let graph = TestGraph.grid(width: 60, height: 50)
    var block = graph.block(of: world)
    let last = world.size - 1
    if world.rank == last { block.adjacency[0] = graph.vertexCount + 5 }
    let first = DistributedGraph.evenBlockBounds(count: graph.vertexCount, blocks: world.size)[last]
    try expectError(.invalidPartitionInput(rank: last, reason: "vertex \(first) has neighbour \(graph.vertexCount + 5), outside 0..<\(graph.vertexCount)")) { () throws(OP2Error) in
      _ = try GraphPartitioning.partition(block, parts: 2, method: method, communicator: world)
    }
    // Nobody was left in a collective: the ranks partition together again.
    let parts = try GraphPartitioning.partition(graph.block(of: world), parts: 2, method: method, communicator: world)
    try expect(parts.count == block.localVertexCount, "no partition after the error")
  }

  /// Other invalid inputs, each found on some ranks and thrown identically on all.
  static func checkInputErrors() throws {
    let world = MPIEnvironment.world!
    let graph = TestGraph.grid(width: 60, height: 50)
    let block = graph.block(of: world)
    try expectError(.invalidPartitionInput(rank: 0, reason: "parts is 0; it must be in 1...\(Int32.max)")) { () throws(OP2Error) in
      _ = try GraphPartitioning.partition(block, parts: 0, method: .ptscotch, communicator: world)
    }
    var bare = block
    bare.coordinates = []
    bare.coordinateDimension = 0
    try expectError(.invalidPartitionInput(rank: 0, reason: "geometric partitioning needs coordinates (coordinateDimension is 0)")) { () throws(OP2Error) in
      _ = try GraphPartitioning.partition(bare, parts: 2, method: .geometric, communicator: world)
    }
    if world.size > 1 {
      try expectError(.invalidPartitionInput(rank: 1, reason: "parts is 3 on rank 1 but 2 on rank 0")) { () throws(OP2Error) in
        _ = try GraphPartitioning.partition(block, parts: world.rank == 0 ? 2 : 3, method: .metis, communicator: world)
      }
    }
    // One arc without its reverse, on the last rank: the error names the rank that noticed.
    var asymmetric = block
    if world.rank == world.size - 1 {
      let row = asymmetric.adjacencyOffsets[0]..<asymmetric.adjacencyOffsets[1]
      let far = (asymmetric.vertexOffset + graph.vertexCount / 2) % graph.vertexCount
      precondition(!asymmetric.adjacency[row].contains(far))
      asymmetric.adjacency[row.lowerBound] = far
    }
    do {
      _ = try GraphPartitioning.partition(asymmetric, parts: 2, method: .ptscotch, communicator: world)
      throw ScenarioFailure(message: "an asymmetric graph was partitioned")
    } catch let error as OP2Error {
      guard case let .invalidPartitionInput(_, reason) = error, reason.hasSuffix("the adjacency must be symmetric") else {
        throw ScenarioFailure(message: "asymmetric graph: unexpected \(error)")
      }
      let everywhere = ScenarioSupport.gatherMessages(error.description)
      try expect(Swift.Set(everywhere).count == 1, "asymmetric graph: different errors \(everywhere)")
    }
  }
}
