import Foundation
import OP2
import Testing

/// This process's environment without MPI's and PMIx's variables, read while no library
/// initialisation of this process changes it (MPI_Init calls `setenv`; reading `environ` then can
/// crash).
func inheritableEnvironment() -> [String: String] {
  ChildProcess.withEnvironmentLocked { ProcessInfo.processInfo.environment }
    .filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
}

/// Runs a built executable to completion and returns its standard output and error together,
/// recording an issue when it exits with a non-zero status.
///
/// Open MPI keeps allocations from `MPI_Init` for the life of the process; under
/// `--sanitize=address` LeakSanitizer would report them at exit and fail the command, so leak
/// detection is off in the child.
func run(_ executable: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
  // This test process may have started MPI (PETSc's tests do, as a singleton), which leaves Open
  // MPI's and PMIx's variables in its environment; a child must start afresh.
  let (status, text) = try launch(executable, arguments, environment: inheritableEnvironment())
  #expect(status == 0, "\(executable) \(arguments) failed:\n\(text)", sourceLocation: sourceLocation)
  return text
}

/// Runs `executable` with `environment` (and leak detection off, see ``run(_:_:sourceLocation:)``)
/// to completion; returns its exit status and its standard output and error together.
private func launch(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  var environment = environment
  environment["ASAN_OPTIONS"] = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
  process.environment = environment
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs a built executable to completion with `extraEnvironment` added (OMPI_*/PMIX_* and the
/// runtime's OP2_* settings stripped) and returns its exit status and its output, expecting nothing.
func runStatus(_ executable: String, _ arguments: [String], environment extraEnvironment: [String: String] = [:]) throws -> (status: Int32, output: String) {
  // The settings these tests vary come from `extraEnvironment` only; the compiler and its cache
  // (OP2_CC, OP2_CFLAGS, OP2_CACHE_DIR) are inherited.
  let varied: Swift.Set = ["OP2_BACKEND", "OP2_THREADS", "OP2_LAZY", "OP2_FUSION", "OP2_PLAN_CHECK", "OP2_BLOCK_SIZE", "OP2_PARTITION_REPORT"]
  var environment = inheritableEnvironment().filter { !varied.contains($0.key) }
  environment.merge(extraEnvironment) { $1 }
  return try launch(executable, arguments, environment: environment)
}

/// Open MPI's launcher, when installed.
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// A built executable of this package, next to the test bundle.
func builtExecutable(_ name: String) -> String? {
  let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  for candidate in [dir, dir.deletingLastPathComponent()] {
    let path = candidate.appendingPathComponent(name).path
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return nil
}

/// Runs `executable` on `ranks` MPI ranks (`mpirun --oversubscribe`, as root if need be) under a
/// time limit (`timeout`, so that a hang fails instead of stalling the suite); returns its exit
/// status (124 after the time limit), its output and the seconds it took.
func runMPI(_ ranks: Int, _ executable: String, _ arguments: [String], seconds: Int) throws -> (status: Int32, output: String, elapsed: Double) {
  // This test process may have started MPI itself (PETSc's tests do, as a singleton), which puts
  // Open MPI's and PMIx's variables in its environment; a child mpirun must not inherit them.
  var environment = inheritableEnvironment()
  environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
  environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
  environment["SWIFT_BACKTRACE"] = "enable=no"
  let started = Date()
  let (status, output) = try launch("/usr/bin/timeout",
                                    ["-k", "10", String(seconds), mpirunPath!, "-n", String(ranks), "--oversubscribe", executable] + arguments,
                                    environment: environment)
  return (status, output, Date().timeIntervalSince(started))
}

/// The number after `prefix` on the first line that starts with it (`final rms 1.06e-04, …`).
func number(after prefix: String, in output: String) -> Double? {
  guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
  let rest = line.dropFirst(prefix.count).drop { $0 == " " }
  return Double(rest.prefix { !$0.isWhitespace && $0 != "," })
}
