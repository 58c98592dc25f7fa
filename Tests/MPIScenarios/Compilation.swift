import Foundation
import OP2

extension Scenario {
  /// A distributed mesh of `cells` cells in a chain, partitioned in blocks.
  static func chain(cells count: Int) throws -> (cells: Set, nodes: Set, map: Map) {
    let nodes = Set(size: count + 1, name: "nodes"), cells = Set(size: count, name: "cells")
    let map = try Map(from: cells, to: nodes, arity: 2, values: (0..<count).flatMap { [$0, $0 + 1] }, name: "c2n")
    try OP2.partition(primary: cells, map: map, method: .block)
    return (cells, nodes, map)
  }

  /// A folder every rank agrees on (rank 0's choice).
  static func sharedTemporaryFolder(_ label: String) -> String {
    let mine = FileManager.default.temporaryDirectory.path + "/op2-mpi-\(label)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    let path = OP2.rank == 0 ? mine : ""
    let agreed = ScenarioSupport.gatherMessages(path)[0]
    if OP2.rank == 0 { try? FileManager.default.createDirectory(atPath: agreed, withIntermediateDirectories: true) }
    ScenarioSupport.barrier()
    return agreed
  }

  static let compilation: [Scenario] = [
    Scenario("compile-once-per-node") {
      var config = OP2.Configuration()
      config.cacheDirectory = sharedTemporaryFolder("cache")
      defer { if OP2.rank == 0 { try? FileManager.default.removeItem(atPath: config.cacheDirectory) } }
      try OP2.withConfiguration(config) {
        let mesh = try chain(cells: 12 * OP2.rankCount)
        let d = Dat<Double>(mesh.nodes ** 1, name: "d")
        let k = Kernel(code: "void once_\(OP2.rankCount)(double *d[2]) { d[0][0] += 1.0; d[1][0] += 2.0; }", name: "once_\(OP2.rankCount)")
        try parLoop(k, over: mesh.cells, d(.inc, mesh.map))
        let compiled = ScenarioSupport.sum(OP2.statistics.compilations)
        try expect(compiled == 1, "\(compiled) ranks compiled the wrapper; one per node should")
        let values = d.gatheredData()
        try expect(values == (0...(12 * OP2.rankCount)).map { n in Double((n > 0 ? 2 : 0) + (n < 12 * OP2.rankCount ? 1 : 0)) },
                   "results \(values)")
      }
    },
    Scenario("compile-with-separate-caches") {
      // Each rank its own cache folder: every rank ends up compiling, and the loop still works.
      var config = OP2.Configuration()
      config.cacheDirectory = FileManager.default.temporaryDirectory.path + "/op2-mpi-own-cache-\(getpid())"
      defer { try? FileManager.default.removeItem(atPath: config.cacheDirectory) }
      try OP2.withConfiguration(config) {
        let mesh = try chain(cells: 6 * OP2.rankCount)
        let d = Dat<Double>(mesh.cells ** 1, name: "d")
        let k = Kernel(code: "void own_cache(double *d) { d[0] = 3.0; }", name: "own_cache")
        try parLoop(k, over: mesh.cells, d(.write))
        try expect(d.gatheredData() == [Double](repeating: 3, count: 6 * OP2.rankCount), "results")
        let compiled = ScenarioSupport.sum(OP2.statistics.compilations)
        try expect(compiled == OP2.rankCount, "\(compiled) compilations with \(OP2.rankCount) separate caches")
      }
    },
    Scenario("compile-failure-same-on-every-rank") {
      var config = OP2.Configuration()
      config.cacheDirectory = sharedTemporaryFolder("cache-failure")
      defer { if OP2.rank == 0 { try? FileManager.default.removeItem(atPath: config.cacheDirectory) } }
      try OP2.withConfiguration(config) {
        let mesh = try chain(cells: 4 * OP2.rankCount)
        let d = Dat<Double>(mesh.cells ** 1, name: "d")
        let broken = Kernel(code: "void broken(double *d) { d[0] = undefined_name; }", name: "broken")
        do {
          try parLoop(broken, over: mesh.cells, d(.write))
          throw ScenarioFailure(message: "a kernel that does not compile was accepted")
        } catch let error as OP2Error {
          guard case .compilationFailed(let kernel, _, let diagnostics, _) = error else { throw error }
          try expect(kernel == "broken" && diagnostics.contains("undefined_name"), "unexpected diagnostics \(diagnostics)")
          let all = ScenarioSupport.gatherMessages(error.description)
          try expect(Swift.Set(all).count == 1, "ranks got different errors:\n\(all.joined(separator: "\n---\n"))")
        }
        // The ranks are still in step: a good loop runs everywhere.
        let k = Kernel(code: "void after_failure(double *d) { d[0] = 5.0; }", name: "after_failure")
        try parLoop(k, over: mesh.cells, d(.write))
        try expect(d.gatheredData() == [Double](repeating: 5, count: 4 * OP2.rankCount), "results after the failure")
      }
    },
  ]

  /// Scenarios that end the job: run one at a time, each expected to make mpirun fail promptly.
  static let jobEnders: [Scenario] = [
    Scenario("one-rank-exits-with-error") {
      // The last rank fails (as a program that catches an error and exits non-zero would); the
      // others wait for it in a halo exchange and a reduction that it never joins.
      let mesh = try chain(cells: 8 * OP2.rankCount)
      if OP2.rank == OP2.rankCount - 1 {
        print("rank \(OP2.rank): failing on purpose")
        fflush(nil)
        exit(3)
      }
      let d = Dat<Double>(mesh.nodes ** 1, name: "d")
      let total = Global<Double>(value: 0, name: "total")
      let k = Kernel(code: "void wait_here(double *d[2], double *t) { t[0] += d[0][0] + d[1][0]; }", name: "wait_here")
      try parLoop(k, over: mesh.cells, d(.read, mesh.map), total(.inc))
      print("rank \(OP2.rank): total \(total.value[0]) — this line must never print")
    },
    Scenario("one-rank-crashes") {
      let mesh = try chain(cells: 8 * OP2.rankCount)
      if OP2.rank == 0 { fatalError("rank 0 crashes on purpose") }
      let total = Global<Double>(value: 0, name: "total")
      let d = Dat<Double>(mesh.nodes ** 1, name: "d")
      let k = Kernel(code: "void wait_there(double *d[2], double *t) { t[0] += d[0][0]; }", name: "wait_there")
      try parLoop(k, over: mesh.cells, d(.read, mesh.map), total(.inc))
      print("rank \(OP2.rank): total \(total.value[0]) — this line must never print")
    },
  ]
}
