import Foundation
import Testing

/// Runs a built executable to completion and returns its standard output and error together,
/// recording an issue when it exits with a non-zero status.
///
/// Open MPI keeps allocations from `MPI_Init` for the life of the process; under
/// `--sanitize=address` LeakSanitizer would report them at exit and fail the command, so leak
/// detection is off in the child.
func run(_ executable: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  // This test process may have started MPI (PETSc's tests do, as a singleton), which leaves Open
  // MPI's and PMIx's variables in its environment; a child must start afresh.
  var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
  environment["ASAN_OPTIONS"] = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
  process.environment = environment
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let text = String(decoding: data, as: UTF8.self)
  #expect(process.terminationStatus == 0, "\(executable) \(arguments) failed:\n\(text)", sourceLocation: sourceLocation)
  return text
}
