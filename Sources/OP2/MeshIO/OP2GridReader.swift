/// Reads OP2's airfoil grid file (`new_grid.dat`) into an ``OP2Grid``.
///
/// The format is plain text, whitespace-separated, one record per line:
///
///     nnode ncell nedge nbedge
///     x y                      (nnode lines: node coordinates)
///     n0 n1 n2 n3              (ncell lines: cell → node, counter-clockwise)
///     n1 n2 c1 c2              (nedge lines: edge → node, edge → cell)
///     n1 n2 c1 bound           (nbedge lines: boundary edge → node, → cell, boundary flag)
///
/// All indices are 0-based. Lines may carry leading or trailing spaces and blank lines are
/// skipped; anything else that does not fit is an error that names the 1-based line.
///
/// The whole file is read into memory at once and parsed with the C library's `strtol` and
/// `strtod`, so the 2.9-million-line standard grid loads in under a second even in a
/// debug build.
///
/// The corresponding OP2 code is the `fscanf` loop at the top of `airfoil.cpp`, which does no
/// checking at all.
public enum OP2GridReader {
  /// Reads and validates a grid file.
  ///
  /// Besides the syntax, the reader checks that the four counts are non-negative and that every
  /// node index is below `nnode` and every cell index below `ncell`. Records in messages are
  /// numbered from 0, like the indices in the file ("cell 17" is the 18th cell line).
  ///
  /// - Parameter path: The file to read.
  /// - Returns: The grid, with every array sized to its count.
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the file cannot be opened or read;
  ///   ``OP2Error/malformedMeshFile(path:line:expected:found:)`` for a malformed, truncated or
  ///   inconsistent file, with the line, what the line should hold and the offending text (or
  ///   `end of file`).
  public static func read(contentsOf path: String) throws(OP2Error) -> OP2Grid {
    var scanner = MeshTextScanner(path: path, bytes: try MeshFileIO.readNulTerminated(path: path))

    let count = MeshColumn(expectation: "a non-negative count", low: 0, high: Int(Int32.max))
    let header = try scanner.readIntegerRecords(
      MeshSection(
        record: "", contents: "nnode ncell nedge nbedge",
        columns: [count, count, count, count], groups: [4]),
      count: 1)[0]
    let (nnode, ncell, nedge, nbedge) = (Int(header[0]), Int(header[1]), Int(header[2]), Int(header[3]))

    let node = MeshColumn(expectation: "a node index in 0..<\(nnode)", low: 0, high: nnode - 1)
    let cell = MeshColumn(expectation: "a cell index in 0..<\(ncell)", low: 0, high: ncell - 1)
    let flag = MeshColumn(expectation: "a 32-bit boundary flag", low: Int(Int32.min), high: Int(Int32.max))
    let coordinate = MeshColumn(expectation: "a finite coordinate", low: 0, high: 0)

    let x = try scanner.readDoubleRecords(
      MeshSection(
        record: "node", contents: "coordinates", columns: [coordinate, coordinate], groups: [2],
        kind: "numbers"),
      count: nnode)
    let cells = try scanner.readIntegerRecords(
      MeshSection(record: "cell", contents: "node indices", columns: [node, node, node, node], groups: [4]),
      count: ncell)
    let edges = try scanner.readIntegerRecords(
      MeshSection(
        record: "edge", contents: "2 node and 2 cell indices", columns: [node, node, cell, cell],
        groups: [2, 2]),
      count: nedge)
    let bedges = try scanner.readIntegerRecords(
      MeshSection(
        record: "boundary edge", contents: "2 node indices, a cell index and a boundary flag",
        columns: [node, node, cell, flag], groups: [2, 1, 1]),
      count: nbedge)
    try scanner.expectEndOfFile(after: "\(nbedge) boundary edges")

    return OP2Grid(
      nodeCount: nnode, cellCount: ncell, edgeCount: nedge, bedgeCount: nbedge,
      x: x, cellNodes: cells[0], edgeNodes: edges[0], edgeCells: edges[1],
      bedgeNodes: bedges[0], bedgeCells: bedges[1], bound: bedges[2])
  }
}

/// What one column of a record may hold, for range checks and messages.
struct MeshColumn {
  /// Completes "expected …" when a value is out of range, e.g. `a node index in 0..<5`.
  var expectation: String
  /// The smallest allowed value (unused for floating-point columns, which must be finite).
  var low: Int
  /// The largest allowed value; below `low` when no value is allowed (an empty target set).
  var high: Int
}

/// One section of a mesh file: `count` lines of the same record shape.
struct MeshSection {
  /// The record's name in messages ("cell"); empty for the header line.
  var record: String
  /// What a line holds, for messages ("node indices").
  var contents: String
  /// One entry per number on the line.
  var columns: [MeshColumn]
  /// How the columns split into output arrays, e.g. `[2, 2]` for edge → node and edge → cell.
  var groups: [Int]
  /// How a line's numbers are called in messages: `integers` or `numbers`.
  var kind = "integers"

  /// `cell 17`, or `the header line`.
  func recordName(_ index: Int) -> String {
    record.isEmpty ? "the header line" : "\(record) \(index)"
  }

  /// What a whole line should hold, e.g. `4 integers: node indices of cell 17`.
  func lineExpectation(_ index: Int) -> String {
    record.isEmpty
      ? "\(columns.count) \(kind): \(contents)"
      : "\(columns.count) \(kind): \(contents) of \(record) \(index)"
  }
}

/// A cursor over a mesh file's bytes that tracks the 1-based line number for messages.
///
/// The parsing loops live in `OP2GridReader+Unsafe.swift`; this half holds the state and the
/// error construction.
struct MeshTextScanner {
  /// The file name used in errors.
  let path: String
  /// The file's bytes followed by one NUL byte.
  let bytes: [UInt8]
  /// Byte offset of the next unread byte.
  var offset = 0
  /// 1-based number of the line at `offset`.
  var line = 1

  init(path: String, bytes: [UInt8]) {
    precondition(bytes.last == 0, "MeshTextScanner needs a NUL-terminated buffer")
    self.path = path
    self.bytes = bytes
  }

  func error(_ expected: String, found: String) -> OP2Error {
    .malformedMeshFile(path: path, line: line, expected: expected, found: found)
  }

  /// Quotes text for a message, shortening it so a binary file does not flood the terminal.
  static func quoted(_ text: String) -> String {
    let limit = 60
    return text.count > limit ? "\"\(text.prefix(limit))…\"" : "\"\(text)\""
  }

  /// The text without leading and trailing spaces, tabs and carriage returns.
  static func trimmed(_ text: String) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isSpace($0) }),
      let last = text.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(text[first...last])
  }
}
