import Foundation
import OP2

extension Scenario {
  static let basics: [Scenario] = [
    Scenario("rank-and-size") {
      let env = ProcessInfo.processInfo.environment
      let size = Int(env["OMPI_COMM_WORLD_SIZE"] ?? "1")!
      try expect(OP2.rankCount == size, "rankCount \(OP2.rankCount), mpirun started \(size)")
      try expect((0..<size).contains(OP2.rank), "rank \(OP2.rank)")
      let world = MPIEnvironment.world!
      let ranks = world.allgather(OP2.rank)
      try expect(ranks == Array(0..<size), "allgather of ranks gave \(ranks)")
      let sum = world.allreduce(Double(OP2.rank + 1), .sum)
      try expect(sum == Double(size * (size + 1) / 2), "allreduce sum gave \(sum)")
      let parts = world.alltoall((0..<size).map { [Int32(OP2.rank * 100 + $0)] })
      try expect(parts.enumerated().allSatisfy { $0.element == [Int32($0.offset * 100 + OP2.rank)] }, "alltoall gave \(parts)")
      let text = world.broadcast(OP2.rank == 0 ? "from rank 0" : "", root: 0)
      try expect(text == "from rank 0", "broadcast gave \(text)")
    },
  ]
}
