import Foundation

/// How ranks end up with the same ``OP2Error``: the rank that finds a problem encodes it (errors
/// are `Codable`), and the others decode the very same value, so that every rank throws it and
/// none is left waiting in a collective the failing rank never reaches.
package enum ErrorAgreement {
  /// The error as bytes; empty for none.
  package static func encode(_ error: OP2Error?) -> [UInt8] {
    guard let error, let data = try? JSONEncoder().encode(error) else { return [] }
    return Array(data)
  }

  /// The error from its bytes; nil for none.
  package static func decode(_ bytes: [UInt8]) -> OP2Error? {
    guard !bytes.isEmpty else { return nil }
    return (try? JSONDecoder().decode(OP2Error.self, from: Data(bytes)))
      ?? .invalidPartitionInput(rank: -1, reason: "another rank failed with an error that could not be decoded")
  }

  /// Collective: every rank's error (or nil) in; the lowest failing rank's error thrown on every rank.
  package static func agree(_ local: OP2Error?, on communicator: Communicator) throws(OP2Error) {
    let all = communicator.allgather(encode(local))
    if let first = all.first(where: { !$0.isEmpty }), let error = decode(first) { throw error }
  }

  /// Collective over a node: `root` runs `body`; its error, if any, is thrown on every rank.
  /// Returns `body`'s result on `root`, nil elsewhere.
  package static func leaderRuns<R>(on communicator: Communicator, root: Int = 0,
                                    _ body: () throws(OP2Error) -> R) throws(OP2Error) -> R? {
    var result: R?
    var failure: OP2Error?
    if communicator.rank == root {
      do { result = try body() } catch { failure = error }
    }
    if let error = decode(communicator.broadcast(encode(failure), root: root)) { throw error }
    return result
  }
}

extension Communicator {
  /// Turns an error found on some ranks into the same error on every rank (see
  /// ``ErrorAgreement/agree(_:on:)``): collective, one allgather of a few hundred bytes at most.
  ///
  ///     var problem: OP2Error? = nil
  ///     if localStatus != 0 { problem = .partitionerFailed(method: "PT-Scotch", reason: "…") }
  ///     try communicator.agree(problem)   // every rank throws, or none does
  package func agree(_ error: OP2Error?) throws(OP2Error) {
    try ErrorAgreement.agree(error, on: self)
  }
}
