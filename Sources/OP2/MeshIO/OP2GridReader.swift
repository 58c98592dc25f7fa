/// Reads OP2's airfoil grid file (`new_grid.dat`): the whole grid (``read(contentsOf:)``), or
/// one MPI rank's block of it (``readBlock(contentsOf:)``).
///
/// A file in OP2's HDF5 layout (`new_grid.h5`: HDF5's signature, or a `.h5`/`.hdf5` name; see
/// ``isHDF5(_:)``) is read by ``OP2GridHDF5`` instead, with the same blocks.
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
/// The file is memory-mapped, not copied, and numbers are parsed with the C library's `strtol`
/// and `strtod`, so the 2.9-million-line standard grid (80 MB) loads in about 0.4 s in a release
/// build and 1.5 s in a debug build. A block reader steps over the other ranks' lines with
/// `memchr` and parses only its own, so on P ranks each rank does about 1/P of the parsing.
///
/// The corresponding OP2 code is the `fscanf` loop at the top of `airfoil.cpp`, which does no
/// checking at all; OP2's `airfoil_mpi` reads the HDF5 grid in blocks with `op_decl_set_hdf5`.
public enum OP2GridReader {
  /// Reads and validates a grid file.
  ///
  /// Besides the syntax, the reader checks that the four counts are non-negative and that every
  /// node index is below `nnode` and every cell index below `ncell`. Records in messages are
  /// numbered from 0, like the indices in the file ("cell 17" is the 18th cell line).
  ///
  /// This is ``readBlock(contentsOf:rank:rankCount:)`` for rank 0 of 1, at the same speed.
  ///
  /// - Parameter path: The file to read.
  /// - Returns: The grid, with every array sized to its count.
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the file cannot be opened or read;
  ///   ``OP2Error/malformedMeshFile(path:line:expected:found:)`` for a malformed, truncated or
  ///   inconsistent file, with the line, what the line should hold and the offending text (or
  ///   `end of file`).
  public static func read(contentsOf path: String) throws(OP2Error) -> OP2Grid {
    try readBlock(contentsOf: path, rank: 0, rankCount: 1).grid!
  }

  /// Reads this MPI rank's block of a grid file: collective under `mpirun`, where every rank
  /// throws the same error for a bad file.
  ///
  /// Every rank calls ``readBlock(contentsOf:rank:rankCount:)`` for its ``OP2/rank`` of
  /// ``OP2/rankCount``, then the ranks agree on the outcome (one `MPI_Allgather` of at most a
  /// few hundred bytes): if any rank failed, every rank throws the failure at the smallest line
  /// (an unreadable file first), which is exactly the error ``read(contentsOf:)`` throws for the
  /// file. Without MPI it reads the whole file as one block.
  ///
  /// ```swift
  /// let block = try OP2GridReader.readBlock(contentsOf: "new_grid.dat")
  /// let cells = try Set(globalSize: block.cellCount, name: "cells")   // block.cellRange on this rank
  /// ```
  ///
  /// - Parameter path: The file to read; every rank must name the same file.
  /// - Returns: This rank's block; see ``OP2GridBlock``.
  /// - Throws: The errors of ``read(contentsOf:)``, the same on every rank.
  public static func readBlock(contentsOf path: String) throws(OP2Error) -> OP2GridBlock {
    guard let communicator = MPIEnvironment.world else {
      return try readBlock(contentsOf: path, rank: 0, rankCount: 1)
    }
    var result: OP2GridBlock?
    var failure: OP2Error?
    do {
      result = try readBlock(contentsOf: path, rank: communicator.rank, rankCount: communicator.size)
    } catch {
      failure = error
    }
    if let agreed = firstInFile(communicator.allgather(ErrorAgreement.encode(failure)).compactMap(ErrorAgreement.decode)) {
      throw agreed
    }
    return result!
  }

