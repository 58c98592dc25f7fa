import Foundation
import Testing
@testable import OP2

/// The connectivity of a 2 × 2 grid in OP2's conventions, with awkward coordinates (values that
/// need 17 digits, a negative zero, a tiny and a large number) to test exact round trips.
///
/// Nodes `(i, j)` are `i + 3j`, cells `(i, j)` are `i + 2j`; lines 2–10 of its file are nodes,
/// 11–14 cells, 15–18 edges and 19–26 boundary edges.
func handMadeGrid() -> OP2Grid {
  OP2Grid(
    nodeCount: 9, cellCount: 4, edgeCount: 4, bedgeCount: 8,
    x: [
      0, -0.0, 0.1, 0, 1.0 / 3.0, 1e-300,
      0, 0.5, 0.1 + 0.2, 0.5, 2.0 / 3.0, 0.5,
      -123456.789, 1, 0.1, 1, 9.000000000000002, 1,
    ],
    cellNodes: [0, 1, 4, 3, 1, 2, 5, 4, 3, 4, 7, 6, 4, 5, 8, 7],
    edgeNodes: [4, 1, 3, 4, 4, 5, 7, 4],
    edgeCells: [0, 1, 0, 2, 1, 3, 2, 3],
    bedgeNodes: [1, 0, 2, 1, 5, 2, 8, 5, 7, 8, 6, 7, 3, 6, 0, 3],
    bedgeCells: [0, 1, 1, 3, 3, 2, 2, 0],
    bound: [1, 1, 2, 2, 2, 2, 2, 2])
}

