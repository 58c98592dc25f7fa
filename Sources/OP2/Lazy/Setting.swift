/// The one parser of every `OP2_*` environment variable and of the command-line options that
/// override them, so that a value means the same wherever it is read and a bad value is always a
/// typed error that names what the user wrote (`OP2_THREADS`, or `--threads` when the app's flag
/// supplied it).
///
/// | kind | accepted (names case-insensitive; no spaces) |
/// |---|---|
/// | flag | `1`, `true`, `yes`, `on` and `0`, `false`, `no`, `off` |
/// | positive integer | `1`, `2`, … up to `Int.max` |
/// | byte count | a positive integer, optionally with `K`, `M` or `G` (powers of 1024): `512M` |
/// | backend | `sequential`, `threaded`, `opencl` (see ``Backend/fromEnvironment(_:)``) |
/// | choice | one of a fixed list of names: `OP2_OPENCL_STAGING` takes `local`, `global`, `auto` |
///
/// An unset variable gives `nil` (the default applies); so does an empty one (`OP2_THREADS=`), as
/// for `OP2_CC` and `OP2_CACHE_DIR`.
package enum Setting {
  /// What a flag's message says it expects.
  package static let flagExpectation = "1 or 0 (or true/false, yes/no, on/off)"

  /// An on/off setting.
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for any other value,
  ///   such as `maybe` or `2`.
  package static func flag(_ source: String, _ value: String?) throws(OP2Error) -> Bool? {
    guard let value, !value.isEmpty else { return nil }
    switch normalized(value) {
    case "1", "true", "yes", "on": return true
    case "0", "false", "no", "off": return false
    default: throw .invalidConfiguration(variable: source, value: value, expected: flagExpectation)
    }
  }

  /// A count that must be at least 1 (threads, block sizes).
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for anything else.
  package static func positiveInteger(_ source: String, _ value: String?) throws(OP2Error) -> Int? {
    guard let value, !value.isEmpty else { return nil }
    guard let n = Int(normalized(value)), n >= 1 else {
      throw .invalidConfiguration(variable: source, value: value, expected: "a positive integer")
    }
    return n
  }

  /// A positive number of bytes, optionally with a `K`, `M` or `G` suffix (powers of 1024).
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for anything else,
  ///   or a count that overflows.
  package static func byteCount(_ source: String, _ value: String?) throws(OP2Error) -> Int? {
    guard let value, !value.isEmpty else { return nil }
    var digits = Substring(value)
    var scale = 1
    if let last = digits.last?.uppercased(), let s = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30][last] {
      scale = s
      digits = digits.dropLast()
    }
    guard let n = Int(digits), n > 0, n <= Int.max / scale else {
      throw .invalidConfiguration(variable: source, value: value, expected: "a positive byte count, e.g. 1073741824 or 512M")
    }
    return n * scale
  }

  /// One of `choices` (compared case-insensitively), returned as spelled in `choices`.
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for any other value.
  package static func choice(_ source: String, _ value: String?, _ choices: [String]) throws(OP2Error) -> String? {
    guard let value, !value.isEmpty else { return nil }
    guard let found = choices.first(where: { $0.lowercased() == normalized(value) }) else {
      let expected = choices.count > 1 ? choices.dropLast().joined(separator: ", ") + " or " + choices.last! : choices.joined()
      throw .invalidConfiguration(variable: source, value: value, expected: expected)
    }
    return found
  }

  /// Every `OP2_*` variable swift-op2 reads (`OP2_GRID` is the tests' and benchmarks' grid).
  package static let knownVariables: Swift.Set<String> = [
    "OP2_BACKEND", "OP2_THREADS", "OP2_LAZY", "OP2_FUSION", "OP2_PLAN_CHECK", "OP2_BLOCK_SIZE",
    "OP2_CC", "OP2_CFLAGS", "OP2_CACHE_DIR", "OP2_CACHE_MAX_BYTES", "OP2_PARTITION_REPORT",
    "OP2_OPENCL_PLATFORM", "OP2_OPENCL_DEVICE", "OP2_OPENCL_BLOCK_SIZE", "OP2_OPENCL_STAGING", "OP2_GRID",
    "OP2_CHUNK_READS", "OP2_TILING", "OP2_TILE_SIZE",
  ]

  /// `OP2_*` variables in `env` that are not swift-op2's but differ from one of its names by one
  /// letter (two, for names of six letters or more after `OP2_`) — likely typos (`OP2_THREAD`),
  /// each with the name it resembles. Other
  /// `OP2_*` names (OP2-Common's `OP2_INSTALL_PATH`, `OP2_COMPILER`) are not ours to judge.
  package static func misspelledVariables(in env: [String: String]) -> [(name: String, meant: String)] {
    env.keys.sorted().compactMap { name -> (String, String)? in
      guard name.hasPrefix("OP2_"), !knownVariables.contains(name) else { return nil }
      let scored = knownVariables.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= ($0.0.utf8.count - 4 >= 6 ? 2 : 1) }
      guard let best = scored.min(by: { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }) else { return nil }
      return (name, best.0)
    }
  }

  /// The warning printed once per process for ``misspelledVariables(in:)``, or nil.
  package static func misspellingWarning(for env: [String: String]) -> String? {
    let found = misspelledVariables(in: env)
    guard !found.isEmpty else { return nil }
    return found.map { "swift-op2: warning: ignoring the environment variable \($0.name); did you mean \($0.meant)?" }
      .joined(separator: "\n")
  }

  /// Levenshtein distance of two ASCII-ish names.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
  }

  private static func normalized(_ value: String) -> String { value.lowercased() }
}
