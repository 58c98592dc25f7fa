#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The pointer-level half of mesh-file I/O: reading files that cannot be mapped, atomic writes
// through POSIX, and a record scanner over the raw bytes. Everything here runs once per file or
// once per file section, and the per-number work is `strtol`/`strtod` plus a few inlined pointer
// steps, so a 60 MB grid parses in well under a second even in a debug build, where ordinary
// Swift array and string code would be tens of times slower. Skipping other ranks' records costs
// one `memchr` per line: about 30 ms for OP2's 80 MB grid, a tenth of parsing it.

/// Whole-file reading for mesh files that cannot be memory-mapped (see ``MeshFileBytes``).
enum MeshFileIO {
  /// Reads the rest of an open file and appends one NUL byte, so `strtol`/`strtod` can never run
  /// past the end of the buffer.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the file cannot be read.
  /// - Throws: also when the file holds more than `limit` bytes, naming the limit.
  static func readNulTerminated(fd: Int32, path: String, limit: Int = .max) throws(OP2Error) -> [UInt8] {
    var info = stat()
    // st_size is only a hint (pipes report 0, files may grow), so after filling that much the
    // loop below still reads on until EOF. Reading straight into uninitialized array storage
    // avoids zero-filling (and faulting in) the 60 MB twice.
    let hint = min(fstat(fd, &info) == 0 ? max(Int(info.st_size), 0) : 0, limit)
    var failure: Int32 = 0
    var bytes = [UInt8](unsafeUninitializedCapacity: hint + 1) { buffer, initialized in
      while initialized < hint {
        let got = read(fd, buffer.baseAddress! + initialized, hint - initialized)
        if got < 0, errno == EINTR { continue }
        if got < 0 { failure = errno }
        if got <= 0 { break }
        initialized += got
      }
    }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while failure == 0 {
      let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if got < 0, errno == EINTR { continue }
      if got < 0 { failure = errno }
      if got <= 0 { break }
      if let nul = chunk[..<got].firstIndex(of: 0) {
        // Text mesh files hold no NUL bytes: /dev/zero or a binary stream stops here.
        throw OP2Error.fileError(path: path, reason: "not a text file: byte \(bytes.count + nul) is NUL")
      }
      guard bytes.count + got <= limit else {
        throw OP2Error.fileError(
          path: path,
          reason: "is not a regular file and gives more than \(limit) bytes (the most read from a pipe or device, a quarter of this machine's memory); a mesh file this large must be a regular file")
      }
      bytes.append(contentsOf: chunk[..<got])
    }
    guard failure == 0 else {
      throw OP2Error.fileError(path: path, reason: String(cString: strerror(failure)))
    }
    bytes.append(0)
    return bytes
  }

  static func errnoReason() -> String { String(cString: strerror(errno)) }
}

/// A growable byte buffer for writing mesh files as text, with an atomic save.
///
/// Numbers are formatted straight into the buffer (integers digit by digit, doubles from their
/// shortest round-trip `description`), which is several times faster in a debug build than
/// appending to a `[UInt8]` or concatenating strings. It is a noncopyable struct rather than a
/// class so that its mutations need no dynamic exclusivity checks, which cost more than the
/// formatting itself.
struct MeshTextBuffer: ~Copyable {
  private var storage: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  /// The number of bytes written so far.
  private(set) var count = 0

  init(capacity: Int = 1 << 16) {
    self.capacity = max(capacity, 64)
    storage = .allocate(capacity: self.capacity)
  }

  deinit { storage.deallocate() }

  /// Makes room for `extra` more bytes.
  private mutating func reserve(_ extra: Int) {
    guard count + extra > capacity else { return }
    let grown = max(capacity * 2, count + extra)
    let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
    fresh.update(from: storage, count: count)
    storage.deallocate()
    storage = fresh
    capacity = grown
  }

  /// Appends one byte, e.g. a space (32) or a newline (10).
  mutating func append(byte: UInt8) {
    reserve(1)
    storage[count] = byte
    count += 1
  }

  /// Appends the UTF-8 bytes of `text`.
  mutating func append(_ text: String) {
    var text = text
    text.withUTF8 { utf8 in
      reserve(utf8.count)
      (storage + count).update(from: utf8.baseAddress!, count: utf8.count)
      count += utf8.count
    }
  }