/// A fresh folder for one test's files.
func meshScratchDirectory() -> String {
  let path = FileManager.default.temporaryDirectory.path
    + "/op2-meshio-\(getpid())-\(UInt32.random(in: 0 ... .max))"
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The hand-made grid's file as lines (without newlines), as the writer produces it.
func handMadeLines() throws -> [String] {
  let path = meshScratchDirectory() + "/grid.dat"
  try OP2GridWriter.write(handMadeGrid(), to: path)
  return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
}

/// Writes `text` to a new file and returns its path.
func file(containing text: String) throws -> String {
  let path = meshScratchDirectory() + "/grid.dat"
  try text.write(toFile: path, atomically: false, encoding: .utf8)
  return path
}

@Suite("OP2GridReader")
struct OP2GridReaderTests {
  @Test("writing then reading gives back the same grid, bit for bit")
  func roundTrip() throws {
    let path = meshScratchDirectory() + "/grid.dat"
    let grid = handMadeGrid()
    try OP2GridWriter.write(grid, to: path)
    let back = try OP2GridReader.read(contentsOf: path)
    #expect(back == grid)
    #expect(back.x.map(\.bitPattern) == grid.x.map(\.bitPattern))  // == alone ignores -0.0
  }

  @Test("OP2's own spacing is accepted: leading and trailing blanks, CRLF and blank lines")
  func toleratesWhitespace() throws {
    let lines = try handMadeLines()
    let text = lines.enumerated().map { k, line in k == 3 ? "\n  \(line) \t\r" : " \(line) \r" }
      .joined(separator: "\n")  // and no newline at the end
    #expect(try OP2GridReader.read(contentsOf: file(containing: text)) == handMadeGrid())
  }

  @Test("/dev/zero and a directory stop at once with a typed error instead of reading until memory runs out")
  func unboundedInput() {
    expectError(.fileError(path: "/dev/zero", reason: "not a text file: byte 0 is NUL"),
                message: "/dev/zero: not a text file: byte 0 is NUL") { () throws(OP2Error) in
      _ = try OP2GridReader.read(contentsOf: "/dev/zero")
    }
    let folder = meshScratchDirectory()
    expectError(.fileError(path: folder, reason: "is a directory, not a mesh file"),
                message: "\(folder): is a directory, not a mesh file") { () throws(OP2Error) in
      _ = try OP2GridReader.read(contentsOf: folder)
    }
  }

  @Test("a pipe that gives more than the stream limit is refused, naming the limit")
  func streamLimit() throws {
    // An endless pipe of valid-looking text: `yes` never ends, so only the limit stops the read.
    let fifoDirectory = temporaryDirectory("grid-fifo")
    defer { try? FileManager.default.removeItem(atPath: fifoDirectory) }
    let fifo = fifoDirectory + "/grid"
    #expect(mkfifo(fifo, 0o644) == 0)
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/bin/sh")
    writer.arguments = ["-c", "yes '1 2 3 4' > '\(fifo)' 2>/dev/null"]
    try writer.run()
    defer { writer.terminate(); writer.waitUntilExit() }
    let fd = open(fifo, O_RDONLY)
    defer { close(fd) }
    let limit = 1 << 20
    expectError(.fileError(path: fifo, reason: "is not a regular file and gives more than \(limit) bytes (the most read from a pipe or device, a quarter of this machine's memory); a mesh file this large must be a regular file"),
                message: "\(fifo): is not a regular file and gives more than \(limit) bytes (the most read from a pipe or device, a quarter of this machine's memory); a mesh file this large must be a regular file") { () throws(OP2Error) in
      _ = try MeshFileIO.readNulTerminated(fd: fd, path: fifo, limit: limit)
    }
  }

  @Test("a missing file is a file error")
  func missingFile() {
    let path = meshScratchDirectory() + "/absent.dat"
    #expect(throws: OP2Error.fileError(path: path, reason: "No such file or directory")) {
      try OP2GridReader.read(contentsOf: path)
    }
  }

  /// A change to the hand-made file and the error it must cause.
  struct Damage: CustomTestStringConvertible, Sendable {
    var label: String
    var edit: @Sendable (inout [String]) -> Void
    var line: Int
    var expected: String
    var found: String
    var testDescription: String { label }
  }

  static let damages: [Damage] = [
    Damage(
      label: "truncated in the edge section", edit: { $0.removeSubrange(16...) }, line: 17,
      expected: "4 integers: 2 node and 2 cell indices of edge 2", found: "end of file"),
    Damage(
      label: "empty file", edit: { $0 = [] }, line: 1,
      expected: "4 integers: nnode ncell nedge nbedge", found: "end of file"),
    Damage(
      label: "a word for a coordinate", edit: { $0[4] = "0.1 abc" }, line: 5,
      expected: "2 numbers: coordinates of node 3", found: "\"abc\""),
    Damage(
      label: "a fraction for a node index", edit: { $0[11] = "1 2 5.0 4" }, line: 12,
      expected: "4 integers: node indices of cell 1", found: "\"5.0\""),
    Damage(
      label: "too few numbers on a line", edit: { $0[11] = "1 2 5" }, line: 12,
      expected: "4 integers: node indices of cell 1", found: "\"1 2 5\""),
    Damage(
      label: "too many numbers on a line", edit: { $0[15] = "3 4 0 2 7" }, line: 16,
      expected: "4 integers: 2 node and 2 cell indices of edge 1", found: "\"3 4 0 2 7\""),
    Damage(
      label: "a cell index out of range", edit: { $0[15] = "3 4 0 4" }, line: 16,
      expected: "a cell index in 0..<4 for edge 1", found: "\"4\""),
    Damage(
      label: "a negative node index", edit: { $0[18] = "-1 0 0 1" }, line: 19,
      expected: "a node index in 0..<9 for boundary edge 0", found: "\"-1\""),
    Damage(
      label: "a negative count", edit: { $0[0] = "9 4 -4 8" }, line: 1,
      expected: "a non-negative count for the header line", found: "\"-4\""),
    Damage(
      label: "a coordinate that is not finite", edit: { $0[1] = "nan 0" }, line: 2,
      expected: "a finite coordinate for node 0", found: "\"nan\""),
    Damage(
      label: "a header count of 10^12", edit: { $0[0] = "9 1000000000000 6 8" }, line: 1,
      expected: "a count of at most 2147483647 (OP2 grids use 32-bit indices) for the header line",
      found: "\"1000000000000\", which is too large"),
    Damage(
      label: "a header count beyond Int64", edit: { $0[0] = "99999999999999999999999 4 6 8" }, line: 1,
      expected: "a count of at most 2147483647 (OP2 grids use 32-bit indices) for the header line",
      found: "\"99999999999999999999999\", which is too large"),
    Damage(
      label: "a NUL byte and an endless line are quoted briefly", edit: { $0[0] = "9 4\u{0}" + String(repeating: "7", count: 100_000) }, line: 1,
      expected: "4 integers: nnode ncell nedge nbedge", found: "\"4\\u{0}" + String(repeating: "7", count: 54) + "…\""),
    Damage(
      label: "text after the last record", edit: { $0 += ["", "1 2 3"] }, line: 28,
      expected: "end of file after 8 boundary edges", found: "\"1 2 3\""),
  ]

  @Test("a malformed file names the line, what it should hold and what it holds", arguments: damages)
  func malformed(_ damage: Damage) throws {
    var lines = try handMadeLines()
    damage.edit(&lines)
    let path = try file(containing: lines.map { $0 + "\n" }.joined())
    #expect(
      throws: OP2Error.malformedMeshFile(
        path: path, line: damage.line, expected: damage.expected, found: damage.found)
    ) {
      try OP2GridReader.read(contentsOf: path)
    }
  }
}

