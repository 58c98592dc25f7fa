import Foundation
import Testing

/// The MPI tests: `op2-mpi-tests` (Tests/MPIScenarios) under `mpirun -n 2` and `-n 3`, each with a
/// timeout so that a hang fails the suite instead of stalling it. The scenarios check halos
/// against an oracle, loops against the sequential backend on random meshes, partitioners,
/// parallel Mats and solvers, typed errors on every rank, and compilation by one rank per node;
/// the job-ending ones check that a failing rank ends the whole job promptly.
@Suite("MPI", .serialized)
struct MPITests {
  static let runner = builtExecutable("op2-mpi-tests")
  static let mpirun = mpirunPath

  static func mpi(_ ranks: Int, _ scenarios: [String], seconds: Int) throws -> (status: Int32, output: String, elapsed: Double) {
    try runMPI(ranks, runner!, scenarios, seconds: seconds)
  }

  @Test("every scenario passes", .enabled(if: runner != nil && mpirun != nil, "mpirun or op2-mpi-tests is missing"),
        arguments: [2, 3])
  func scenarios(ranks: Int) throws {
    let (status, output, _) = try Self.mpi(ranks, ["all"], seconds: 300)
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

  @Test("compilers start while another thread changes the environment (MPI_Init does)",
        .enabled(if: runner != nil && mpirun != nil, "mpirun or op2-mpi-tests is missing"))
  func spawnsWhileEnvironmentChanges() throws {
    let (status, output, _) = try Self.mpi(1, ["compilers-start-while-the-environment-grows"], seconds: 120)
    #expect(status == 0 && output.contains("ok compilers-start-while-the-environment-grows"), "status \(status):\n\(output)")
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
