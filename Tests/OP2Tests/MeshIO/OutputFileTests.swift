import Foundation
import Synchronization
import Testing
@testable import OP2

/// Output files (VTK, grid files) go through one helper: written atomically next to the real
/// target of a link, keeping permissions, never replacing what is not a regular file.
@Suite("Output files")
struct OutputFileTests {
  /// A one-triangle `.vtu` writer call.
  static func writeTriangle(to path: String) throws(OP2Error) {
    try VTKWriter.write(to: path, points: [0, 0, 1, 0, 0, 1], cells: [0, 1, 2], nodesPerCell: 3)
  }

  static func kind(_ path: String) -> FileAttributeType? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
  }

  @Test("A symbolic link stays a link and its target gets the new contents, through a chain of relative links")
  func symlinkTarget() throws {
    let dir = temporaryDirectory("out-link")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
    try "old".write(toFile: dir + "/real/flow.vtu", atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: dir + "/middle.vtu", withDestinationPath: "real/flow.vtu")
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.vtu", withDestinationPath: "middle.vtu")
    try Self.writeTriangle(to: dir + "/link.vtu")
    #expect(Self.kind(dir + "/link.vtu") == .typeSymbolicLink)
    #expect(Self.kind(dir + "/middle.vtu") == .typeSymbolicLink)
    let written = try String(contentsOfFile: dir + "/real/flow.vtu", encoding: .utf8)
    #expect(written.hasPrefix("<?xml") && written.contains("NumberOfCells=\"1\""))
    // No temporary file is left beside the target or the link.
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/real") == ["flow.vtu"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.vtu", "middle.vtu", "real"])
  }

  @Test("A dangling link's target is created, the link kept")
  func danglingLink() throws {
    let dir = temporaryDirectory("out-dangling")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.dat", withDestinationPath: dir + "/new.dat")
    let grid = OP2Grid(nodeCount: 0, cellCount: 0, edgeCount: 0, bedgeCount: 0, x: [], cellNodes: [], edgeNodes: [],
                       edgeCells: [], bedgeNodes: [], bedgeCells: [], bound: [])
    try OP2GridWriter.write(grid, to: dir + "/link.dat")
    #expect(Self.kind(dir + "/link.dat") == .typeSymbolicLink)
    #expect(try String(contentsOfFile: dir + "/new.dat", encoding: .utf8) == "0 0 0 0\n")
  }

  @Test("An existing file keeps its permission bits (0600 stays 0600, 0640 stays 0640)", arguments: [0o600, 0o640])
  func permissionsKept(mode: Int) throws {
    let dir = temporaryDirectory("out-mode")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/private.vtu"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    try Self.writeTriangle(to: path)
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attributes[.posixPermissions] as? Int) == mode)
    #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("<?xml"))
  }

  @Test("A FIFO is written into, not replaced by a regular file")
  func fifoWrittenInto() throws {
    let dir = temporaryDirectory("out-fifo")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let fifo = dir + "/pipe.vtu"
    #expect(mkfifo(fifo, 0o644) == 0)
    // A reader on another thread: opening a FIFO for writing waits for one.
    let received = Mutex<String?>(nil)
    let reader = Thread {
      let fd = open(fifo, O_RDONLY)
      var bytes: [UInt8] = []
      var chunk = [UInt8](repeating: 0, count: 4096)
      while fd >= 0 {
        let got = read(fd, &chunk, chunk.count)
        if got <= 0 { break }
        bytes += chunk[..<got]
      }
      close(fd)
      received.withLock { $0 = String(decoding: bytes, as: UTF8.self) }
    }
    reader.start()
    try Self.writeTriangle(to: fifo)
    // Bounded: had the FIFO been replaced, the reader could wait for a writer forever.
    for _ in 0..<30_000 where received.withLock({ $0 }) == nil { usleep(1000) }
    #expect(Self.isFIFO(fifo))
    #expect(received.withLock { $0 }?.contains("NumberOfCells=\"1\"") == true)
  }

  static func isFIFO(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO
  }

  @Test("A character device that fails the write (a /dev/full node) gives a typed error and stays a device")
  func deviceFull() throws {
    let dir = temporaryDirectory("out-full")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let node = dir + "/full"
    // mknod needs root (CAP_MKNOD): without it, use the system's own /dev/full, which only
    // root could have replaced.
    let path = mknod(node, S_IFCHR | 0o666, 0x107) == 0 ? node : "/dev/full"
    expectError(.fileError(path: path, reason: "output file write failed: No space left on device"),
                message: "\(path): output file write failed: No space left on device") { () throws(OP2Error) in
      try Self.writeTriangle(to: path)
    }
    #expect(Self.kind(path) == .typeCharacterSpecial)
    #expect(throws: Never.self) { try OutputFile.checkWritable(path) }
  }

  @Test("A directory is refused with a typed error, before and at writing")
  func directoryRefused() throws {
    let dir = temporaryDirectory("out-dir")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let message = "\(dir): output file is a directory, not a file"
    expectError(.fileError(path: dir, reason: "output file is a directory, not a file"), message: message) { () throws(OP2Error) in
      try OutputFile.checkWritable(dir)
    }
    expectError(.fileError(path: dir, reason: "output file is a directory, not a file"), message: message) { () throws(OP2Error) in
      try Self.writeTriangle(to: dir)
    }
  }

  @Test("checkWritable finds a missing folder before any run, and creates nothing")
  func missingFolder() throws {
    let dir = temporaryDirectory("out-missing")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/no-such-folder/flow.vtu"
    expectError(.fileError(path: path, reason: "output file folder \(dir)/no-such-folder/ does not exist"),
                message: "\(path): output file folder \(dir)/no-such-folder/ does not exist") { () throws(OP2Error) in
      try OutputFile.checkWritable(path)
    }
    try OutputFile.checkWritable(dir + "/flow.vtu")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
  }
}
