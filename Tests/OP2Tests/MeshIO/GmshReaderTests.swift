import Foundation
import Testing
@testable import OP2

@Suite("GmshReader")
struct GmshReaderTests {
  /// The unit square as two triangles plus boundary lines and a corner point, format 2.2.
  static let version2 = """
    $MeshFormat
    2.2 0 8
    $EndMeshFormat
    $PhysicalNames
    1
    2 1 "domain"
    $EndPhysicalNames
    $Nodes
    5
    1 0 0 0
    2 1 0 0
    3 1 1 0
    4 0 1 0
    9 0.5 0.5 0
    $EndNodes
    $Elements
    4
    1 15 2 0 1 1
    2 1 2 0 1 1 2
    3 2 2 1 1 1 2 3
    4 2 2 1 1 1 3 4
    $EndElements
    """

  /// The same mesh in format 4.1, with an $Entities section and node tags out of order.
  static let version4 = """
    $MeshFormat
    4.1 0 8
    $EndMeshFormat
    $Entities
    1 0 0 1
    1 0 0 0 0
    1 0 0 0 1 1 0 0
    $EndEntities
    $Nodes
    2 5 1 9
    0 1 0 1
    1
    0 0 0
    2 1 0 4
    3
    2
    4
    9
    1 1 0
    1 0 0
    0 1 0
    0.5 0.5 0
    $EndNodes
    $Elements
    2 3 1 3
    1 1 1 1
    1 1 2
    2 1 2 2
    2 1 2 3
    3 1 3 4
    $EndElements
    """

  @Test("format 2.2: triangles kept, points and lines skipped, unused nodes dropped")
  func version2Mesh() throws {
    let mesh = try GmshReader.parse(Self.version2, path: "square.msh")
    #expect(mesh.coordinates == [0, 0, 1, 0, 1, 1, 0, 1])
    #expect(mesh.triangles == [0, 1, 2, 0, 2, 3])
    #expect(mesh.nodeTags == [1, 2, 3, 4])
  }

  @Test("format 4.1 gives the same mesh")
  func version4Mesh() throws {
    let mesh = try GmshReader.parse(Self.version4, path: "square.msh")
    #expect(mesh == (try GmshReader.parse(Self.version2)))
  }

  @Test("reading a file from disk")
  func fromFile() throws {
    let path = temporaryDirectory("gmsh") + "/square.msh"
    try Self.version4.write(toFile: path, atomically: true, encoding: .utf8)
    #expect(try GmshReader.read(contentsOf: path).triangleCount == 2)
    #expect(throws: OP2Error.self) { try GmshReader.read(contentsOf: path + ".missing") }
  }

  private func expectMalformed(_ text: String, line: Int, expected: String, found: String, message: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    do {
      _ = try GmshReader.parse(text, path: "bad.msh")
      Issue.record("expected malformedMeshFile", sourceLocation: sourceLocation)
    } catch {
      #expect(error == .malformedMeshFile(path: "bad.msh", line: line, expected: expected, found: found), sourceLocation: sourceLocation)
      #expect(error.description == message, sourceLocation: sourceLocation)
    }
  }