@Suite("OP2GridWriter")
struct OP2GridWriterTests {
  @Test("the file has OP2's layout: a header, then one record per line")
  func layout() throws {
    let lines = try handMadeLines()
    #expect(lines.count == 1 + 9 + 4 + 4 + 8)
    #expect(lines[0] == "9 4 4 8")
    #expect(lines[1] == "0.0 -0.0")
    #expect(lines[3] == "0.3333333333333333 1e-300")
    #expect(lines[11] == "1 2 5 4")
    #expect(lines[14] == "4 1 0 1")
    #expect(lines[25] == "0 3 0 2")
  }

  @Test("replacing a file leaves no temporary file behind")
  func atomicReplace() throws {
    let directory = meshScratchDirectory()
    let path = directory + "/grid.dat"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    try OP2GridWriter.write(handMadeGrid(), to: path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["grid.dat"])
    #expect(try OP2GridReader.read(contentsOf: path) == handMadeGrid())
  }

  @Test("arrays that do not fit the counts are rejected")
  func rejectsShapeMismatch() {
    var grid = handMadeGrid()
    grid.cellNodes.removeLast()
    #expect(throws: OP2Error.valueCountMismatch(object: "OP2Grid.cellNodes", expected: 16, got: 15)) {
      try OP2GridWriter.write(grid, to: meshScratchDirectory() + "/grid.dat")
    }
  }

  @Test("a grid cannot be written into a folder that does not exist")
  func missingFolder() {
    let folder = meshScratchDirectory() + "/no/such/"
    let path = folder + "grid.dat"
    #expect(throws: OP2Error.fileError(path: path, reason: "output file folder \(folder) does not exist")) {
      try OP2GridWriter.write(handMadeGrid(), to: path)
    }
  }
}

@Suite("VTKWriter")
struct VTKWriterTests {
  private let grid = handMadeGrid()

  private func write(
    cells: [Int32]? = nil, nodesPerCell: Int = 4, cellData: [VTKWriter.Field] = [],
    pointData: [VTKWriter.Field] = []
  ) throws -> String {
    let path = meshScratchDirectory() + "/grid.vtu"
    try VTKWriter.write(
      to: path, points: grid.x, cells: cells ?? grid.cellNodes, nodesPerCell: nodesPerCell,
      cellData: cellData, pointData: pointData)
    return try String(contentsOfFile: path, encoding: .utf8)
  }