  /// Appends a decimal integer.
  mutating func append(integer value: Int) {
    reserve(21)
    var magnitude = value.magnitude
    if value < 0 {
      storage[count] = 45  // "-"
      count += 1
    }
    // Digits come out least significant first: write them backwards into place.
    var digits = 1
    var rest = magnitude / 10
    while rest > 0 { digits += 1; rest /= 10 }
    var p = storage + count + digits
    repeat {
      p -= 1
      p.pointee = 48 &+ UInt8(truncatingIfNeeded: magnitude % 10)
      magnitude /= 10
    } while magnitude > 0
    count += digits
  }

  /// Appends a double so that `strtod` reads back exactly the same value.
  mutating func append(double value: Double) {
    // Swift's description is the shortest text that round-trips ("0.1", "1e-05", "9.0").
    append(value.description)
  }

  /// The bytes written so far, decoded as UTF-8 (for tests and small files).
  var text: String {
    String(decoding: UnsafeBufferPointer(start: storage, count: count), as: UTF8.self)
  }

  /// Writes the buffer to `path` with ``OutputFile``: atomically, next to the real target of a
  /// link, keeping the replaced file's permissions.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the file cannot be written; an existing
  ///   file is unchanged then.
  func writeAtomically(to path: String) throws(OP2Error) {
    try OutputFile.write(UnsafeRawBufferPointer(start: storage, count: count), to: path)
  }
}

extension MeshTextScanner {
  /// The most records of `width` numbers the rest of the file can hold, at least 2 bytes per
  /// number: a cap on allocations, so that an absurd count in the header (a truncated or
  /// corrupt file) cannot exhaust memory before the scan reaches the end of the file.
  private func capacity(for records: Int, width: Int) -> Int {
    min(records, (file.count - offset) / (2 * width) + 1)
  }

  /// Parses records `records` of `section` (global record numbers, for messages), one per line
  /// from the current position, into one array per group of columns.
  ///
  /// - Throws: ``OP2Error/malformedMeshFile(path:line:expected:found:)`` at the first line that
  ///   has too few or too many numbers, a token that is not an integer, or a value outside its
  ///   column's range.
  mutating func readIntegerRecords(_ section: MeshSection, records: Range<Int>) throws(OP2Error) -> [[Int32]] {
    let width = section.columns.count
    let count = records.count
    let capacity = capacity(for: count, width: width)
    let groupStart = section.groups.reduce(into: [0]) { $0.append($0.last! + $1) }
    let outputs = section.groups.map { UnsafeMutablePointer<Int32>.allocate(capacity: $0 * capacity) }
    defer { outputs.forEach { $0.deallocate() } }
    // Per-column destination and stride, in plain pointers: the hot loop must not touch Arrays.
    let targets = UnsafeMutablePointer<UnsafeMutablePointer<Int32>>.allocate(capacity: width)
    let strides = UnsafeMutablePointer<Int>.allocate(capacity: width)
    let lows = UnsafeMutablePointer<Int>.allocate(capacity: width)
    let highs = UnsafeMutablePointer<Int>.allocate(capacity: width)
    defer { targets.deallocate(); strides.deallocate(); lows.deallocate(); highs.deallocate() }
    for (g, size) in section.groups.enumerated() {
      for c in groupStart[g]..<groupStart[g] + size {
        targets[c] = outputs[g] + (c - groupStart[g])
        strides[c] = size
        lows[c] = section.columns[c].low
        highs[c] = section.columns[c].high
      }
    }
    try scanRecords(section, records: records, capacity: capacity) { k, c, q in
      var after: UnsafeMutablePointer<CChar>?
      let value = strtol(UnsafeRawPointer(q).assumingMemoryBound(to: CChar.self), &after, 10)
      let inRange = value >= lows[c] && value <= highs[c]
      if inRange { (targets[c] + k * strides[c]).pointee = Int32(truncatingIfNeeded: value) }
      return (UnsafeRawPointer(after!).assumingMemoryBound(to: UInt8.self), inRange)
    }
    return section.groups.indices.map {
      Array(UnsafeBufferPointer(start: outputs[$0], count: section.groups[$0] * count))
    }
  }

