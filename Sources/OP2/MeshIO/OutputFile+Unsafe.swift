#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How every output file of the library and its apps is written (`.vtu`, `.pvtu`, grid files):
/// atomically, next to its real target, keeping its permissions, and never replacing something
/// that is not a regular file.
///
/// - A path that is a symbolic link (or a chain of them) is followed to its target, so the link
///   stays a link and its target gets the new contents; a dangling link's target is created.
/// - A regular file (or a new one) is replaced atomically: the bytes go to a temporary file in the
///   target's folder, which then takes the old file's permission bits (a `0600` file stays
///   `0600`; a new file gets `0666` less the umask) and is renamed over it. Readers see the old
///   file or the whole new one, and a failed write leaves the old file as it was.
/// - A character device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written into,
///   never replaced; a write error such as `/dev/full`'s is reported.
/// - A directory, socket or block device is refused.
///
/// ``checkWritable(_:)`` makes the same decisions without writing, so that a command-line tool can
/// reject a bad output path before a long run rather than after it.
///
/// The temporary file is how PyOP2's `caching.py` and OP2's HDF5 output avoid torn files; the
/// corresponding C idiom is `mkstemp` + `rename`.
public enum OutputFile {
  /// Checks, without changing anything, that `path` can be written by this process: its real
  /// target's folder exists and accepts a new file (tested by creating and removing an empty
  /// temporary file there), or the target is a character device or FIFO open for writing.
  ///
  /// ```swift
  /// if let vtk { try OutputFile.checkWritable(vtk) }   // before the solver runs
  /// ```
  ///
  /// - Parameter path: The output path as the user gave it.
  /// - Throws: ``OP2Error/fileError(path:reason:)`` naming what is wrong: a missing folder, a
  ///   directory or other non-file target, or a permission or file-system error.
  public static func checkWritable(_ path: String) throws(OP2Error) {
    let target = try resolve(path)
    switch try kind(of: target, path: path) {
    case .special:
      guard access(target, W_OK) == 0 else { throw failure(path, target, "cannot be written", errno) }
    case .regular, .absent:
      let (fd, temporary) = try createTemporary(besides: target, path: path)
      close(fd)
      unlink(temporary)
    }
  }

  /// Makes sure `path` is a directory that files can be written into, creating it and any
  /// missing parents (as `mkdir -p` does) when it does not exist: what a `--plot dir/` option
  /// needs before a run.
  ///
  /// ```swift
  /// if let plot { try OutputFile.createDirectory(plot) }   // before the solver runs
  /// ```
  ///
  /// A symbolic link to a directory is accepted. Writability is tested as
  /// ``checkWritable(_:)`` does, by creating and removing an empty temporary file inside.
  ///
  /// - Parameter path: The directory as the user gave it (a trailing `/` is fine).
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when `path` is empty, exists but is not a
  ///   directory, has a parent that is not one, cannot be created, or does not accept new files.
  public static func createDirectory(_ path: String) throws(OP2Error) {
    guard !path.isEmpty else { throw OP2Error.fileError(path: path, reason: "an output directory must not be empty") }
    let components = path.split(separator: "/")
    var prefix = path.hasPrefix("/") ? "/" : ""
    for (i, component) in components.enumerated() {
      prefix += component
      let last = i == components.count - 1
      var info = stat()
      if stat(prefix, &info) == 0 {  // follows links: a link to a directory is one
        guard info.st_mode & S_IFMT == S_IFDIR else {
          throw OP2Error.fileError(path: path, reason: last ? "exists and is not a directory" : "\(prefix) is not a directory")
        }
      } else if errno == ENOENT {
        guard mkdir(prefix, 0o777) == 0 || errno == EEXIST else {  // the umask applies; EEXIST: another process won
          throw OP2Error.fileError(path: path, reason: "cannot create the directory \(prefix): \(String(cString: strerror(errno)))")
        }
      } else {
        throw OP2Error.fileError(path: path, reason: "\(prefix) cannot be examined: \(String(cString: strerror(errno)))")
      }
      prefix += "/"
    }
    let (fd, temporary) = try createTemporary(besides: file(named: ".op2-write-test", in: path), path: path)
    close(fd)
    unlink(temporary)
  }

