#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mesh file's bytes for parsing, always followed by one readable NUL byte, so that `strtol`
/// and `strtod` stop at the end of the data even when the file's last number has no newline.
///
/// A regular file is mapped read-only with `mmap`: no copy is made, the kernel pages the file
/// in from its page cache, and a reader that needs only part of the file (one rank's block)
/// never parses the rest. The terminator comes from reserving one byte more than the file,
/// rounded up to whole pages, as an anonymous zero-filled mapping, and mapping the file over its
/// start with `MAP_FIXED`: the byte after the file is then either in the file's last page
/// (which the kernel zero-fills past the end) or in the anonymous page after it.
///
/// Files that cannot be mapped (pipes, `/proc` files, empty files, file systems without `mmap`)
/// are read into memory instead, up to ``streamLimit`` bytes: `/dev/zero` or an endless pipe is
/// an error, not a process that grows until memory runs out. A directory is an error too.
///
/// The mapping is private and read-only, so nothing this process does changes the file; a file
/// that *another* process truncates while it is mapped makes the next access past the new end
/// raise `SIGBUS`, as with any mapped file.
final class MeshFileBytes {
  private enum Storage {
    /// `length` bytes mapped at `base` (the file, then anonymous zero pages).
    case mapped(base: UnsafeMutableRawPointer, length: Int)
    /// The file read into memory, with the NUL appended.
    case copied([UInt8])
  }

  private let storage: Storage
  /// The file's length in bytes, not counting the terminator.
  let count: Int

  /// Whether the file is memory-mapped (false: read into memory).
  var isMapped: Bool {
    if case .mapped = storage { return true }
    return false
  }

  /// Opens `path` and maps it, or reads it when it cannot be mapped.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the file cannot be opened or read.
  init(contentsOf path: String) throws(OP2Error) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw OP2Error.fileError(path: path, reason: MeshFileIO.errnoReason()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw OP2Error.fileError(path: path, reason: MeshFileIO.errnoReason()) }
    if info.st_mode & S_IFMT == S_IFDIR {
      throw OP2Error.fileError(path: path, reason: "is a directory, not a mesh file")
    }
    let size = (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : 0
    if size > 0, let mapping = Self.map(fd, size: size) {
      storage = .mapped(base: mapping.base, length: mapping.length)
      count = size
    } else {
      let bytes = try MeshFileIO.readNulTerminated(fd: fd, path: path, limit: Self.streamLimit)
      storage = .copied(bytes)
      count = bytes.count - 1
    }
  }

  /// The most bytes read from a file that cannot be mapped (a pipe or device): a quarter of the
  /// machine's memory, at least 64 MiB. A regular file is mapped, so its size needs no bound.
  static var streamLimit: Int { max(Int(clamping: SystemMemory.physical / 4), 64 << 20) }

  /// A copy of the file's bytes, without the terminator (for readers that work on arrays).
  func copyBytes() -> [UInt8] {
    withBytes { Array($0) }
  }

  deinit {
    if case .mapped(let base, let length) = storage { munmap(base, length) }
  }

  /// Lends the file's bytes; `buffer.baseAddress![buffer.count]` is a readable NUL byte.
  ///
  /// The pointer is valid only inside `body`.
  func withBytes<R, E: Error>(_ body: (_ buffer: UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
    switch storage {
    case .mapped(let base, _):
      return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: count))
    case .copied(let bytes):
      return try bytes.withUnsafeBufferPointer { (buffer) throws(E) -> R in
        try body(UnsafeBufferPointer(rebasing: buffer.dropLast()))
      }
    }
  }

  /// Maps `size` bytes of `fd` followed by at least one zero byte; nil when `mmap` fails (the
  /// caller then reads the file).
  private static func map(_ fd: Int32, size: Int) -> (base: UnsafeMutableRawPointer, length: Int)? {
    let page = Int(getpagesize())
    let (length, overflow) = (size / page + 1).multipliedReportingOverflow(by: page)
    guard !overflow else { return nil }
    let failed = UnsafeMutableRawPointer(bitPattern: -1)
    // The pages are faulted in as the scan reaches them (MAP_POPULATE made no measurable
    // difference on OP2's 80 MB grid).
    #if os(Linux)
    let anonymous = MAP_PRIVATE | MAP_ANONYMOUS
    #else
    let anonymous = MAP_PRIVATE | MAP_ANON
    #endif
    guard let base = mmap(nil, length, PROT_READ, anonymous, -1, 0), base != failed else { return nil }
    guard let file = mmap(base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0), file == base else {
      munmap(base, length)
      return nil
    }
    return (base, length)
  }
}