  @Test("malformed files name the line, what was expected and what was found")
  func malformed() {
    expectMalformed(Self.version2.replacingOccurrences(of: "2.2 0 8", with: "3.0 0 8"), line: 2,
                    expected: "a format version 2, 2.1, 2.2 or 4.1", found: "\"3.0\"",
                    message: "bad.msh:2: expected a format version 2, 2.1, 2.2 or 4.1, found \"3.0\"")
    expectMalformed(Self.version2.replacingOccurrences(of: "2.2 0 8", with: "2.2 1 8"), line: 2,
                    expected: "file-type 0 (ASCII; binary files are not supported)", found: "\"1\"",
                    message: "bad.msh:2: expected file-type 0 (ASCII; binary files are not supported), found \"1\"")
    expectMalformed(Self.version2.replacingOccurrences(of: "3 1 1 0\n", with: "3 1 x 0\n"), line: 12,
                    expected: "4 numbers (node tag, x, y, z)", found: "\"3 1 x 0\"",
                    message: "bad.msh:12: expected 4 numbers (node tag, x, y, z), found \"3 1 x 0\"")
    expectMalformed(Self.version2.replacingOccurrences(of: "4 2 2 1 1 1 3 4", with: "4 2 2 1 1 1 3 7"), line: 21,
                    expected: "a node tag defined in $Nodes", found: "node tag 7",
                    message: "bad.msh:21: expected a node tag defined in $Nodes, found node tag 7")
    expectMalformed(Self.version2.replacingOccurrences(of: "4 2 2 1 1 1 3 4", with: "4 2 2 1 1 1 3"), line: 21,
                    expected: "8 numbers for a triangle with 2 tags", found: "\"4 2 2 1 1 1 3\"",
                    message: "bad.msh:21: expected 8 numbers for a triangle with 2 tags, found \"4 2 2 1 1 1 3\"")
    expectMalformed("$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n5\n1 0 0 0\n", line: 7,
                    expected: "4 numbers (node tag, x, y, z)", found: "end of file",
                    message: "bad.msh:7: expected 4 numbers (node tag, x, y, z), found end of file")
    expectMalformed(Self.version4.replacingOccurrences(of: "2 1 2 3\n", with: "2 1 2\n"), line: 29,
                    expected: "4 numbers (element tag, 3 nodes) for a triangle", found: "\"2 1 2\"",
                    message: "bad.msh:29: expected 4 numbers (element tag, 3 nodes) for a triangle, found \"2 1 2\"")
    expectMalformed("$Nodes\n", line: 1, expected: "$MeshFormat before $Nodes", found: "\"$Nodes\"",
                    message: "bad.msh:1: expected $MeshFormat before $Nodes, found \"$Nodes\"")
    expectMalformed("hello\n", line: 1, expected: "a section such as $MeshFormat, $Nodes or $Elements", found: "\"hello\"",
                    message: "bad.msh:1: expected a section such as $MeshFormat, $Nodes or $Elements, found \"hello\"")
  }

  @Test("numbers too large for an integer are typed errors, not a trap", arguments: [
    ("2.2 0 8", "2.2 1e30 8", 2, "file-type 0 (ASCII; binary files are not supported)", "\"1e30\""),
    ("3 2 2 1 1 1 2 3", "3 1e30 2 1 1 1 2 3", 20, "an element type of at most 2147483647", "\"1e30\", which is too large"),
    ("3 2 2 1 1 1 2 3", "3 2 1e30 1 1 1 2 3", 20, "a tag count of at most 2147483647", "\"1e30\", which is too large"),
    ("3 2 2 1 1 1 2 3", "3 2 2 1 1 1 2 3e12", 20, "a node tag of at most 2147483647", "\"3e12\", which is too large"),
    ("$Nodes\n5\n", "$Nodes\n1e30\n", 9, "a non-negative count (the number of nodes) of at most 2147483647", "\"1e30\", which is too large"),
  ])
  func hugeNumbers(original: String, replacement: String, line: Int, expected: String, found: String) {
    expectMalformed(Self.version2.replacingOccurrences(of: original, with: replacement), line: line, expected: expected, found: found,
                    message: "bad.msh:\(line): expected \(expected), found \(found)")
  }

  @Test("CRLF line ends are read like LF, and an error quotes only its line, trimmed")
  func crlf() throws {
    let crlf = Self.version2.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    #expect(try GmshReader.parse(crlf, path: "square.msh") == (try GmshReader.parse(Self.version2)))
    #expect(try GmshReader.parse(Self.version4.replacingOccurrences(of: "\n", with: "\r\n")) == (try GmshReader.parse(Self.version2)))
    expectMalformed(crlf.replacingOccurrences(of: "3 1 1 0", with: "  3 1 x 0\t"), line: 12,
                    expected: "4 numbers (node tag, x, y, z)", found: "\"3 1 x 0\"",
                    message: "bad.msh:12: expected 4 numbers (node tag, x, y, z), found \"3 1 x 0\"")
  }

  @Test("a bad count or v4.1 node tag is reported on its own line, quoting that line")
  func countLines() {
    expectMalformed(Self.version2.replacingOccurrences(of: "$Nodes\n5\n", with: "$Nodes\n-5\n"), line: 9,
                    expected: "a non-negative count (the number of nodes): a whole number from 0", found: "\"-5\"",
                    message: "bad.msh:9: expected a non-negative count (the number of nodes): a whole number from 0, found \"-5\"")
    expectMalformed(Self.version2.replacingOccurrences(of: "$Elements\n4\n", with: "$Elements\n4.5\n"), line: 17,
                    expected: "a non-negative count (the number of elements): a whole number from 0", found: "\"4.5\"",
                    message: "bad.msh:17: expected a non-negative count (the number of elements): a whole number from 0, found \"4.5\"")
    // The second block's node tags are on lines 16–18; "-4" is on line 17.
    expectMalformed(Self.version4.replacingOccurrences(of: "3\n2\n4\n9\n", with: "3\n2\n-4\n9\n"), line: 17,
                    expected: "a node tag: a whole number from 0", found: "\"-4\"",
                    message: "bad.msh:17: expected a node tag: a whole number from 0, found \"-4\"")
  }

