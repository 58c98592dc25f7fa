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
}
