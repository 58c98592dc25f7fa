import Foundation
import Testing

/// The MPI tests: `op2-mpi-tests` (Tests/MPIScenarios) under `mpirun -n 2` and `-n 3`, each with a
/// timeout so that a hang fails the suite instead of stalling it. The scenarios check halos
/// against an oracle, loops against the sequential backend on random meshes, partitioners,
/// parallel Mats and solvers, typed errors on every rank, and compilation by one rank per node;
/// the job-ending ones check that a failing rank ends the whole job promptly.
@Suite("MPI", .serialized)
struct MPITests {
  /// The built scenario runner, next to the test bundle.
  static let runner: String? = {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [dir, dir.deletingLastPathComponent()] {
      let path = candidate.appendingPathComponent("op2-mpi-tests").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }()

  static let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// Runs the scenario runner on `ranks` ranks with a time limit; returns the exit status and output.
  static func mpi(_ ranks: Int, _ scenarios: [String], seconds: Int) throws -> (status: Int32, output: String, elapsed: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["-k", "10", String(seconds), mpirun!, "-n", String(ranks), "--oversubscribe", runner!] + scenarios
    // This test process may have started MPI itself (PETSc's tests do, as a singleton), which puts
    // Open MPI's and PMIx's variables in its environment; a child mpirun must not inherit them.
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
    environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    environment["SWIFT_BACKTRACE"] = "enable=no"
    environment["ASAN_OPTIONS"] = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let started = Date()
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self), Date().timeIntervalSince(started))
  }

  @Test("every scenario passes", .enabled(if: runner != nil && mpirun != nil, "mpirun or op2-mpi-tests is missing"),
        arguments: [2, 3])
  func scenarios(ranks: Int) throws {
    let (status, output, _) = try Self.mpi(ranks, ["all"], seconds: 600)
    #expect(status == 0, "mpirun -n \(ranks) op2-mpi-tests failed (status \(status); 124 is the timeout):\n\(output)")
    #expect(output.contains("passed:") && output.contains("scenarios on \(ranks) ranks"), "output:\n\(output)")
    #expect(!output.contains("FAILED"), "output:\n\(output)")
  }

  @Test("a program that never partitions runs replicated and says so once",
        .enabled(if: runner != nil && mpirun != nil, "mpirun or op2-mpi-tests is missing"))
  func replicated() throws {
    let (status, output, _) = try Self.mpi(2, ["replicated-without-partition"], seconds: 120)
    #expect(status == 0, "status \(status):\n\(output)")
    let notices = output.components(separatedBy: "nothing is partitioned").count - 1
    #expect(notices == 1, "the notice appeared \(notices) times:\n\(output)")
  }

  @Test("a rank that fails ends the job promptly, with its message",
        .enabled(if: runner != nil && mpirun != nil, "mpirun or op2-mpi-tests is missing"),
        arguments: ["one-rank-exits-with-error", "one-rank-crashes"])
  func failingRank(scenario: String) throws {
    let (status, output, elapsed) = try Self.mpi(3, [scenario], seconds: 120)
    #expect(status != 0 && status != 124 && status != 137, "status \(status) (124: the job hung until the timeout):\n\(output)")
    #expect(elapsed < 100, "the job took \(elapsed) s to end")
    #expect(!output.contains("must never print"), "a rank went on past the failure:\n\(output)")
    if scenario == "one-rank-exits-with-error" {
      #expect(output.contains("swift-op2: rank 2 of 3 is exiting with status 3; ending the job"), "output:\n\(output)")
    } else {
      #expect(output.contains("rank 0 crashes on purpose"), "output:\n\(output)")
    }
  }
}
