import Foundation

/// Compiled wrappers on disk, keyed by a hash of generated source, compiler identity and flags.
///
/// Entries are written to a temporary file and renamed into place, so a concurrent process sees
/// either no entry or a complete one, never a half-written library (PyOP2's `caching.py` does the
/// same). Each entry carries a trailer with its length and checksum — appended after the ELF data,
/// where the loader ignores it — so a corrupted or truncated file is detected before `dlopen` and
/// rebuilt.
package struct DiskCache: Sendable {
  package let directory: String
  private static let magic = Array("OP2CACHE".utf8)

  package init(directory: String) { self.directory = directory }

  package func libraryPath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).so" }
  package func sourcePath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).c" }
  package func logPath(key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).log" }

  /// Creates the entry's folder.
  package func prepare(key: String) throws(OP2Error) {
    let folder = "\(directory)/\(key.prefix(2))"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw .cacheWriteFailed(path: folder, reason: "\(error)")
    }
  }

  package enum Lookup { case hit, miss, corrupted }

  /// Whether a complete, uncorrupted entry exists; a corrupted one is removed.
  package func lookup(key: String) -> Lookup {
    let path = libraryPath(key: key)
    guard let data = FileManager.default.contents(atPath: path) else { return .miss }
    let bytes = [UInt8](data)
    if Self.verify(bytes) { return .hit }
    try? FileManager.default.removeItem(atPath: path)
    return .corrupted
  }

  /// Appends the trailer to a freshly compiled library at `temporaryPath` and moves it into place.
  package func commit(temporaryPath: String, key: String) throws(OP2Error) {
    let final = libraryPath(key: key)
    guard let data = FileManager.default.contents(atPath: temporaryPath) else {
      throw .cacheWriteFailed(path: temporaryPath, reason: "compiled library vanished")
    }
    var bytes = [UInt8](data)
    bytes += Self.trailer(for: bytes)
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: temporaryPath))
    } catch {
      throw .cacheWriteFailed(path: temporaryPath, reason: "\(error)")
    }
    guard rename(temporaryPath, final) == 0 else {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: temporaryPath)
      throw .cacheWriteFailed(path: final, reason: reason)
    }
  }

  /// Writes `text` to `path` atomically (temporary file, then rename).
  package static func writeAtomically(_ text: String, to path: String) throws(OP2Error) {
    let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    do {
      try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    } catch {
      throw .cacheWriteFailed(path: path, reason: "\(error)")
    }
    guard rename(temporary, path) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      throw .cacheWriteFailed(path: path, reason: String(cString: strerror(errno)))
    }
  }

  private static func trailer(for payload: [UInt8]) -> [UInt8] {
    var h = StableHash.State()
    h.combine(payload)
    let (a, b) = h.words
    var out = magic
    for value in [UInt64(payload.count), a, b] {
      out += (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
    return out
  }

  private static func verify(_ bytes: [UInt8]) -> Bool {
    let size = magic.count + 24
    guard bytes.count > size else { return false }
    let payload = Array(bytes[..<(bytes.count - size)])
    return Array(bytes[(bytes.count - size)...]) == trailer(for: payload)
  }
}