  /// `name` inside `directory`, with one `/` between them.
  ///
  /// ```swift
  /// OutputFile.file(named: "rms.svg", in: "plots/")   // "plots/rms.svg"
  /// ```
  public static func file(named name: String, in directory: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// Writes `bytes` to `path` as described in the type's discussion.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the target cannot be replaced or written;
  ///   an existing regular file is left unchanged then.
  package static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws(OP2Error) {
    let target = try resolve(path)
    switch try kind(of: target, path: path) {
    case .special:
      let fd = open(target, O_WRONLY | O_CLOEXEC)
      guard fd >= 0 else { throw failure(path, target, "cannot be opened for writing", errno) }
      let code = writeAll(fd, bytes)
      let closed = close(fd) == 0 ? 0 : errno
      if code != 0 || closed != 0 { throw failure(path, target, "write failed", code != 0 ? code : closed) }
    case .regular(let mode):
      try replace(target, path: path, bytes: bytes, mode: mode)
    case .absent:
      try replace(target, path: path, bytes: bytes, mode: nil)
    }
  }

  /// Writes the UTF-8 bytes of `text` to `path` (see ``write(_:to:)``).
  package static func write(_ text: String, to path: String) throws(OP2Error) {
    var text = text
    var failure: OP2Error?
    text.withUTF8 { utf8 in
      do throws(OP2Error) { try write(UnsafeRawBufferPointer(utf8), to: path) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// A temporary file beside an output's real target, for writers that fill a file by name
  /// (the HDF5 library) rather than from bytes.
  struct Temporary: Sendable {
    /// The path as the user gave it (for errors).
    var path_: String
    /// The real target (links followed).
    var target: String
    /// The temporary file to write, in the target's folder.
    var path: String
    /// The replaced file's permission bits, or nil for a new file.
    var mode: mode_t?
  }

  /// Creates an empty temporary file beside `path`'s real target, for ``commit(_:)`` to rename
  /// over it. Only regular files (or new ones) can be replaced this way.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` as ``write(_:to:)`` does, and for a device
  ///   or FIFO, which a writer that needs a seekable file cannot fill.
  static func prepareTemporary(for path: String) throws(OP2Error) -> Temporary {
    let target = try resolve(path)
    var mode: mode_t?
    switch try kind(of: target, path: path) {
    case .special: throw failure(path, target, "is a device or FIFO; this format needs a regular file", 0)
    case .regular(let m): mode = m
    case .absent: mode = nil
    }
    let (fd, temporary) = try createTemporary(besides: target, path: path)
    close(fd)
    return Temporary(path_: path, target: target, path: temporary, mode: mode)
  }

  /// Gives a filled temporary file the replaced file's permissions and renames it over the
  /// target; removes it on failure.
  static func commit(_ temporary: Temporary) throws(OP2Error) {
    var code: Int32 = 0
    if let mode = temporary.mode, chmod(temporary.path, mode) != 0 { code = errno }
    if code == 0, rename(temporary.path, temporary.target) != 0 { code = errno }
    if code != 0 {
      unlink(temporary.path)
      throw failure(temporary.path_, temporary.target, "write failed", code)
    }
  }

  /// Removes a temporary file that will not be committed.
  static func discard(_ temporary: Temporary) {
    unlink(temporary.path)
  }

  // MARK: Steps

  private enum Kind {
    case absent
    case regular(mode: mode_t)
    case special
  }

  /// What is at `target` (not following a final link: ``resolve(_:)`` already did).
  private static func kind(of target: String, path: String) throws(OP2Error) -> Kind {
    var info = stat()
    guard lstat(target, &info) == 0 else {
      if errno == ENOENT { return .absent }
      throw failure(path, target, "cannot be examined", errno)
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular(mode: info.st_mode & 0o7777)
    case S_IFCHR, S_IFIFO: return .special
    case S_IFDIR: throw failure(path, target, "is a directory, not a file", 0)
    default: throw failure(path, target, "is not a regular file, character device or FIFO; it is left as it is", 0)
    }
  }

  /// Follows symbolic links at the end of `path` (at most 40, like the kernel) to the path that
  /// would really be written; a relative link target is taken relative to the link's folder.
  private static func resolve(_ path: String) throws(OP2Error) -> String {
    guard !path.isEmpty else { throw OP2Error.fileError(path: path, reason: "an output path must not be empty") }
    var current = path
    for _ in 0..<40 {
      var info = stat()
      guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let length = readlink(current, &buffer, buffer.count - 1)
      guard length >= 0 else { throw failure(path, current, "symbolic link cannot be read", errno) }
      let link = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      current = link.hasPrefix("/") ? link : folder(of: current) + link
    }
    throw OP2Error.fileError(path: path, reason: "too many levels of symbolic links")
  }

  /// The folder part of `path` with its trailing slash, or "" for a bare name.
  private static func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[...slash])
  }

  /// Creates an empty temporary file in `target`'s folder.
  private static func createTemporary(besides target: String, path: String) throws(OP2Error) -> (Int32, String) {
    let directory = folder(of: target)
    let name = target.dropFirst(directory.count)
    let temporary = "\(directory).\(name).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)  // the umask applies
    guard fd >= 0 else {
      let code = errno
      let where_ = directory.isEmpty ? "the current directory" : "folder \(directory)"
      if code == ENOENT || code == ENOTDIR { throw failure(path, target, "\(where_) does not exist", 0) }
      throw failure(path, target, "cannot create a file in \(where_)", code)
    }
    return (fd, temporary)
  }

  /// Writes a temporary file beside `target`, gives it `mode` (the replaced file's bits), and
  /// renames it over `target`; removes it on any failure.
  private static func replace(_ target: String, path: String, bytes: UnsafeRawBufferPointer, mode: mode_t?) throws(OP2Error) {
    let (fd, temporary) = try createTemporary(besides: target, path: path)
    var code = writeAll(fd, bytes)
    if code == 0, let mode, fchmod(fd, mode) != 0 { code = errno }
    if close(fd) != 0, code == 0 { code = errno }
    if code == 0, rename(temporary, target) != 0 { code = errno }
    if code != 0 {
      unlink(temporary)
      throw failure(path, target, "write failed", code)
    }
  }

  /// Writes every byte, retrying after interruptions; 0 or the `errno` of the failure.
  private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var done = 0
    while done < bytes.count {
      let wrote = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
      if wrote < 0 {
        if errno == EINTR { continue }
        return errno
      }
      done += wrote
    }
    return 0
  }

  /// `path: <what> (<strerror>)`, naming the real target when a link led there.
  private static func failure(_ path: String, _ target: String, _ what: String, _ code: Int32) -> OP2Error {
    let via = target == path ? "" : " (the target of the link, \(target))"
    let reason = code == 0 ? what : "\(what): \(String(cString: strerror(code)))"
    return .fileError(path: path, reason: "output file\(via) \(reason)")
  }
}

/// The C library's `write` (inside ``OutputFile`` the name means the Swift method).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, buffer, count)
}
