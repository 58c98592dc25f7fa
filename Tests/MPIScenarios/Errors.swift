import Foundation
import OP2

extension Scenario {
  /// Bad input to partitioning gives the same typed error on every rank and changes nothing.
  static let errors: [Scenario] = [
    Scenario("error-extruded-set-before-partition") {
      // An extruded set made before its base is partitioned stays whole: loops over it throw on
      // every rank; one made after follows the partition, and its maps must reach distributed sets.
      let nodes = Set(size: 8, name: "nodes"), cells = Set(size: 7, name: "cells")
      let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<7).flatMap { [$0, $0 + 1] }, name: "c2n")
      let before = try ExtrudedSet(cells, layers: 3, name: "columns_before")
      let column = try Map(from: before, to: before, arity: 1, values: Array(0..<7).map { 3 * $0 }, offset: [1], name: "column")
      try OP2.partition(primary: cells, map: map, method: .block)
      let after = try ExtrudedSet(cells, layers: 3)
      try expect(after.isDistributed && after.size == cells.size && after.totalSize == cells.totalSize, "an extruded set made after partitioning follows its base")
      try expectError(.unsupportedOnExtrudedSet(set: "cells_extruded", reason: "Map \"bad\": its columns are distributed over MPI ranks but its target columns_before is not; map to a partitioned set or an extruded set made after OP2.partition")) {
        _ = try Map(from: after, to: before, arity: 1, values: [Int32](repeating: 0, count: after.executedSize), offset: [0], name: "bad")
      }
      let k = Kernel(code: "void k(double **x) { x[0][0] += 1; }", name: "k")
      let x = Dat<Double>(before ** 1, name: "x")
      try expectError(.unsupportedOnExtrudedSet(set: "columns_before", reason: "parLoop \"k\": its base cells was partitioned after the extruded set was made; extrude the base after OP2.partition")) {
        try parLoop(k, over: before, x(.inc, column))
      }
      try expect(x.data.allSatisfy { $0 == 0 }, "a rejected extruded loop changed a Dat")
    },
    Scenario("error-partition-array-length") {
      let nodes = Set(size: 8, name: "nodes"), cells = Set(size: 7, name: "cells")
      let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<7).flatMap { [$0, $0 + 1] }, name: "c2n")
      let before = map.values
      try expectError(.invalidPartitionInput(rank: 0, reason: "the partition array has 6 entries but set cells has 7")) {
        try OP2.partition(primary: cells, map: map, method: .given([0, 0, 0, 0, 0, 0]))
      }
      try expect(!cells.isDistributed && cells.size == 7 && map.values == before, "a rejected partition changed the mesh")
    },
    Scenario("error-partition-array-rank-on-one-rank") {
      // Declared in blocks: each rank gives the parts of its own block; the last rank's is bad.
      let ranks = OP2.rankCount, last = ranks - 1
      let cells = try Set(globalSize: 4 * ranks, name: "cells"), nodes = try Set(globalSize: 4 * ranks + 1, name: "nodes")
      let first = cells.globalIndices[0]
      let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<4).flatMap { [first + $0, first + $0 + 1] }, name: "c2n")
      var parts = [Int](repeating: OP2.rank, count: 4)
      if OP2.rank == last { parts[2] = ranks + 5 }
      try expectError(.invalidPartitionInput(rank: last, reason: "partition entry 2 is \(ranks + 5), outside 0..<\(ranks) ranks")) {
        try OP2.partition(primary: cells, map: map, method: .given(parts))
      }
      try expect(!cells.isDistributed && cells.size == 4, "a rejected partition changed the mesh")
    },
    Scenario("error-blocks-do-not-add-up") {
      let ranks = OP2.rankCount
      guard ranks > 1 else { return }
      let cells = try Set(globalSize: 3 * ranks, localSize: OP2.rank == 0 ? 4 : 3, name: "cells")
      let nodes = try Set(globalSize: 3 * ranks, localSize: 3, name: "nodes")
      let first = OP2.rank == 0 ? 0 : 3 * OP2.rank + 1
      let map = try Map(from: cells, to: nodes, arity: 1, values: (0..<cells.size).map { min(first + $0, 3 * ranks - 1) }, name: "c2n")
      try expectError(.invalidPartitionInput(rank: 0, reason: "the blocks of set cells add up to \(3 * ranks + 1) elements, but it was declared with globalSize \(3 * ranks)")) {
        try OP2.partition(primary: cells, map: map)
      }
      try expect(!cells.isDistributed && cells.size == (OP2.rank == 0 ? 4 : 3), "a rejected partition changed the mesh")
    },
    Scenario("error-map-outside-global-set-on-one-rank") {
      let ranks = OP2.rankCount, last = ranks - 1
      guard ranks > 1 else { return }  // one rank holds the whole set: the Map itself rejects it
      let cells = try Set(globalSize: 3 * ranks, name: "cells"), nodes = try Set(globalSize: 3 * ranks + 1, name: "nodes")
      let first = cells.globalIndices[0]
      var values = (0..<3).flatMap { [first + $0, first + $0 + 1] }
      if OP2.rank == last { values[3] = 99 * ranks }
      let map = try Map(from: cells, to: nodes, arity: 2, values: values, name: "c2n")
      try expectError(.mapValueOutOfRange(map: "c2n", entry: 3 * last * 2 + 3, value: 99 * ranks, targetSet: "nodes", targetSize: 3 * ranks + 1)) {
        try OP2.partition(primary: cells, map: map, method: .block)
      }
      try expect(!cells.isDistributed && map.values.count == 6, "a rejected partition changed the mesh")
    },
    Scenario("error-ranks-declare-different-objects") {
      let ranks = OP2.rankCount
      guard ranks > 1 else { return }
      let nodes = Set(size: 5, name: "nodes"), cells = Set(size: 4, name: "cells")
      let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<4).flatMap { [$0, $0 + 1] }, name: "c2n")
      let extra: Dat<Double>? = OP2.rank == ranks - 1 ? Dat(cells ** 1, name: "only_here") : nil
      do {
        try OP2.partition(primary: cells, map: map)
        throw ScenarioFailure(message: "partition accepted ranks that declared different Dats")
      } catch let error as OP2Error {
        guard case .invalidPartitionInput(let rank, let reason) = error else { throw error }
        try expect(rank == ranks - 1 && reason.contains("only_here"), "unexpected error \(error)")
        let all = ScenarioSupport.gatherMessages(error.description)
        try expect(Swift.Set(all).count == 1, "ranks disagree on the error: \(all)")
      }
      try expect(!cells.isDistributed && extra.map { !$0.dataSet.set.isDistributed } ?? true, "a rejected partition changed the mesh")
    },
    Scenario("error-loop-before-partition") {
      let cells = try Set(globalSize: 2 * OP2.rankCount, name: "cells")
      let d = Dat<Double>(cells ** 1, name: "d")
      let k = Kernel(code: "void one(double *d) { d[0] = 1.0; }", name: "one")
      guard OP2.rankCount > 1 else { return }
      try expectError(.notPartitioned(operation: "parLoop \"one\"", set: "cells")) { try parLoop(k, over: cells, d(.write)) }
    },
  ]
}