  /// Reads block `rank` of `rankCount` of a grid file: the even split of each section (nodes,
  /// cells, edges and boundary edges), parsing only those lines.
  ///
  /// Block `r` of a section of `n` records is records `n * r / rankCount ..< n * (r + 1) /
  /// rankCount`, the default split of ``Set/init(globalSize:localSize:name:)``; blocks are empty
  /// when there are more ranks than records. Map rows keep the file's (global) indices.
  ///
  /// **What is checked where.** Every rank parses and checks the header, and counts the records
  /// of every section (a line with anything but whitespace on it is one record), so a truncated
  /// file, or one with text after the last boundary edge, throws on every rank the error
  /// ``read(contentsOf:)`` throws. Only the lines of this rank's blocks are parsed and checked
  /// (numbers, ranges, record width): for those lines the error is, again, exactly the
  /// whole-file reader's. A malformed line in *another* rank's block is not seen here — that
  /// rank throws for it — unless it changes the line count (a record split over two lines), in
  /// which case the count check fails here too. ``readBlock(contentsOf:)`` makes every rank
  /// agree on the whole-file reader's error.
  ///
  /// This does not communicate: it is what ``readBlock(contentsOf:)`` runs on each rank, and it
  /// can read any rank's block in any process (tests, tools that split a file).
  ///
  /// **Cost.** The file is memory-mapped; every rank walks all of it (the header and section
  /// counts need that), finding line ends with `memchr` at a few GB/s, and parses 1/`rankCount`
  /// of the numbers. For OP2's 80 MB standard grid in a release build, the walk takes about
  /// 30 ms and parsing about 0.4 s divided by the rank count.
  ///
  /// - Parameters:
  ///   - path: The file to read.
  ///   - rank: The block to read, in `0..<rankCount`.
  ///   - rankCount: The number of blocks (ranks), at least 1; 1 reads the whole file.
  /// - Returns: The block, with the whole grid's counts, the block ranges and their rows.
  /// - Throws: ``OP2Error/invalidRank(operation:rank:rankCount:)`` for a rank outside
  ///   `0..<rankCount`; otherwise the errors of ``read(contentsOf:)``, as described above.
  public static func readBlock(contentsOf path: String, rank: Int, rankCount: Int) throws(OP2Error) -> OP2GridBlock {
    guard rankCount >= 1, (0..<rankCount).contains(rank) else {
      throw .invalidRank(operation: "OP2GridReader.readBlock", rank: rank, rankCount: rankCount)
    }
    if isHDF5(path) { return try OP2GridHDF5.readBlock(contentsOf: path, rank: rank, rankCount: rankCount) }
    var scanner = MeshTextScanner(path: path, file: try MeshFileBytes(contentsOf: path))

    let header = try scanner.readIntegerRecords(.op2GridHeader, records: 0..<1)[0]
    let (nnode, ncell, nedge, nbedge) = (Int(header[0]), Int(header[1]), Int(header[2]), Int(header[3]))
    let block = { (count: Int) in Set.evenBlock(globalSize: count, rank: rank, rankCount: rankCount) }
    let (nodes, cells, edges, bedges) = (block(nnode), block(ncell), block(nedge), block(nbedge))

    let x = try scanner.readBlock(.op2GridNodes, block: nodes, of: nnode) { (s, r) throws(OP2Error) in
      try s.readDoubleRecords(.op2GridNodes, records: r)
    }
    let cellSection = MeshSection.op2GridCells(nodes: nnode)
    let cellRows = try scanner.readBlock(cellSection, block: cells, of: ncell) { (s, r) throws(OP2Error) in
      try s.readIntegerRecords(cellSection, records: r)
    }
    let edgeSection = MeshSection.op2GridEdges(nodes: nnode, cells: ncell)
    let edgeRows = try scanner.readBlock(edgeSection, block: edges, of: nedge) { (s, r) throws(OP2Error) in
      try s.readIntegerRecords(edgeSection, records: r)
    }
    let bedgeSection = MeshSection.op2GridBoundaryEdges(nodes: nnode, cells: ncell)
    let bedgeRows = try scanner.readBlock(bedgeSection, block: bedges, of: nbedge) { (s, r) throws(OP2Error) in
      try s.readIntegerRecords(bedgeSection, records: r)
    }
    try scanner.expectEndOfFile(after: "\(nbedge) boundary edges")

    return OP2GridBlock(
      rank: rank, rankCount: rankCount,
      nodeCount: nnode, cellCount: ncell, edgeCount: nedge, bedgeCount: nbedge,
      nodeRange: nodes, cellRange: cells, edgeRange: edges, bedgeRange: bedges,
      x: x, cellNodes: cellRows[0], edgeNodes: edgeRows[0], edgeCells: edgeRows[1],
      bedgeNodes: bedgeRows[0], bedgeCells: bedgeRows[1], bound: bedgeRows[2])
  }

  /// Whether `path` is read as OP2's HDF5 layout (``OP2GridHDF5``) rather than text: it starts
  /// with HDF5's signature, or its name ends in `.h5`, `.hdf5` or `.he5` (so that a damaged HDF5
  /// file gets HDF5's error, not a text parser's).
  public static func isHDF5(_ path: String) -> Bool {
    let lower = path.lowercased()
    return HDF5File.isHDF5(path) || [".h5", ".hdf5", ".he5"].contains { lower.hasSuffix($0) }
  }

