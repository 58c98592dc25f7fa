import Foundation
import OP2

extension Scenario {
  /// Changes this process's environment from a second thread: runs only when named, in a process
  /// of its own (other code of a test process reads the environment without the lock).
  static let environment = Scenario("compilers-start-while-the-environment-grows") {
    // MPI_Init and PetscInitialize call `setenv` while other threads may be starting compilers;
    // `setenv` can move `environ`, and a child reading the old array fails its exec with EFAULT
    // (a CI run lost a compile to "cc could not be run: Bad address"). Writers go through
    // ChildProcess.withEnvironmentLocked, as the library's initialisations do.
    let output = FileManager.default.temporaryDirectory
      .appendingPathComponent("op2-spawn-\(getpid())-\(OP2.rank).out").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let stop = Flag()
    let finished = DispatchSemaphore(value: 0)
    let writer = Thread {
      var i = 0
      while !stop.isSet {
        // Each new name grows the environment array, so glibc reallocates it now and then.
        ChildProcess.withEnvironmentLocked { _ = setenv("OP2_TEST_SPAWN_\(i)", "x", 1) }
        i += 1
        if i % 64 == 0 {
          ChildProcess.withEnvironmentLocked { for j in (i - 64)..<i { unsetenv("OP2_TEST_SPAWN_\(j)") } }
        }
      }
      finished.signal()
    }
    writer.start()
    var failures: [String] = []
    for _ in 0..<1000 {
      switch ChildProcess.run(["true"], outputPath: output) {
      case .success(let status): if status != 0 { failures.append("exit status \(status)") }
      case .failure(let error): failures.append(error.message)
      }
    }
    stop.set()
    finished.wait()
    try expect(failures.isEmpty, "\(failures.count) of 1000 starts failed, e.g. \(failures.prefix(3))")
  }
}

/// A flag set by one thread and read by another.
private final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}