  @Test("a quad mesh is written with its counts, connectivity, offsets, types and fields")
  func quads() throws {
    let q = VTKWriter.Field(name: "q", components: 4, values: (0..<16).map(Double.init))
    let p = VTKWriter.Field(name: "p<&>", components: 1, values: Array(repeating: 0.5, count: 9))
    let text = try write(cellData: [q], pointData: [p])
    #expect(text.hasPrefix("<?xml version=\"1.0\"?>\n<VTKFile type=\"UnstructuredGrid\""))
    #expect(text.contains("<Piece NumberOfPoints=\"9\" NumberOfCells=\"4\">"))
    #expect(text.contains("\n0.1 0.0 0\n"))  // points get z = 0
    #expect(text.contains("\n0 1 4 3\n1 2 5 4\n3 4 7 6\n4 5 8 7\n"))
    #expect(text.contains("\n4 8 12 16\n"))
    #expect(text.contains("\n9 9 9 9\n"))
    #expect(text.contains("Name=\"q\" NumberOfComponents=\"4\""))
    #expect(text.contains("\n12.0 13.0 14.0 15.0\n"))
    #expect(text.contains("<PointData>") && text.contains("Name=\"p&lt;&amp;&gt;\""))
    #expect(text.hasSuffix("</VTKFile>\n"))
  }

  @Test("a wedge in 3D gets VTK type 13, three coordinates per point and offsets in steps of 6")
  func wedge() throws {
    let path = meshScratchDirectory() + "/wedge.vtu"
    let points: [Double] = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0.5, 1, 0, 0.5, 0, 1, 0.5]
    try VTKWriter.write(to: path, points: points, cells: [0, 2, 1, 3, 5, 4], nodesPerCell: 6, spaceDimension: 3,
                        cellData: [.init(name: "layer", components: 1, values: [0])])
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("<Piece NumberOfPoints=\"6\" NumberOfCells=\"1\">"))
    #expect(text.contains("\n1.0 0.0 0.5\n"))
    #expect(text.contains("\n0 2 1 3 5 4\n") && text.contains("\n6\n") && text.contains("\n13\n"))
    #expect(throws: OP2Error.invalidSize(object: "VTKWriter", what: "spaceDimension (2 or 3)", value: 4)) {
      try VTKWriter.write(to: path, points: points, cells: [0, 2, 1, 3, 5, 4], nodesPerCell: 6, spaceDimension: 4)
    }
    #expect(throws: OP2Error.valueCountMismatch(object: "VTK points", expected: 9, got: 7)) {
      try VTKWriter.write(to: path, points: Array(points.prefix(7)), cells: [0, 1, 2], nodesPerCell: 3, spaceDimension: 3)
    }
  }

  @Test("triangles get VTK type 5 and offsets in steps of 3")
  func triangles() throws {
    let text = try write(cells: [0, 1, 4, 0, 4, 3], nodesPerCell: 3)
    #expect(text.contains("NumberOfCells=\"2\""))
    #expect(text.contains("\n3 6\n") && text.contains("\n5 5\n"))
  }

  @Test("a field with the wrong number of values is rejected")
  func rejectsFieldSize() {
    let q = VTKWriter.Field(name: "q", components: 4, values: Array(repeating: 0, count: 15))
    #expect(throws: OP2Error.valueCountMismatch(object: "VTK cell field \"q\"", expected: 16, got: 15)) {
      try write(cellData: [q])
    }
    let p = VTKWriter.Field(name: "p", components: 1, values: [1, 2])
    #expect(throws: OP2Error.valueCountMismatch(object: "VTK point field \"p\"", expected: 9, got: 2)) {
      try write(pointData: [p])
    }
  }

  @Test("cells that are not triangles, quads, wedges or hexahedra, or refer to missing points, are rejected")
  func rejectsBadCells() {
    #expect(throws: OP2Error.invalidSize(object: "VTKWriter", what: "nodesPerCell (3, 4, 6 or 8)", value: 5)) {
      try write(cells: [0, 1, 2, 3, 4], nodesPerCell: 5)
    }
    #expect(throws: OP2Error.valueCountMismatch(object: "VTK cells", expected: 8, got: 7)) {
      try write(cells: [0, 1, 4, 3, 1, 2, 5])
    }
    #expect(
      throws: OP2Error.mapValueOutOfRange(map: "VTK cells", entry: 1, value: 9, targetSet: "points", targetSize: 9)
    ) {
      try write(cells: [0, 1, 4, 3, 1, 2, 9, 4])
    }
  }
}
