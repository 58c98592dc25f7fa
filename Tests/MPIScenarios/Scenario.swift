import Foundation
import OP2

/// One MPI test: a body every rank runs; it throws ``ScenarioFailure`` (or any error) to fail.
struct Scenario: Sendable {
  var name: String
  var body: @Sendable () throws -> Void

  init(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
    self.name = name
    self.body = body
  }
}

/// A failed expectation, with the rank that saw it.
struct ScenarioFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// Fails the scenario unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) throws {
  guard condition else { throw ScenarioFailure(message: "\(file):\(line): \(message())") }
}

/// Fails unless `a` and `b` agree to `tolerance`, relative to the larger magnitude (absolute below 1).
func expectClose(_ a: [Double], _ b: [Double], tolerance: Double, _ what: String,
                 file: StaticString = #fileID, line: UInt = #line) throws {
  try expect(a.count == b.count, "\(what): \(a.count) values, expected \(b.count)", file: file, line: line)
  for i in a.indices {
    let scale = max(1, abs(a[i]), abs(b[i]))
    try expect(abs(a[i] - b[i]) <= tolerance * scale, "\(what)[\(i)] = \(a[i]), expected \(b[i])", file: file, line: line)
  }
}

/// Runs `body`, expecting exactly `expected`.
func expectError(_ expected: OP2Error, file: StaticString = #fileID, line: UInt = #line, _ body: () throws -> Void) throws {
  do {
    try body()
  } catch let error as OP2Error {
    try expect(error == expected, "expected \(expected), got \(error)", file: file, line: line)
    return
  }
  throw ScenarioFailure(message: "\(file):\(line): expected \(expected), nothing was thrown")
}

/// A seeded generator (SplitMix64), the same sequence on every rank.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
