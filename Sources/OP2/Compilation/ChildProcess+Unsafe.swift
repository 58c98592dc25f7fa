#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Starts compilers with `posix_spawnp` (about 2 ms, against ~50 ms for Foundation's `Process`),
/// with standard output and error sent to a file.
package enum ChildProcess {
  /// Why a child could not be run.
  package struct SpawnError: Error, Sendable {
    package var code: Int32
    package var message: String { String(cString: strerror(code)) }
  }

  private static let environmentLock = NSLock()

  private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; declared only under
  /// `_GNU_SOURCE`, so looked up at run time), or nil where the C library lacks it.
  private static let closeFrom: CloseFrom? = {
    #if canImport(Glibc)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: CloseFrom.self)
    #else
    return nil
    #endif
  }()

  /// Runs `body` while no other code of this process that goes through this lock changes or
  /// passes on the environment: child starts read `environ`, and library initialisations that
  /// call `setenv` (MPI_Init, PetscInitialize) run in here.
  package static func withEnvironmentLocked<R>(_ body: () throws -> R) rethrows -> R {
    environmentLock.lock()
    defer { environmentLock.unlock() }
    return try body()
  }

  /// Runs `argv` (looked up in `PATH`) to completion, with stdout and stderr appended to
  /// `outputPath`, and returns its exit status (128 + signal when killed by a signal).
  package static func run(_ argv: [String], outputPath: String) -> Result<Int32, SpawnError> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    // The child gets standard input, output and error only. Descriptors other libraries opened
    // without O_CLOEXEC (HDF5's files with their flock() locks, MPI's and PETSc's) would otherwise
    // stay open in the compiler, its assembler and linker for as long as they run.
    if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
    cArgs.append(nil)
    defer { for p in cArgs { free(p) } }

    var pid = pid_t()
    // `environ` is read by the child until it execs (posix_spawn waits for that): hold the
    // environment lock so that no setenv in this process (MPI_Init does several) moves the
    // array under it — the exec then fails with EFAULT ("Bad address").
    let rc = withEnvironmentLocked { posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ) }
    guard rc == 0 else { return .failure(SpawnError(code: rc)) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return .failure(SpawnError(code: errno)) }
    }
    // WIFEXITED / WEXITSTATUS are macros; decode the status word by hand.
    let signal = status & 0x7f
    return .success(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
  }
}
