/// How a chunked wrapper (see ``ChunkPlan``) reads the data a loop reaches through maps
/// (`OP2_CHUNK_READS`).
///
/// Both ways read every value before the chunk adds its increments back, in the same order, so
/// results are the same bit for bit; only speed differs, and it depends on the C compiler:
///
/// | value | what the chunk does | fastest with |
/// |---|---|---|
/// | `staged` | copies each lane's values into lane arrays, then runs the kernel over the lanes | gcc (it does not vectorize indexed loads of doubles through an `int` map) |
/// | `gathered` | runs the kernel over the lanes reading through the map itself | clang (it emits hardware gathers, `vgatherqpd`, straight into registers) |
/// | `automatic` | `gathered` when the configured compiler is clang, else `staged` | |
///
/// Measured on airfoil's `res_calc` (see BENCHMARKS.md): clang with `gathered` takes 10–20% less
/// time per call than gcc with `staged`; clang with `staged` is the slowest combination.
public enum ChunkReads: String, Hashable, Sendable, CaseIterable {
  case staged, gathered, automatic

  /// Parses `OP2_CHUNK_READS` (`staged`, `gathered` or `automatic`; unset or empty: `nil`).
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for any other value.
  package static func fromEnvironment(_ value: String?, source: String = "OP2_CHUNK_READS") throws(OP2Error) -> ChunkReads? {
    try Setting.choice(source, value, allCases.map(\.rawValue)).flatMap(ChunkReads.init(rawValue:))
  }

  /// `automatic` resolved for a compiler whose `--version` banner is `compilerIdentity`.
  package func resolved(compilerIdentity: String) -> ChunkReads {
    guard self == .automatic else { return self }
    return compilerIdentity.lowercased().contains("clang") ? .gathered : .staged
  }
}