  /// Of the ranks' errors, the one the whole-file reader would throw: an error that is not about
  /// a line (the file could not be opened) first, then the smallest line, then the lowest rank.
  ///
  /// Every line before the file's first bad line holds exactly one well-formed record, so every
  /// rank counts records correctly up to it; the rank that parses that line (or, for a
  /// truncation or trailing text, every rank) reports it, and no rank reports an earlier line.
  static func firstInFile(_ errors: [OP2Error]) -> OP2Error? {
    func line(_ error: OP2Error) -> Int {
      if case .malformedMeshFile(_, let line, _, _) = error { return line }
      return 0
    }
    return errors.enumerated().min { (line($0.element), $0.offset) < (line($1.element), $1.offset) }?.element
  }
}

extension MeshSection {
  /// The first line of `new_grid.dat`: `nnode ncell nedge nbedge`.
  static let op2GridHeader: MeshSection = {
    let count = MeshColumn(
      expectation: "a non-negative count", low: 0, high: Int(Int32.max),
      tooLarge: "a count of at most \(Int32.max) (OP2 grids use 32-bit indices)")
    return MeshSection(record: "", contents: "nnode ncell nedge nbedge", columns: [count, count, count, count], groups: [4])
  }()

  /// Node coordinates: `x y` per line.
  static let op2GridNodes: MeshSection = {
    let coordinate = MeshColumn(expectation: "a finite coordinate", low: 0, high: 0)
    return MeshSection(
      record: "node", contents: "coordinates", columns: [coordinate, coordinate], groups: [2], kind: "numbers")
  }()

  /// Cell → node rows: 4 node indices per line.
  static func op2GridCells(nodes: Int) -> MeshSection {
    let node = MeshColumn.index("node", count: nodes)
    return MeshSection(record: "cell", contents: "node indices", columns: [node, node, node, node], groups: [4])
  }

  /// Interior edges: 2 node and 2 cell indices per line.
  static func op2GridEdges(nodes: Int, cells: Int) -> MeshSection {
    let node = MeshColumn.index("node", count: nodes), cell = MeshColumn.index("cell", count: cells)
    return MeshSection(
      record: "edge", contents: "2 node and 2 cell indices", columns: [node, node, cell, cell], groups: [2, 2])
  }

  /// Boundary edges: 2 node indices, a cell index and a boundary flag per line.
  static func op2GridBoundaryEdges(nodes: Int, cells: Int) -> MeshSection {
    let node = MeshColumn.index("node", count: nodes), cell = MeshColumn.index("cell", count: cells)
    let flag = MeshColumn(expectation: "a 32-bit boundary flag", low: Int(Int32.min), high: Int(Int32.max))
    return MeshSection(
      record: "boundary edge", contents: "2 node indices, a cell index and a boundary flag",
      columns: [node, node, cell, flag], groups: [2, 1, 1])
  }
}

extension MeshTextScanner {
  /// Reads block `block` of a section of `count` records: steps over the records before it,
  /// parses the block with `parse`, and steps over the rest, leaving the scanner at the next
  /// section. Errors come in file order, as when parsing the whole section.
  mutating func readBlock<T>(
    _ section: MeshSection, block: Range<Int>, of count: Int,
    parse: (inout MeshTextScanner, Range<Int>) throws(OP2Error) -> T
  ) throws(OP2Error) -> T {
    try skipRecords(section, records: 0..<block.lowerBound)
    let result = try parse(&self, block)
    try skipRecords(section, records: block.upperBound..<count)
    return result
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
  /// Completes "expected …" for an integer above `high`, when that deserves its own message
  /// (a header count too large to be an index says what the limit is).
  var tooLarge: String? = nil

  /// An index into a set of `count` elements, e.g. `a node index in 0..<5`.
  static func index(_ element: String, count: Int) -> MeshColumn {
    MeshColumn(expectation: "a \(element) index in 0..<\(count)", low: 0, high: count - 1)
  }
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
/// The parsing and skipping loops live in the pointer-level companion file
/// (`OP2GridReader+…swift`); this half holds the state and the error construction.
struct MeshTextScanner {
  /// The file name used in errors.
  let path: String
  /// The file's bytes (mapped), followed by a NUL byte.
  let file: MeshFileBytes
  /// Byte offset of the next unread byte.
  var offset = 0
  /// 1-based number of the line at `offset`.
  var line = 1

  init(path: String, file: MeshFileBytes) {
    self.path = path
    self.file = file
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
