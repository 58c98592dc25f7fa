import Foundation
import Testing
@testable import OP2

#if canImport(Glibc)
import Glibc
#endif

/// Compilers run with standard input, output and error only: a descriptor this process holds
/// (an HDF5 file and its lock, an MPI socket) never lives on in a compiler, assembler or linker.
@Suite("Child processes")
struct ChildProcessTests {
  @Test("a child started for a compile inherits no descriptor beyond 0, 1 and 2")
  func noInheritedDescriptors() throws {
    let dir = temporaryDirectory("child")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // A descriptor opened without O_CLOEXEC, as HDF5 opens its files.
    let held = open(dir + "/held", O_WRONLY | O_CREAT, 0o600)
    #expect(held > 2)
    defer { close(held) }
    let output = dir + "/fds"
    // The shell lists its own descriptors (a glob opens and closes the folder before the echo).
    let result = ChildProcess.run(["sh", "-c", "for f in /proc/$$/fd/*; do echo ${f##*/}; done"], outputPath: output)
    guard case .success(0) = result else {
      Issue.record("sh failed: \(result)")
      return
    }
    let listed = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
    #expect(listed.contains(0) && listed.contains(1) && listed.contains(2))
    #expect(!listed.contains(held), "the child inherited descriptor \(held): it lists \(listed)")
  }
}
