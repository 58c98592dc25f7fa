import ArgumentParser
import Foundation
import OP2

extension Bench {
  /// Reading OP2's `new_grid.dat`: the whole file against each rank's block on P ranks, one
  /// block after another in this process (so each rank's time is measured alone, without the
  /// other ranks competing for cores and memory bandwidth as they do under mpirun).
  struct GridRead: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "grid-read", abstract: "OP2GridReader: the whole new_grid.dat against one rank's block on P ranks.")

    @Option(help: "The grid file (OP2's new_grid.dat format).") var grid: String
    @Option(parsing: .upToNextOption, help: "Rank counts to time blocks for.") var ranks: [Int] = [1, 2, 4]
    @Option(help: "Repeats (best and worst are reported).") var repeats = 3

    func run() throws {
      print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpuModel())")
      var whole: [Double] = []
      var grid = try OP2GridReader.read(contentsOf: self.grid)  // warm the page cache
      print("grid: \(grid.nodeCount) nodes, \(grid.cellCount) cells, \(grid.edgeCount) edges, \(grid.bedgeCount) bedges")
      for _ in 0..<repeats {
        let t = now()
        grid = try OP2GridReader.read(contentsOf: self.grid)
        whole.append(seconds(t))
      }
      print("whole file (read(contentsOf:)): best \(f(whole.min()!)) s, worst \(f(whole.max()!)) s")
      for count in ranks where count >= 1 {
        // Per rank, the best over the repeats; the slowest rank is what a job waits for.
        var best = [Double](repeating: .infinity, count: count)
        for _ in 0..<repeats {
          for rank in 0..<count {
            let t = now()
            let block = try OP2GridReader.readBlock(contentsOf: self.grid, rank: rank, rankCount: count)
            best[rank] = min(best[rank], seconds(t))
            precondition(block.cellNodes.count == 4 * block.cellRange.count, "block \(rank) of \(count) is wrong")
          }
        }
        let slowest = best.max()!
        print("readBlock on \(count) rank\(count == 1 ? "" : "s"): per rank \(best.map { f($0) }.joined(separator: " ")) s; "
              + "slowest \(f(slowest)) s = \(f(slowest / whole.min()!, "%.2f")) × the whole file")
      }
    }
  }
}
