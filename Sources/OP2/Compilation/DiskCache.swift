#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Compiled wrappers on disk, keyed by a hash of generated source, compiler identity, resolved
/// target and flags.
///
/// Entries are written to a temporary file and renamed into place, so a concurrent process sees
/// either no entry or a complete one, never a half-written library (PyOP2's `caching.py` does the
/// same). Each entry carries a trailer with its length, its key and a checksum — appended after
/// the ELF data, where the loader ignores it — so a corrupted or truncated file, or one swapped
/// for another entry, is detected before `dlopen` and rebuilt.
///
/// The cache is bounded (`OP2_CACHE_MAX_BYTES`): after each compile, the least recently used
/// entries are removed until the cache fits. A hit refreshes its entry's modification time, which
/// is the "last used" stamp. Removing an entry that another process has loaded is safe (the
/// mapping outlives the file); a process that finds an entry gone between the check and `dlopen`
/// compiles it again.
package struct DiskCache: Sendable {
  package let directory: String
  private static let magic = Array("OP2CACHE".utf8)

  package init(directory: String) { self.directory = directory }

  package func libraryPath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).so" }
  package func sourcePath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).c" }
  package func logPath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).log" }

  /// Creates the cache folder and checks that this process may write in it.
  /// - Throws: ``OP2Error/cacheDirectoryUnusable(path:reason:)`` naming the cause.
  package func prepareRoot() throws(OP2Error) {
    try Self.makeDirectory(directory, root: directory)
  }

  /// Creates the entry's folder.
  package func prepare(key: String) throws(OP2Error) {
    try Self.makeDirectory("\(directory)/\(key.prefix(2))", root: directory)
  }

  private static func makeDirectory(_ path: String, root: String) throws(OP2Error) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw .cacheDirectoryUnusable(path: path, reason: "it exists and is not a directory") }
    } else {
      var prefix = path.hasPrefix("/") ? "" : "."
      for part in path.split(separator: "/") {
        prefix += "/" + part
        if mkdir(prefix, 0o755) != 0, errno != EEXIST {
          throw .cacheDirectoryUnusable(path: path, reason: "cannot create \(prefix): \(String(cString: strerror(errno)))")
        }
      }
    }
    guard access(path, W_OK | X_OK) == 0 else {
      throw .cacheDirectoryUnusable(path: path, reason: String(cString: strerror(errno)))
    }
  }

  package enum Lookup { case hit, miss, corrupted }

  /// Whether a complete, uncorrupted entry for `key` exists; a corrupted one (or one for another
  /// key) is removed. A hit is stamped as used now.
  package func lookup(key: String) -> Lookup {
    let path = libraryPath(key: key)
    guard let data = FileManager.default.contents(atPath: path) else { return .miss }
    if Self.verify([UInt8](data), key: key) {
      utime(path, nil)  // last use, for eviction
      return .hit
    }
    remove(key: key)
    return .corrupted
  }

  /// Removes an entry's library (its source and log stay, as evidence).
  package func remove(key: String) {
    unlink(libraryPath(key: key))
  }

  /// Appends the trailer to a freshly compiled library at `temporaryPath` and moves it into place.
  package func commit(temporaryPath: String, key: String) throws(OP2Error) {
    let final = libraryPath(key: key)
    guard let data = FileManager.default.contents(atPath: temporaryPath) else {
      throw .cacheWriteFailed(path: temporaryPath, reason: "compiled library vanished")
    }
    let trailer = Self.trailer(for: [UInt8](data), key: key)
    guard let file = fopen(temporaryPath, "ab") else {
      throw .cacheWriteFailed(path: temporaryPath, reason: Self.describe(errno))
    }
    let written = fwrite(trailer, 1, trailer.count, file)
    let writeError = written == trailer.count ? 0 : errno
    let closeError = fclose(file) == 0 ? 0 : errno
    if writeError != 0 || closeError != 0 {
      unlink(temporaryPath)
      throw .cacheWriteFailed(path: temporaryPath, reason: Self.describe(writeError != 0 ? writeError : closeError))
    }
    guard rename(temporaryPath, final) == 0 else {
      let reason = Self.describe(errno)
      unlink(temporaryPath)
      throw .cacheWriteFailed(path: final, reason: reason)
    }
  }

  /// Writes `text` to `path` atomically (temporary file, then rename).
  package static func writeAtomically(_ text: String, to path: String) throws(OP2Error) {
    let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    guard let file = fopen(temporary, "wb") else { throw .cacheWriteFailed(path: path, reason: describe(errno)) }
    let bytes = Array(text.utf8)
    let ok = fwrite(bytes, 1, bytes.count, file) == bytes.count
    let writeError = ok ? 0 : errno
    let closeError = fclose(file) == 0 ? 0 : errno
    if writeError != 0 || closeError != 0 {
      unlink(temporary)
      throw .cacheWriteFailed(path: path, reason: describe(writeError != 0 ? writeError : closeError))
    }
    guard rename(temporary, path) == 0 else {
      let reason = describe(errno)
      unlink(temporary)
      throw .cacheWriteFailed(path: path, reason: reason)
    }
  }

  /// The C library's text for `code`, with a hint when the disk is full.
  package static func describe(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return code == ENOSPC ? "\(text) (ENOSPC): free space, or point OP2_CACHE_DIR elsewhere" : text
  }

  private static func trailer(for payload: [UInt8], key: String) -> [UInt8] {
    var h = StableHash.State()
    h.combine(payload)
    h.combine(key.utf8)
    let (a, b) = h.words
    var out = magic
    for value in [UInt64(payload.count), a, b] {
      out += (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    return out
  }

  private static func verify(_ bytes: [UInt8], key: String) -> Bool {
    let size = magic.count + 24
    guard bytes.count > size else { return false }
    let payload = Array(bytes[..<(bytes.count - size)])
    return Array(bytes[(bytes.count - size)...]) == trailer(for: payload, key: key)
  }
}
