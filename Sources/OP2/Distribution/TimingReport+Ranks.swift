import Foundation

extension OP2 {
  /// Every rank's timings combined, on every rank: per loop, the slowest rank's time, the average
  /// over ranks, the bytes moved by all ranks, and the halo exchanges' time (slowest rank) and
  /// bytes (all ranks) — OP2's `op_timing_output` under MPI. Runs queued loops first.
  ///
  /// Collective: every rank must call it. Without MPI (or one rank) it is ``timingReport()``.
  public static func gatheredTimingReport() -> TimingReport {
    let local = timingReport()
    guard let world = MPIEnvironment.world, world.size > 1 else { return local }
    let encoded = (try? JSONEncoder().encode(local.rows)).map { Array($0) } ?? []
    let all = world.allgather(encoded).map { (try? JSONDecoder().decode([TimingReport.Row].self, from: Data($0))) ?? [] }
    var order: [String] = []
    var merged: [String: TimingReport.Row] = [:]
    for rows in all {
      for row in rows {
        guard var m = merged[row.name] else {
          order.append(row.name)
          var first = row
          first.averageSeconds = row.seconds
          merged[row.name] = first
          continue
        }
        m.count = max(m.count, row.count)
        m.averageSeconds = (m.averageSeconds ?? m.seconds) + row.seconds
        m.seconds = max(m.seconds, row.seconds)
        m.bytes += row.bytes
        m.planSeconds = max(m.planSeconds, row.planSeconds)
        m.compileSeconds = max(m.compileSeconds, row.compileSeconds)
        m.colours = max(m.colours, row.colours)
        m.blocks = max(m.blocks, row.blocks)
        m.haloSeconds = max(m.haloSeconds, row.haloSeconds)
        m.haloBytes += row.haloBytes
        m.haloExchanges = max(m.haloExchanges, row.haloExchanges)
        merged[row.name] = m
      }
    }
    let rows = order.map { name -> TimingReport.Row in
      var r = merged[name]!
      r.averageSeconds = (r.averageSeconds ?? r.seconds) / Double(world.size)
      return r
    }
    return TimingReport(rows: rows, compileSeconds: world.allreduce(local.compileSeconds, .max), ranks: world.size)
  }
}