  /// Parses records `records` of `section.columns.count` finite floating-point numbers each.
  ///
  /// - Throws: ``OP2Error/malformedMeshFile(path:line:expected:found:)`` as for integers; `nan`
  ///   and `inf` are rejected.
  mutating func readDoubleRecords(_ section: MeshSection, records: Range<Int>) throws(OP2Error) -> [Double] {
    let width = section.columns.count
    let count = records.count
    let capacity = capacity(for: count, width: width)
    let output = UnsafeMutablePointer<Double>.allocate(capacity: width * capacity)
    defer { output.deallocate() }
    try scanRecords(section, records: records, capacity: capacity) { k, c, q in
      var after: UnsafeMutablePointer<CChar>?
      let value = strtod(UnsafeRawPointer(q).assumingMemoryBound(to: CChar.self), &after)
      output[k * width + c] = value
      return (UnsafeRawPointer(after!).assumingMemoryBound(to: UInt8.self), value.isFinite)
    }
    return Array(UnsafeBufferPointer(start: output, count: width * count))
  }

  /// Walks records `records` of `section.columns.count` numbers each, one record per line,
  /// handing each token's start to `token` with the record's position in the block (0 for
  /// `records.lowerBound`); `token` parses (and stores) it and returns where it ended and whether
  /// its value is acceptable. Shared by the integer and floating-point readers.
  ///
  /// - Throws: ``OP2Error/malformedMeshFile(path:line:expected:found:)`` at the first line that ends
  ///   early (or the file ends before the last record, or beyond `capacity` records), a token that
  ///   is not a number, a value `token` rejects, or a line with extra text.
  private mutating func scanRecords(
    _ section: MeshSection, records: Range<Int>, capacity: Int,
    _ token: (_ k: Int, _ column: Int, _ at: UnsafePointer<UInt8>) -> (after: UnsafePointer<UInt8>, accepted: Bool)
  ) throws(OP2Error) {
    let width = section.columns.count
    try file.withBytes { (buffer) throws(OP2Error) in
      let base = buffer.baseAddress!
      let end = base + buffer.count  // the NUL terminator
      var p = base + offset
      for k in 0..<records.count {
        let record = records.lowerBound + k
        guard k < capacity, let start = skipBlankLines(&p, end: end) else {
          throw error(section.lineExpectation(record), found: "end of file")
        }
        for c in 0..<width {
          let q = Self.skipSpaces(start: p)
          guard q != end, q.pointee != 10 else {
            throw error(section.lineExpectation(record), found: lineText(from: start, end: end))
          }
          let (e, accepted) = token(k, c, q)
          guard e != q, Self.endsToken(e, end: end) else {
            throw error(section.lineExpectation(record), found: tokenText(from: q, end: end))
          }
          guard accepted else {
            let column = section.columns[c]
            let found = tokenText(from: q, end: end)
            if let tooLarge = column.tooLarge,
              strtol(UnsafeRawPointer(q).assumingMemoryBound(to: CChar.self), nil, 10) > column.high
            {
              throw error("\(tooLarge) for \(section.recordName(record))", found: "\(found), which is too large")
            }
            throw error("\(column.expectation) for \(section.recordName(record))", found: found)
          }
          p = e
        }
        try finishLine(&p, start: start, end: end, expected: section.lineExpectation(record))
      }
      offset = p - base
    }
  }

  /// Steps over records `records` of `section` without parsing them: each line with anything
  /// but whitespace on it counts as one record (blank lines are skipped, as when parsing).
  ///
  /// This is how a block reader passes the other ranks' blocks. It finds a file that ends too
  /// early with the same error, at the same line, as parsing would; what the skipped lines hold
  /// is not checked.
  ///
  /// - Throws: ``OP2Error/malformedMeshFile(path:line:expected:found:)`` with `end of file`
  ///   when the file ends before the last record.
  mutating func skipRecords(_ section: MeshSection, records: Range<Int>) throws(OP2Error) {
    guard !records.isEmpty else { return }
    try file.withBytes { (buffer) throws(OP2Error) in
      let base = buffer.baseAddress!
      let end = base + buffer.count
      var p = base + offset
      for record in records {
        guard skipBlankLines(&p, end: end) != nil else {
          offset = p - base
          throw error(section.lineExpectation(record), found: "end of file")
        }
        if let newline = memchr(p, 10, end - p) {
          p = UnsafePointer(newline.assumingMemoryBound(to: UInt8.self)) + 1
        } else {
          p = end
        }
        line += 1
      }
      offset = p - base
    }
  }

