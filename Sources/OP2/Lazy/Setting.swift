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

  private static func normalized(_ value: String) -> String { value.lowercased() }
}
