import Foundation
import OP2

enum ScenarioSupport {
  /// Every rank's message, in rank order, on every rank.
  static func gatherMessages(_ message: String) -> [String] {
    guard let world = MPIEnvironment.world else { return [message] }
    return world.allgather(Array(message.utf8)).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The sum over ranks.
  static func sum(_ value: Int) -> Int { MPIEnvironment.world?.allreduce(value, .sum) ?? value }

  static func barrier() { MPIEnvironment.world?.barrier() }
}
