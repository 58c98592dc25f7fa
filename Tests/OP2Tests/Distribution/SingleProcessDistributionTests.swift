import Foundation
import Testing

@testable import OP2

/// The distribution API in one process (no `mpirun`): everything is rank 0 of 1, partitioning
/// checks its input and moves nothing, and the gathering calls are the plain ones. The MPI
/// behaviour is tested under `mpirun` by `op2-mpi-tests` (Tests/MPIScenarios).
@Suite("Distribution in one process")
struct SingleProcessDistributionTests {
  @Test("one process is rank 0 of 1, a single-process distribution")
  func rankZeroOfOne() {
    #expect(OP2.rank == 0)
    #expect(OP2.rankCount == 1)
    #expect(OP2.distribution == .singleProcess)
    #expect(OP2.sumOverRanks(2.5) == 2.5)
    #expect(OP2.maximumOverRanks(-1) == -1)
  }

  @Test("partitioning on one rank changes nothing and checks its input")
  func partitionIsANoOp() throws {
    let nodes = Set(size: 5, name: "nodes"), cells = Set(size: 4, name: "cells")
    let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<4).flatMap { [$0, $0 + 1] }, name: "c2n")
    let d = try Dat<Double>(cells ** 1, values: [1, 2, 3, 4], name: "d")
    try OP2.partition(primary: cells, map: map)
    try OP2.partition(primary: cells, map: map, method: .given([0, 0, 0, 0]))
    #expect(!cells.isDistributed && cells.size == 4 && cells.coreSize == 4 && cells.executedSize == 4 && cells.totalSize == 4)
    #expect(cells.globalIndices == [0, 1, 2, 3] && map.values == [0, 1, 1, 2, 2, 3, 3, 4] && d.data == [1, 2, 3, 4])
    expectError(.invalidPartitionInput(rank: 0, reason: "the partition array has 3 entries but set cells has 4"),
                message: "OP2.partition: the partition array has 3 entries but set cells has 4 (found on rank 0)") { () throws(OP2Error) in
      try OP2.partition(primary: cells, map: map, method: .given([0, 0, 0]))
    }
    expectError(.invalidPartitionInput(rank: 0, reason: "partition entry 2 is 1, outside 0..<1 ranks"),
                message: "OP2.partition: partition entry 2 is 1, outside 0..<1 ranks (found on rank 0)") { () throws(OP2Error) in
      try OP2.partition(primary: cells, map: map, method: .given([0, 0, 1, 0]))
    }
    expectError(.invalidPartitionInput(rank: 0, reason: "map c2n does not start from the primary set nodes (it maps cells → nodes)"),
                message: "OP2.partition: map c2n does not start from the primary set nodes (it maps cells → nodes) (found on rank 0)") { () throws(OP2Error) in
      try OP2.partition(primary: nodes, map: map)
    }
  }

  @Test("partitioning on one rank leaves queued loops queued (its own and other runtimes')")
  func partitionLeavesQueues() throws {
    // Running every runtime's queue here used to run other tests' queued loops behind their
    // backs (a test counting its pending loops saw them gone).
    var config = OP2.Configuration.testing()
    config.fusion = false
    try OP2.withConfiguration(config) {
      let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 2, name: "cells")
      let map = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 1, 2], name: "c2n")
      let d = try Dat<Double>(cells ** 1, values: [1, 2], name: "d")
      let double = Kernel(code: "void twice(double *x) { x[0] *= 2.0; }", name: "twice")
      try parLoop(double, over: cells, d(.rw))
      #expect(OP2.pendingLoopCount == 1)
      try OP2.partition(primary: cells, map: map)
      #expect(OP2.pendingLoopCount == 1)
      #expect(d.data == [2, 4])  // and reading runs it
      #expect(OP2.pendingLoopCount == 0)
    }
  }

  @Test("the gathering calls are the plain ones; a rank other than 0 is an error")
  func gatherWithoutMPI() throws {
    let cells = Set(size: 3, name: "cells")
    let d = try Dat<Double>(cells ** 2, values: [1, 2, 3, 4, 5, 6], name: "d")
    #expect(d.gatheredData() == [1, 2, 3, 4, 5, 6])
    #expect(try d.gatheredData(root: 0) == [1, 2, 3, 4, 5, 6])
    #expect(d.localData(includingHalo: true) == d.data)
    expectError(.invalidRank(operation: "Dat d.gatheredData", rank: 1, rankCount: 1),
                message: "Dat d.gatheredData: rank 1 is outside 0..<1") { () throws(OP2Error) in _ = try d.gatheredData(root: 1) }
    expectError(.invalidRank(operation: "Dat d.scatterData", rank: -1, rankCount: 1),
                message: "Dat d.scatterData: rank -1 is outside 0..<1") { () throws(OP2Error) in try d.scatterData([0], root: -1) }
    expectError(.valueCountMismatch(object: "Dat \"d\" on cells**2", expected: 6, got: 2),
                message: "Dat \"d\" on cells**2: expected 6 values, got 2") { () throws(OP2Error) in try d.scatterData([9, 9]) }
    #expect(d.data == [1, 2, 3, 4, 5, 6], "a rejected scatter changed the Dat")
    try d.scatterData([6, 5, 4, 3, 2, 1])
    #expect(d.data == [6, 5, 4, 3, 2, 1])
  }

  @Test("a set declared in blocks is the whole set on one rank")
  func blocksOnOneRank() throws {
    let cells = try Set(globalSize: 5, name: "cells")
    #expect(cells.size == 5 && cells.globalSize == 5 && cells.globalIndices == [0, 1, 2, 3, 4])
    expectError(.invalidSize(object: "Set \"bad\"", what: "local size (the whole set, 5, on a single rank)", value: 3),
                message: "Set \"bad\": invalid local size (the whole set, 5, on a single rank): 3") { () throws(OP2Error) in
      _ = try Set(globalSize: 5, localSize: 3, name: "bad")
    }
    expectError(.invalidSize(object: "Set \"neg\"", what: "global size (at least 0)", value: -2),
                message: "Set \"neg\": invalid global size (at least 0): -2") { () throws(OP2Error) in _ = try Set(globalSize: -2, name: "neg") }
    let d = Dat<Double>(cells ** 1, name: "d")
    let k = Kernel(code: "void five(double *d) { d[0] = 5.0; }", name: "five")
    try OP2.withConfiguration(.testing()) {
      try parLoop(k, over: cells, d(.write))
      #expect(d.data == [5, 5, 5, 5, 5])
    }
  }

  @Test("the timing report shows halo columns only when there were exchanges or ranks")
  func timingColumns() {
    let plain = TimingReport(rows: [.init(name: "loop", count: 2, seconds: 1, bytes: 10, planSeconds: 0, colours: 0, blocks: 0)],
                             compileSeconds: 0)
    #expect(!plain.description.contains("halo"))
    var row = TimingReport.Row(name: "res_calc", count: 4, seconds: 2, bytes: 4_000_000, planSeconds: 0, colours: 0, blocks: 0)
    row.averageSeconds = 1.5
    row.haloSeconds = 0.25
    row.haloBytes = 80_000
    row.haloExchanges = 8
    let gathered = TimingReport(rows: [row], compileSeconds: 0, ranks: 2)
    let lines = gathered.description.split(separator: "\n")
    #expect(lines[0].contains("max (s)") && lines[0].contains("avg (s)") && lines[0].contains("halo (s)") && lines[0].contains("halo KB/call"))
    // 80 000 bytes over 4 calls and 2 ranks: 10 KB per call per rank.
    let fields = lines[2].split(separator: " ")
    #expect(fields.first == "res_calc" && fields.last == "10.0" && fields.contains("1.5000") && fields.contains("0.2500"), "row: \(lines[2])")
  }
}
