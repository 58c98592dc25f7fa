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
/// Only 3-node triangles (element type 2) are kept; points and lines (types 15, 1, 8, 26–28: the
/// boundary and corner entities gmsh writes beside a 2D mesh) are skipped, and so are nodes that
/// no triangle uses. Any other element type (quadrangles, second-order triangles, 3D elements)
/// is an error that names the type and how many such elements the file has, and so is a mesh
/// without a triangle. Every other section (`$PhysicalNames`, `$Entities`, `$Periodic`, …) is
/// skipped. Binary files (file-type 1) and format 4.0 are rejected.
///
/// The file is read as bytes: lines may end in `\n` or `\r\n`, and bytes that are not UTF-8
/// (a Latin-1 comment) are fine wherever gmsh ignores the text. A NUL byte means the file is not
/// text, and a file that is not a regular file (a pipe, a device) is read only up to a bound
/// (see ``OP2GridReader``).
///
/// ```swift
/// let mesh = try GmshReader.read(contentsOf: "square.msh")
/// let nodes = Set(size: mesh.nodeCount, name: "nodes")
/// ```
///
/// Errors name the 1-based line and quote that line only, trimmed:
/// `square.msh:12: expected 4 numbers (node tag, x, y, z), found "3 0.5"`.
public enum GmshReader {
  /// Reads a `.msh` file.
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when it cannot be read (missing, a
  ///   directory, not text, too large to read from a pipe or device);
  ///   ``OP2Error/malformedMeshFile(path:line:expected:found:)`` for a malformed or truncated
  ///   file, a number that does not fit, a duplicate node tag, a triangle that names an unknown
  ///   node, an unsupported element type or a mesh without triangles.
  public static func read(contentsOf path: String) throws(OP2Error) -> GmshMesh {
    let file = try MeshFileBytes(contentsOf: path)
    return try parse(bytes: file.copyBytes(), path: path)
  }

  /// Parses the text of a `.msh` file; `path` names it in errors.
  /// - Throws: as ``read(contentsOf:)``.
  public static func parse(_ text: String, path: String = "<msh>") throws(OP2Error) -> GmshMesh {
    try parse(bytes: Array(text.utf8), path: path)
  }

  /// Parses the bytes of a `.msh` file.
  static func parse(bytes: [UInt8], path: String) throws(OP2Error) -> GmshMesh {
    if let nul = bytes.firstIndex(of: 0) {
      throw .fileError(path: path, reason: "not a text file: byte \(nul) is NUL (binary .msh files are not supported)")
    }
    var s = Scanner(bytes: bytes, path: path)
    var version = 0
    var nodes: [Int: (x: Double, y: Double, line: Int)] = [:]
    var triangleTags: [Int] = []
    var triangleLines: [Int] = []  // the line of each triangle, for errors
    var unsupported: [Int: (count: Int, line: Int)] = [:]  // element type → how many, first line
    var sawElements = false

    /// Records a node, rejecting a tag seen before.
    func addNode(_ tag: Int, _ x: Double, _ y: Double, line: Int) throws(OP2Error) {
      if let first = nodes[tag] {
        throw OP2Error.malformedMeshFile(
          path: path, line: line, expected: "each node tag once in $Nodes",
          found: "node tag \(tag) again (first on line \(first.line))")
      }
      nodes[tag] = (x, y, line)
    }
    /// Counts an element of a type other than a triangle; points and lines are skipped.
    func other(_ type: Int, line: Int) {
      guard !Self.skippedTypes.contains(type) else { return }
      let seen = unsupported[type]
      unsupported[type] = ((seen?.count ?? 0) + 1, seen?.line ?? line)
    }

    while let header = s.nextNonEmpty() {
      switch header {
      case "$MeshFormat":
        let f = try s.numbers(3, "mesh format (version, file-type, data-size)")
        guard f[0] == 2 || f[0] == 2.1 || f[0] == 2.2 || f[0] == 4.1 else {
          throw s.error("a format version 2, 2.1, 2.2 or 4.1", found: s.word(0))
        }
        guard f[1] == 0 else { throw s.error("file-type 0 (ASCII; binary files are not supported)", found: s.word(1)) }
        version = f[0] < 3 ? 2 : 4
        try s.expect("$EndMeshFormat")
      case "$Nodes":
        guard version != 0 else { throw s.error("$MeshFormat before $Nodes", found: "\"$Nodes\"") }
        if version == 2 {
          let n = try s.count("the number of nodes")
          for _ in 0..<n {
            let v = try s.numbers(4, "node tag, x, y, z")
            try addNode(try s.integer(v[0], "a node tag", column: 0), v[1], v[2], line: s.lineNumber)
          }
        } else {
          let h = try s.numbers(4, "numEntityBlocks, numNodes, minNodeTag, maxNodeTag")
          let blocks = try s.integer(h[0], "a block count", column: 0)
          for _ in 0..<blocks {
            let b = try s.numbers(4, "entityDim, entityTag, parametric, numNodesInBlock")
            let count = try s.integer(b[3], "a node count", column: 3)
            guard b[2] == 0 else { throw s.error("parametric 0", found: s.word(2)) }
            var tags: [(tag: Int, line: Int)] = []
            for _ in 0..<count {
              let v = try s.numbers(1, "node tag")
              tags.append((try s.integer(v[0], "a node tag", column: 0), s.lineNumber))
            }
            for (tag, line) in tags {
              let v = try s.numbers(3, "x, y, z")
              try addNode(tag, v[0], v[1], line: line)
            }
          }
        }
        try s.expect("$EndNodes")
      case "$Elements":
        guard version != 0 else { throw s.error("$MeshFormat before $Elements", found: "\"$Elements\"") }
        sawElements = true
        if version == 2 {
          let n = try s.count("the number of elements")
          for _ in 0..<n {
            let v = try s.numbers(nil, "element tag, type, tag count, tags, nodes")
            guard v.count >= 3 else { throw s.error("element tag, type, tag count, tags, nodes", found: s.quotedLine) }
            let type = try s.integer(v[1], "an element type", column: 1)
            let ntags = try s.integer(v[2], "a tag count", column: 2)
            guard type == 2 else { other(type, line: s.lineNumber); continue }
            guard v.count == 3 + ntags + 3 else {
              throw s.error("\(3 + ntags + 3) numbers for a triangle with \(ntags) tags", found: s.quotedLine)
            }
            for k in 0..<3 { triangleTags.append(try s.integer(v[3 + ntags + k], "a node tag", column: 3 + ntags + k)) }
            triangleLines.append(s.lineNumber)
          }
        } else {
          let h = try s.numbers(4, "numEntityBlocks, numElements, minElementTag, maxElementTag")
          let blocks = try s.integer(h[0], "a block count", column: 0)
          for _ in 0..<blocks {
            let b = try s.numbers(4, "entityDim, entityTag, elementType, numElementsInBlock")
            let type = try s.integer(b[2], "an element type", column: 2)
            let count = try s.integer(b[3], "an element count", column: 3)
            for _ in 0..<count {
              let v = try s.numbers(nil, "element tag and nodes")
              guard type == 2 else { other(type, line: s.lineNumber); continue }
              guard v.count == 4 else { throw s.error("4 numbers (element tag, 3 nodes) for a triangle", found: s.quotedLine) }
              for k in 1...3 { triangleTags.append(try s.integer(v[k], "a node tag", column: k)) }
              triangleLines.append(s.lineNumber)
            }
          }
        }
        try s.expect("$EndElements")
      default:
        guard header.hasPrefix("$") else {
          throw s.error("a section such as $MeshFormat, $Nodes or $Elements", found: s.quotedLine)
        }
        let end = "$End" + header.dropFirst()
        while let line = s.next(), line != end {}
        if s.atEnd, s.current != end { throw s.error(end, found: "end of file") }
      }
    }
    guard version != 0 else { throw s.error("$MeshFormat", found: "end of file") }
    if let (type, seen) = unsupported.min(by: { $0.value.line < $1.value.line }) {
      let name = Self.typeNames[type].map { " (\($0))" } ?? ""
      let others = unsupported.count > 1 ? ", and \(unsupported.count - 1) other unsupported type\(unsupported.count > 2 ? "s" : "")" : ""
      throw OP2Error.malformedMeshFile(
        path: path, line: seen.line,
        expected: "3-node triangles (element type 2); points and lines are skipped",
        found: "\(seen.count) element\(seen.count == 1 ? "" : "s") of type \(type)\(name)\(others)")
    }
    guard !triangleTags.isEmpty else {
      throw OP2Error.malformedMeshFile(
        path: path, line: s.lineCount, expected: "at least one 3-node triangle (element type 2)",
        found: sawElements ? "none in $Elements" : "no $Elements section")
    }
    // Keep the nodes that triangles use, in tag order, numbered from 0.
    var used = Swift.Set<Int>()
    for (k, t) in triangleTags.enumerated() {
      guard nodes[t] != nil else {
        throw OP2Error.malformedMeshFile(path: path, line: triangleLines[k / 3], expected: "a node tag defined in $Nodes", found: "node tag \(t)")
      }
      used.insert(t)
    }
    let kept = used.sorted()
    var index: [Int: Int32] = [:]
    var coordinates: [Double] = []
    coordinates.reserveCapacity(2 * kept.count)
    for (i, tag) in kept.enumerated() {
      index[tag] = Int32(i)
      coordinates += [nodes[tag]!.x, nodes[tag]!.y]
    }
    return GmshMesh(coordinates: coordinates, triangles: triangleTags.map { index[$0]! }, nodeTags: kept)
  }

  /// Element types skipped without a word: points (15) and lines (1, 8, 26, 27, 28), which gmsh
  /// writes for the corners and edges of a 2D domain.
  static let skippedTypes: [Int] = [1, 8, 15, 26, 27, 28]

  /// Names of common gmsh element types, for messages (gmsh reference manual, "MSH file format").
  static let typeNames: [Int: String] = [
    3: "4-node quadrangle", 4: "4-node tetrahedron", 5: "8-node hexahedron", 6: "6-node prism",
    7: "5-node pyramid", 9: "6-node second-order triangle", 10: "9-node second-order quadrangle",
    11: "10-node second-order tetrahedron", 16: "8-node second-order quadrangle",
    20: "9-node incomplete third-order triangle", 21: "10-node third-order triangle",
  ]

  /// The largest integer the reader accepts (node tags, counts, element types): 32-bit indices.
  static let largestInteger = Int(Int32.max)

  /// A cursor over the file's lines that reports 1-based line numbers.
  private struct Scanner {
    let bytes: [UInt8]
    let path: String
    /// Byte ranges of the lines, without their line ends (`\n` or `\r\n`).
    let lines: [Range<Int>]
    var position = 0  // lines consumed
    /// The current line, trimmed, decoded (bytes that are not UTF-8 become U+FFFD).
    var current: String = ""
    /// Its words.
    var words: [Substring] = []

    init(bytes: [UInt8], path: String) {
      self.bytes = bytes
      self.path = path
      var lines: [Range<Int>] = []
      var start = 0
      for (i, byte) in bytes.enumerated() where byte == 10 {
        lines.append(start..<(i > start && bytes[i - 1] == 13 ? i - 1 : i))
        start = i + 1
      }
      if start < bytes.count { lines.append(start..<bytes.count) }  // a last line without newline
      self.lines = lines
    }

    var atEnd: Bool { position >= lines.count }
    var lineNumber: Int { max(position, 1) }
    var lineCount: Int { max(lines.count, 1) }

    /// The current line, quoted and shortened for a message.
    var quotedLine: String { current.isEmpty ? "an empty line" : MeshTextScanner.quoted(current) }

    /// Word `k` of the current line, quoted.
    func word(_ k: Int) -> String { "\"\(words[k])\"" }

    mutating func next() -> String? {
      guard position < lines.count else { return nil }
      let text = String(decoding: bytes[lines[position]], as: UTF8.self)
      current = MeshTextScanner.trimmed(text)
      words = current.split(whereSeparator: { $0 == " " || $0 == "\t" })
      position += 1
      return current
    }

    mutating func nextNonEmpty() -> String? {
      while let line = next() { if !line.isEmpty { return line } }
      return nil
    }

    func error(_ expected: String, found: String) -> OP2Error {
      .malformedMeshFile(path: path, line: lineNumber, expected: expected, found: found)
    }

    mutating func expect(_ marker: String) throws(OP2Error) {
      guard let line = nextNonEmpty() else { throw OP2Error.malformedMeshFile(path: path, line: lineCount, expected: marker, found: "end of file") }
      guard line == marker else { throw error(marker, found: quotedLine) }
    }

    /// The next line's numbers: exactly `count` of them when given.
    mutating func numbers(_ count: Int?, _ what: String) throws(OP2Error) -> [Double] {
      let expected = count.map { "\($0) number\($0 == 1 ? "" : "s") (\(what))" } ?? "numbers (\(what))"
      guard next() != nil else { throw OP2Error.malformedMeshFile(path: path, line: lines.count + 1, expected: expected, found: "end of file") }
      var values: [Double] = []
      for word in words {
        guard let v = Double(word), v.isFinite else { throw error(expected, found: quotedLine) }
        values.append(v)
      }
      guard values.count == count ?? values.count, !values.isEmpty else {
        throw error(expected, found: quotedLine)
      }
      return values
    }

    mutating func count(_ what: String) throws(OP2Error) -> Int {
      let v = try numbers(1, what)
      return try integer(v[0], "a non-negative count (\(what))", column: 0)
    }

    /// Number `column` of the current line (`v`) as a non-negative integer of at most
    /// ``GmshReader/largestInteger``: a fraction, a negative number or one too large to be an
    /// index is an error that quotes the word.
    func integer(_ v: Double, _ what: String, column: Int) throws(OP2Error) -> Int {
      guard v >= 0, v == v.rounded() else { throw error("\(what): a whole number from 0", found: word(column)) }
      guard v <= Double(GmshReader.largestInteger) else {
        throw error("\(what) of at most \(GmshReader.largestInteger)", found: "\(word(column)), which is too large")
      }
      return Int(v)
    }
  }
}
