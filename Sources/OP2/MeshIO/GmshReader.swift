import Foundation

/// A triangle mesh read from a gmsh `.msh` file: node coordinates and triangles, 0-based.
public struct GmshMesh: Equatable, Sendable {
  /// `x, y` per node (gmsh's `z` is dropped), for the nodes that some triangle uses, in the
  /// order of their gmsh tags.
  public var coordinates: [Double]
  /// Three node indices per triangle (0-based, into ``coordinates``), in the file's order and
  /// with the file's orientation.
  public var triangles: [Int32]
  /// The gmsh tag of each node.
  public var nodeTags: [Int]
  /// Nodes.
  public var nodeCount: Int { coordinates.count / 2 }
  /// Triangles.
  public var triangleCount: Int { triangles.count / 3 }
}

/// Reads the triangles of gmsh meshes (`.msh`), ASCII format versions 2 (2.0–2.2) and 4.1.
///
/// Only 3-node triangles (element type 2) are kept; points, lines and other elements are skipped,
/// and so are nodes that no triangle uses. Every other section (`$PhysicalNames`, `$Entities`,
/// `$Periodic`, …) is skipped. Binary files (file-type 1) and format 4.0 are rejected.
///
/// ```swift
/// let mesh = try GmshReader.read(contentsOf: "square.msh")
/// let nodes = Set(size: mesh.nodeCount, name: "nodes")
/// ```
///
/// Errors name the 1-based line: `square.msh:12: expected 4 numbers (node tag, x, y, z), found "3 0.5"`.
public enum GmshReader {
  /// Reads a `.msh` file.
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when it cannot be read;
  ///   ``OP2Error/malformedMeshFile(path:line:expected:found:)`` for a malformed or truncated file
  ///   or a triangle that names an unknown node.
  public static func read(contentsOf path: String) throws(OP2Error) -> GmshMesh {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw .fileError(path: path, reason: "cannot be read (\(error.localizedDescription))")
    }
    return try parse(text, path: path)
  }

  /// Parses the text of a `.msh` file; `path` names it in errors.
  /// - Throws: as ``read(contentsOf:)``.
  public static func parse(_ text: String, path: String = "<msh>") throws(OP2Error) -> GmshMesh {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }  // the final newline ends the last line
    var s = Scanner(lines: lines, path: path)
    var version = 0
    var nodes: [Int: (Double, Double)] = [:]
    var nodeOrder: [Int] = []
    var triangleTags: [Int] = []
    var triangleLines: [Int] = []  // the line of each triangle, for errors
    while let header = s.nextNonEmpty() {
      switch header {
      case "$MeshFormat":
        let f = try s.numbers(3, "mesh format (version, file-type, data-size)")
        guard f[0] == 2 || f[0] == 2.1 || f[0] == 2.2 || f[0] == 4.1 else {
          throw s.error("a format version 2, 2.1, 2.2 or 4.1", found: String(f[0]))
        }
        guard f[1] == 0 else { throw s.error("file-type 0 (ASCII; binary files are not supported)", found: String(Int(f[1]))) }
        version = f[0] < 3 ? 2 : 4
        try s.expect("$EndMeshFormat")
      case "$Nodes":
        guard version != 0 else { throw s.error("$MeshFormat before $Nodes", found: "$Nodes") }
        if version == 2 {
          let n = try s.count("the number of nodes")
          for _ in 0..<n {
            let v = try s.numbers(4, "node tag, x, y, z")
            let tag = try s.tag(v[0], "a node tag")
            nodes[tag] = (v[1], v[2]); nodeOrder.append(tag)
          }
        } else {
          let h = try s.numbers(4, "numEntityBlocks, numNodes, minNodeTag, maxNodeTag")
          for _ in 0..<(try s.tag(h[0], "a block count")) {
            let b = try s.numbers(4, "entityDim, entityTag, parametric, numNodesInBlock")
            let count = try s.tag(b[3], "a node count")
            guard b[2] == 0 else { throw s.error("parametric 0", found: String(Int(b[2]))) }
            var tags: [Int] = []
            for _ in 0..<count { tags.append(try s.tag(try s.numbers(1, "node tag")[0], "a node tag")) }
            for tag in tags {
              let v = try s.numbers(3, "x, y, z")
              nodes[tag] = (v[0], v[1]); nodeOrder.append(tag)
            }
          }
        }
        try s.expect("$EndNodes")
      case "$Elements":
        guard version != 0 else { throw s.error("$MeshFormat before $Elements", found: "$Elements") }
        if version == 2 {
          let n = try s.count("the number of elements")
          for _ in 0..<n {
            let v = try s.numbers(nil, "element tag, type, tag count, tags, nodes")
            guard v.count >= 3 else { throw s.error("element tag, type, tag count, tags, nodes", found: s.current) }
            let type = Int(v[1]), ntags = Int(v[2])
            guard type == 2 else { continue }
            guard v.count == 3 + ntags + 3 else { throw s.error("\(3 + ntags + 3) numbers for a triangle with \(ntags) tags", found: s.current) }
            for k in 0..<3 { triangleTags.append(try s.tag(v[3 + ntags + k], "a node tag")) }
            triangleLines.append(s.lineNumber)
          }
        } else {
          let h = try s.numbers(4, "numEntityBlocks, numElements, minElementTag, maxElementTag")
          for _ in 0..<(try s.tag(h[0], "a block count")) {
            let b = try s.numbers(4, "entityDim, entityTag, elementType, numElementsInBlock")
            let type = Int(b[2]), count = try s.tag(b[3], "an element count")
            for _ in 0..<count {
              let v = try s.numbers(nil, "element tag and nodes")
              guard type == 2 else { continue }
              guard v.count == 4 else { throw s.error("4 numbers (element tag, 3 nodes) for a triangle", found: s.current) }
              for k in 1...3 { triangleTags.append(try s.tag(v[k], "a node tag")) }
              triangleLines.append(s.lineNumber)
            }
          }
        }
        try s.expect("$EndElements")
      default:
        guard header.hasPrefix("$") else { throw s.error("a section such as $MeshFormat, $Nodes or $Elements", found: header) }
        let end = "$End" + header.dropFirst()
        while let line = s.next(), line != end {}
        if s.atEnd, s.current != end { throw s.error(end, found: "end of file") }
      }
    }
    guard version != 0 else { throw s.error("$MeshFormat", found: "end of file") }
    // Keep the nodes that triangles use, in tag order, numbered from 0.
    var used = Swift.Set<Int>()
    for (k, t) in triangleTags.enumerated() {
      guard nodes[t] != nil else {
        throw OP2Error.malformedMeshFile(path: path, line: triangleLines[k / 3], expected: "a node tag defined in $Nodes", found: "node tag \(t)")
      }
      used.insert(t)
    }
    let kept = nodeOrder.filter { used.contains($0) }.sorted()
    var index: [Int: Int32] = [:]
    var coordinates: [Double] = []
    coordinates.reserveCapacity(2 * kept.count)
    for (i, tag) in kept.enumerated() {
      index[tag] = Int32(i)
      coordinates += [nodes[tag]!.0, nodes[tag]!.1]
    }
    return GmshMesh(coordinates: coordinates, triangles: triangleTags.map { index[$0]! }, nodeTags: kept)
  }

  /// A cursor over the file's lines that reports 1-based line numbers.
  private struct Scanner {
    let lines: [Substring]
    let path: String
    var position = 0  // lines consumed
    var current: String = ""

    init(lines: [Substring], path: String) {
      self.lines = lines
      self.path = path
    }

    var atEnd: Bool { position >= lines.count }
    var lineNumber: Int { max(position, 1) }

    mutating func next() -> String? {
      guard position < lines.count else { return nil }
      current = lines[position].trimmingCharacters(in: .whitespacesAndNewlines)
      position += 1
      return current
    }

    mutating func nextNonEmpty() -> String? {
      while let line = next() { if !line.isEmpty { return line } }
      return nil
    }

    func error(_ expected: String, found: String) -> OP2Error {
      .malformedMeshFile(path: path, line: lineNumber, expected: expected, found: found.isEmpty ? "an empty line" : "\"\(found)\"")
    }

    mutating func expect(_ marker: String) throws(OP2Error) {
      guard let line = nextNonEmpty() else { throw OP2Error.malformedMeshFile(path: path, line: lines.count, expected: marker, found: "end of file") }
      guard line == marker else { throw error(marker, found: line) }
    }

    /// The next line's numbers: exactly `count` of them when given.
    mutating func numbers(_ count: Int?, _ what: String) throws(OP2Error) -> [Double] {
      let expected = count.map { "\($0) number\($0 == 1 ? "" : "s") (\(what))" } ?? "numbers (\(what))"
      guard let line = next() else { throw OP2Error.malformedMeshFile(path: path, line: lines.count + 1, expected: expected, found: "end of file") }
      var values: [Double] = []
      for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
        guard let v = Double(word), v.isFinite else { throw error(expected, found: line) }
        values.append(v)
      }
      guard values.count == count ?? values.count, !values.isEmpty else { throw error(expected, found: line) }
      return values
    }

    mutating func count(_ what: String) throws(OP2Error) -> Int {
      try tag(try numbers(1, what)[0], "a non-negative count")
    }

    /// A non-negative integer read as a Double.
    func tag(_ v: Double, _ what: String) throws(OP2Error) -> Int {
      guard v >= 0, v == v.rounded(), v < Double(Int32.max) else { throw error(what, found: current) }
      return Int(v)
    }
  }
}