  @Test("a mesh without triangles is an error, and each unsupported element type is reported once with its count")
  func noUsableElements() {
    let quads = Self.version2.replacingOccurrences(of: "3 2 2 1 1 1 2 3\n4 2 2 1 1 1 3 4", with: "3 3 2 1 1 1 2 3 4\n4 3 2 1 1 1 2 3 4")
    expectMalformed(quads, line: 20, expected: "3-node triangles (element type 2); points and lines are skipped",
                    found: "2 elements of type 3 (4-node quadrangle)",
                    message: "bad.msh:20: expected 3-node triangles (element type 2); points and lines are skipped, found 2 elements of type 3 (4-node quadrangle)")
    // Triangles beside a quadrangle: the quadrangle is not silently dropped.
    let mixed = Self.version2.replacingOccurrences(of: "$Elements\n4\n", with: "$Elements\n5\n")
      .replacingOccurrences(of: "$EndElements", with: "5 3 2 1 1 1 2 3 4\n$EndElements")
    expectMalformed(mixed, line: 22, expected: "3-node triangles (element type 2); points and lines are skipped",
                    found: "1 element of type 3 (4-node quadrangle)",
                    message: "bad.msh:22: expected 3-node triangles (element type 2); points and lines are skipped, found 1 element of type 3 (4-node quadrangle)")
    let noElements = String(Self.version2[..<Self.version2.range(of: "$Elements")!.lowerBound])
    expectMalformed(noElements, line: 15, expected: "at least one 3-node triangle (element type 2)", found: "no $Elements section",
                    message: "bad.msh:15: expected at least one 3-node triangle (element type 2), found no $Elements section")
    let linesOnly = Self.version2.replacingOccurrences(of: "$Elements\n4\n", with: "$Elements\n2\n")
      .replacingOccurrences(of: "3 2 2 1 1 1 2 3\n4 2 2 1 1 1 3 4\n", with: "")
    expectMalformed(linesOnly, line: 20, expected: "at least one 3-node triangle (element type 2)", found: "none in $Elements",
                    message: "bad.msh:20: expected at least one 3-node triangle (element type 2), found none in $Elements")
  }

  @Test("a duplicate node tag names the tag and both lines")
  func duplicateNode() {
    expectMalformed(Self.version2.replacingOccurrences(of: "9 0.5 0.5 0", with: "2 0.5 0.5 0"), line: 14,
                    expected: "each node tag once in $Nodes", found: "node tag 2 again (first on line 11)",
                    message: "bad.msh:14: expected each node tag once in $Nodes, found node tag 2 again (first on line 11)")
    // In 4.1 the lines are those of the tags.
    expectMalformed(Self.version4.replacingOccurrences(of: "3\n2\n4\n9\n", with: "3\n2\n4\n1\n"), line: 18,
                    expected: "each node tag once in $Nodes", found: "node tag 1 again (first on line 12)",
                    message: "bad.msh:18: expected each node tag once in $Nodes, found node tag 1 again (first on line 12)")
  }

  @Test("a Latin-1 byte in a comment is fine; a directory and /dev/zero say what is wrong")
  func bytesNotStrings() throws {
    let dir = temporaryDirectory("gmsh-bytes")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var bytes = Array(Self.version2.utf8)
    bytes.insert(contentsOf: Array("$Comments\nmaill\u{0}e\n$EndComments\n".utf8), at: 0)
    bytes[bytes.firstIndex(of: 0)!] = 0xE9  // "maillée" in Latin-1: not UTF-8
    let path = dir + "/latin1.msh"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    #expect(try GmshReader.read(contentsOf: path) == (try GmshReader.parse(Self.version2)))
    expectError(.fileError(path: dir, reason: "is a directory, not a mesh file"),
                message: "\(dir): is a directory, not a mesh file") { () throws(OP2Error) in
      _ = try GmshReader.read(contentsOf: dir)
    }
    expectError(.fileError(path: "/dev/zero", reason: "not a text file: byte 0 is NUL"),
                message: "/dev/zero: not a text file: byte 0 is NUL") { () throws(OP2Error) in
      _ = try GmshReader.read(contentsOf: "/dev/zero")
    }
  }
}
