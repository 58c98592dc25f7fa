import Foundation
import Testing
@testable import OP2

extension OP2.Configuration {
  /// A configuration for one test: the given backend, its own runtime (so counters and queues are
  /// the test's own), and optionally its own disk cache.
  static func testing(_ backend: Backend = .sequential, lazy: Bool = true, cacheDirectory: String? = nil) -> Self {
    var c = OP2.Configuration()
    c.backend = backend
    c.lazy = lazy
    c.blockSize = 16  // small blocks so that small test meshes get many blocks and colours
    c.checkPlans = true  // every plan a test builds passes op_plan_check
    if let cacheDirectory { c.cacheDirectory = cacheDirectory }
    return c
  }
}

/// A fresh, empty folder under the temporary directory.
func temporaryDirectory(_ label: String) -> String {
  let path = FileManager.default.temporaryDirectory.path + "/op2-test-\(label)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}


/// Runs `body`, expecting it to throw exactly `expected`, whose description is exactly `message`.
func expectError(_ expected: OP2Error, message: String, _ body: () throws(OP2Error) -> Void,
                 sourceLocation: SourceLocation = #_sourceLocation) {
  do {
    try body()
    Issue.record("expected \(expected)", sourceLocation: sourceLocation)
  } catch {
    #expect(error == expected, sourceLocation: sourceLocation)
    #expect(error.description == message, sourceLocation: sourceLocation)
  }
}

extension Backend {
  /// The backends that run the C wrappers on the host: kernels there may use the C library
  /// (device kernels are OpenCL C, without system headers).
  static var hostAvailable: [Backend] {
    available.filter { if case .opencl = $0 { return false } else { return true } }
  }
}
