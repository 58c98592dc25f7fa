import Foundation

extension Communicator {
  /// Turns an error found on some ranks into the same error on every rank: the error of the
  /// lowest rank that has one is thrown everywhere; nothing is thrown when no rank has one.
  ///
  /// Collective: every rank calls it at the same point, with `nil` when it found nothing. This is
  /// how a partitioner never leaves a rank waiting: a rank that fails does not return early on
  /// its own, it reports here, and all ranks leave together with one ``OP2Error``. The error
  /// travels as its `Codable` JSON, so every case and payload arrives intact.
  ///
  /// Costs one `MPI_Allgatherv` of a few hundred bytes at most.
  ///
  ///     var problem: OP2Error? = nil
  ///     if localStatus != 0 { problem = .partitionerFailed(method: "PT-Scotch", reason: "…") }
  ///     try communicator.agree(problem)   // every rank throws, or none does
  ///
  /// - Parameter error: This rank's error, or `nil`.
  /// - Throws: The lowest-numbered rank's error, on every rank.
  package func agree(_ error: OP2Error?) throws(OP2Error) {
    let mine: [UInt8] = error.map { Array((try? JSONEncoder().encode($0)) ?? Data()) } ?? []
    // A rank whose error failed to encode (it cannot happen for OP2Error) still reports a failure.
    let reports = allgather(mine.isEmpty && error != nil ? [UInt8(0)] : mine)
    guard let (rank, bytes) = reports.enumerated().first(where: { !$0.element.isEmpty }) else { return }
    if let decoded = try? JSONDecoder().decode(OP2Error.self, from: Data(bytes)) { throw decoded }
    throw OP2Error.partitionerFailed(method: "agreement", reason: "rank \(rank) reported an error that could not be decoded")
  }

  /// Whether every rank passed `true`: a logical AND over the ranks (`MPI_Allreduce` with
  /// `MPI_MIN` over 0 and 1). Collective; costs one allreduce of one integer.
  package func all(_ condition: Bool) -> Bool {
    allreduce(Int32(condition ? 1 : 0), .min) == 1
  }
}