  /// Checks that only whitespace follows the last record.
  mutating func expectEndOfFile(after what: String) throws(OP2Error) {
    try file.withBytes { (buffer) throws(OP2Error) in
      let base = buffer.baseAddress!
      let end = base + buffer.count
      var p = base + offset
      if let start = skipBlankLines(&p, end: end) {
        throw error("end of file after \(what)", found: lineText(from: start, end: end))
      }
      offset = p - base
    }
  }

  // MARK: Byte-level helpers

  /// Bit `b` is set for the bytes that separate numbers within a line: space, tab, carriage
  /// return, vertical tab and form feed.
  private static let separatorMask: UInt64 = 1 << 32 | 1 << 9 | 1 << 13 | 1 << 11 | 1 << 12

  /// Whether `byte` is a within-line separator (`newline: false`) or any whitespace.
  ///
  /// Written as a mask test with a ternary because `||` chains take closures, which make this,
  /// the hottest function of the reader, several times slower in debug builds.
  private static func isSpace(_ byte: UInt8, orNewline newline: Bool = false) -> Bool {
    let mask = newline ? separatorMask | 1 << 10 : separatorMask
    return byte < 64 ? (mask &>> UInt64(byte)) & 1 != 0 : false
  }

  /// Whether a number ends properly at `e`: at a separator, a line end or the end of the data
  /// (so `12abc` or `1.5` read as an integer are rejected rather than read as `12` or `1`).
  private static func endsToken(_ e: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Bool {
    e == end ? true : isSpace(e.pointee, orNewline: true)
  }

  /// The first byte at or after `start` that is not a within-line separator (the NUL terminator
  /// stops the loop).
  private static func skipSpaces(start: UnsafePointer<UInt8>) -> UnsafePointer<UInt8> {
    // The mask test is spelled out rather than calling isSpace: in debug builds every call
    // costs a stack-frame setup, and this loop runs once per number.
    var q = start
    while q.pointee < 64 ? (separatorMask &>> UInt64(q.pointee)) & 1 != 0 : false { q += 1 }
    return q
  }

  /// Skips lines that hold only whitespace, counting them; returns the start of the next line
  /// with content, or nil at the end of the data.
  private mutating func skipBlankLines(
    _ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>
  ) -> UnsafePointer<UInt8>? {
    while true {
      let q = Self.skipSpaces(start: p)
      if q == end { p = q; return nil }
      guard q.pointee == 10 else { return p }
      p = q + 1
      line += 1
    }
  }

  /// After a record's numbers: allows trailing whitespace, then consumes the newline.
  private mutating func finishLine(
    _ p: inout UnsafePointer<UInt8>, start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>,
    expected: @autoclosure () -> String
  ) throws(OP2Error) {
    let q = Self.skipSpaces(start: p)
    if q == end {
      p = q
    } else if q.pointee == 10 {
      p = q + 1
    } else {
      throw error(expected(), found: lineText(from: start, end: end))
    }
    line += 1
  }

  /// The most bytes of a line or token a message looks at: a file of one endless line (`/dev/zero`
  /// mapped, a binary file) must not be copied whole into an error.
  private static let messageScanLimit = 256

  /// The line starting at `start`, trimmed and quoted, for messages.
  private func lineText(from start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> String {
    var stop = start
    let limit = start + min(end - start, Self.messageScanLimit)
    while stop != limit, stop.pointee != 10 { stop += 1 }
    return Self.quoted(Self.trimmed(Self.printable(UnsafeBufferPointer(start: start, count: stop - start))))
  }

  /// The whitespace-delimited token starting at `start`, quoted, for messages.
  private func tokenText(from start: UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> String {
    var stop = start
    let limit = start + min(end - start, Self.messageScanLimit)
    while stop != limit, !Self.isSpace(stop.pointee, orNewline: true) { stop += 1 }
    return Self.quoted(Self.printable(UnsafeBufferPointer(start: start, count: stop - start)))
  }

  /// Bytes as text for a message: control bytes other than tab (a NUL, say) spelled `\u{0}`.
  private static func printable(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    var text = ""
    for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
      if scalar.value < 32, scalar != "\t", scalar != "\r" {
        text += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        text.unicodeScalars.append(scalar)
      }
    }
    return text
  }
}
