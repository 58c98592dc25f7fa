import Foundation
import Testing

/// What a newcomer sees from the two commands: no warnings that do not matter, and one line at
/// the end saying how many tests were skipped and why.
@Suite("The scripts' output")
struct ScriptTests {
  /// The repository root, from this file's path.
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  static let hasPETSc = (try? runStatus("/usr/bin/pkg-config", ["--exists", "PETSc"]).status) == 0

  @Test("setup.sh gives SwiftPM PETSc's flags without those it prohibits (-Wdate-time, -D_FORTIFY_SOURCE)",
        .enabled(if: hasPETSc, "PETSc's pkg-config file is not installed"))
  func petscFlags() throws {
    // What SwiftPM sees after the scripts source setup.sh: pkg-config with its PKG_CONFIG_PATH.
    let (status, output) = try runStatus("/bin/bash", ["-c", "cd '\(Self.root)' && source scripts/setup.sh >/dev/null && pkg-config --cflags PETSc"])
    #expect(status == 0, "\(output)")
    #expect(output.contains("-I"), "\(output)")
    #expect(!output.contains("-Wdate-time") && !output.contains("-D_FORTIFY_SOURCE"), "\(output)")
  }

  @Test("skip-summary.sh counts Swift Testing's skips by reason in one line")
  func skipSummary() throws {
    // Swift Testing's own lines for skipped, passed and failed tests (swift-testing's
    // Event.HumanReadableOutputRecorder), with a reason and without.
    let log = """
      ◇ Test run started.
      ➜ Test "airfoil on 2 ranks" skipped: "airfoil or mpirun is missing"
      ✔ Test "INC accumulates" passed after 0.010 seconds.
      ➜ Test "every scenario passes" skipped: "airfoil or mpirun is missing"
      ➜ Test "standard grid" skipped: "OP2's new_grid.dat.gz is not beside the repository"
      ➜ Test "later" skipped.
      ✘ Test "a skipped: thing" failed after 0.1 seconds with 1 issue.
      ✔ Test run with 5 tests in 2 suites passed after 1.0 seconds.

      """
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skip-summary-\(getpid())").path
    try log.write(toFile: folder, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (status, output) = try runStatus("/bin/bash", ["-c", "'\(Self.root)/scripts/skip-summary.sh' < '\(folder)'"])
    #expect(status == 0)
    #expect(output == "swift-op2 tests: 4 skipped: 2 because airfoil or mpirun is missing, "
            + "1 because OP2's new_grid.dat.gz is not beside the repository, 1 because no reason given\n")
    let none = try runStatus("/bin/bash", ["-c", "echo '✔ Test run with 5 tests in 2 suites passed' | '\(Self.root)/scripts/skip-summary.sh'"])
    #expect(none.output == "swift-op2 tests: none skipped\n")
  }
}
