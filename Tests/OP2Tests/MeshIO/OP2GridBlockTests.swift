import Foundation
import Testing
@testable import OP2

/// A structured `nx × ny` quadrilateral grid with valid indices (not OP2's orientation
/// conventions, which the reader does not check) and seeded coordinates that need all 17 digits.
///
/// It has `(nx + 1)(ny + 1)` nodes, `nx ny` cells, `(nx - 1) ny + nx (ny - 1)` interior edges and
/// `2 (nx + ny)` boundary edges.
private func structuredGrid(nx: Int, ny: Int, seed: UInt64 = 1) -> OP2Grid {
  var state = seed
  func random() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53) - 0.5
  }
  let node = { (i: Int, j: Int) in Int32(i + (nx + 1) * j) }
  let cell = { (i: Int, j: Int) in Int32(i + nx * j) }
  var x: [Double] = []
  for j in 0...ny { for i in 0...nx { x += [Double(i) + random() / 3, Double(j) * 1e-3 + random() * 1e5] } }
  var cellNodes: [Int32] = []
  for j in 0..<ny { for i in 0..<nx { cellNodes += [node(i, j), node(i + 1, j), node(i + 1, j + 1), node(i, j + 1)] } }
  var edgeNodes: [Int32] = [], edgeCells: [Int32] = []
  for j in 0..<ny { for i in 1..<nx { edgeNodes += [node(i, j + 1), node(i, j)]; edgeCells += [cell(i - 1, j), cell(i, j)] } }
  for j in 1..<ny { for i in 0..<nx { edgeNodes += [node(i, j), node(i + 1, j)]; edgeCells += [cell(i, j - 1), cell(i, j)] } }
  var bedgeNodes: [Int32] = [], bedgeCells: [Int32] = [], bound: [Int32] = []
  for i in 0..<nx {
    bedgeNodes += [node(i + 1, 0), node(i, 0), node(i, ny), node(i + 1, ny)]
    bedgeCells += [cell(i, 0), cell(i, ny - 1)]
    bound += [1, 2]
  }
  for j in 0..<ny {
    bedgeNodes += [node(0, j), node(0, j + 1), node(nx, j + 1), node(nx, j)]
    bedgeCells += [cell(0, j), cell(nx - 1, j)]
    bound += [2, -7]
  }
  return OP2Grid(
    nodeCount: (nx + 1) * (ny + 1), cellCount: nx * ny, edgeCount: (nx - 1) * ny + nx * (ny - 1),
    bedgeCount: 2 * (nx + ny), x: x, cellNodes: cellNodes, edgeNodes: edgeNodes, edgeCells: edgeCells,
    bedgeNodes: bedgeNodes, bedgeCells: bedgeCells, bound: bound)
}

/// Every rank's block of `path`, in rank order.
private func allBlocks(_ path: String, rankCount: Int) throws -> [OP2GridBlock] {
  try (0..<rankCount).map { try OP2GridReader.readBlock(contentsOf: path, rank: $0, rankCount: rankCount) }
}

/// The blocks put back together, in rank order: the grid they were read from.
private func reassembled(_ blocks: [OP2GridBlock]) -> OP2Grid {
  let b = blocks[0]
  return OP2Grid(
    nodeCount: b.nodeCount, cellCount: b.cellCount, edgeCount: b.edgeCount, bedgeCount: b.bedgeCount,
    x: blocks.flatMap(\.x), cellNodes: blocks.flatMap(\.cellNodes), edgeNodes: blocks.flatMap(\.edgeNodes),
    edgeCells: blocks.flatMap(\.edgeCells), bedgeNodes: blocks.flatMap(\.bedgeNodes),
    bedgeCells: blocks.flatMap(\.bedgeCells), bound: blocks.flatMap(\.bound))
}

/// The ranges of consecutive blocks tile `0..<count` in rank order.
private func tiles(_ ranges: [Range<Int>], _ count: Int) -> Bool {
  ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count
    && zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }
}

/// What `body` throws (nil when it returns); anything but an ``OP2Error`` is an issue.
private func thrown(_ body: () throws -> Void) -> OP2Error? {
  do {
    try body()
  } catch let error as OP2Error {
    return error
  } catch {
    Issue.record("not an OP2Error: \(error)")
  }
  return nil
}

@Suite("OP2GridReader blocks")
struct OP2GridReaderBlockTests {
  /// 7 × 5 cells: 48 nodes, 35 cells, 58 edges, 24 boundary edges; 40 and 60 ranks leave some
  /// blocks of every section but the nodes (40) or of every section (60) empty.
  @Test("the blocks of ranks 0..<P reassemble the whole-file reader's grid, bit for bit",
        arguments: [1, 2, 3, 7, 40, 60])
  func reassemble(rankCount: Int) throws {
    let path = meshScratchDirectory() + "/grid.dat"
    let grid = structuredGrid(nx: 7, ny: 5)
    try OP2GridWriter.write(grid, to: path)
    let whole = try OP2GridReader.read(contentsOf: path)
    #expect(whole == grid)
    let blocks = try allBlocks(path, rankCount: rankCount)
    let back = reassembled(blocks)
    #expect(back == whole)
    #expect(back.x.map(\.bitPattern) == whole.x.map(\.bitPattern))
    #expect(tiles(blocks.map(\.nodeRange), 48) && tiles(blocks.map(\.cellRange), 35))
    #expect(tiles(blocks.map(\.edgeRange), 58) && tiles(blocks.map(\.bedgeRange), 24))
    for (r, block) in blocks.enumerated() {
      #expect(block == (try OP2GridBlock(slicing: whole, rank: r, rankCount: rankCount)), "rank \(r) of \(rankCount)")
      #expect(block.rank == r && block.rankCount == rankCount)
      #expect(block.nodeRange.count == 48 * (r + 1) / rankCount - 48 * r / rankCount)
      #expect(block.x.count == 2 * block.nodeRange.count && block.bound.count == block.bedgeRange.count)
      #expect((block.grid != nil) == (rankCount == 1))
    }
    if rankCount >= 40 { #expect(blocks.contains { $0.cellRange.isEmpty && $0.bedgeRange.isEmpty && $0.cellNodes.isEmpty }) }
  }

  @Test("blocks agree with Set(globalSize:)'s even split, including empty blocks")
  func evenSplit() {
    for (count, ranks) in [(0, 1), (0, 3), (1, 3), (5, 7), (35, 3), (720_000, 7), (Int(Int32.max), 1 << 20)] {
      var next = 0
      for rank in 0..<min(ranks, 50) {
        let block = Set.evenBlock(globalSize: count, rank: rank, rankCount: ranks)
        #expect(block.lowerBound == next && block.lowerBound == count * rank / ranks)
        #expect(block.count == count / ranks || block.count == count / ranks + 1)
        next = block.upperBound
      }
    }
  }

  @Test("a whole-file read is the one-rank block, and the collective read without MPI is too")
  func oneRank() throws {
    let path = meshScratchDirectory() + "/grid.dat"
    try OP2GridWriter.write(handMadeGrid(), to: path)
    let block = try OP2GridReader.readBlock(contentsOf: path, rank: 0, rankCount: 1)
    #expect(block.grid == handMadeGrid())
    #expect(block.isWholeGrid && block.nodeRange == 0..<9 && block.bedgeRange == 0..<8)
    #expect(try OP2GridReader.readBlock(contentsOf: path) == block)
  }

  @Test("OP2's spacing is accepted in blocks: blank lines, CRLF, no final newline, a file filling whole pages",
        arguments: [1, 2, 3, 5, 9])
  func toleratesWhitespace(rankCount: Int) throws {
    let lines = try handMadeLines()
    let spaced = lines.enumerated().map { k, line in k % 4 == 3 ? "\n \t\n  \(line) \t\r" : " \(line) \r" }
      .joined(separator: "\n")  // and no newline at the end
    // Spaces before the last number (the flag 2 of " 0 3 0 2 \r") make the file exactly 2 pages:
    // the byte after the number is past the file, where the reader must still find a NUL.
    var text = String(spaced.dropLast(3))
    text += String(repeating: " ", count: 8191 - text.utf8.count) + "2"
    #expect(text.utf8.count == 8192 && text.hasSuffix("    2"))
    let path = try file(containing: text)
    #expect(try OP2GridReader.read(contentsOf: path) == handMadeGrid())
    #expect(reassembled(try allBlocks(path, rankCount: rankCount)) == handMadeGrid())
  }

  @Test("a rank outside 0..<rankCount is rejected")
  func invalidRank() throws {
    let path = meshScratchDirectory() + "/grid.dat"
    try OP2GridWriter.write(handMadeGrid(), to: path)
    #expect(throws: OP2Error.invalidRank(operation: "OP2GridReader.readBlock", rank: 3, rankCount: 3)) {
      try OP2GridReader.readBlock(contentsOf: path, rank: 3, rankCount: 3)
    }
    #expect(throws: OP2Error.invalidRank(operation: "OP2GridReader.readBlock", rank: 0, rankCount: 0)) {
      try OP2GridReader.readBlock(contentsOf: path, rank: 0, rankCount: 0)
    }
    #expect(throws: OP2Error.invalidRank(operation: "OP2GridBlock(slicing:)", rank: -1, rankCount: 2)) {
      try OP2GridBlock(slicing: handMadeGrid(), rank: -1, rankCount: 2)
    }
  }

  @Test("a missing file is the same file error on every rank")
  func missingFile() {
    let path = meshScratchDirectory() + "/absent.dat"
    #expect(throws: OP2Error.fileError(path: path, reason: "No such file or directory")) {
      try OP2GridReader.readBlock(contentsOf: path, rank: 1, rankCount: 2)
    }
  }

  /// The record a content error is about, from its `expected` text (`… of cell 1`, `… for
  /// boundary edge 0`), as a section and index; nil for the header and for errors about the
  /// file's structure (it ends early, or goes on after the last record).
  private static func record(of error: OP2Error) -> (section: String, index: Int)? {
    guard case .malformedMeshFile(_, _, let expected, let found) = error, found != "end of file",
      !expected.hasPrefix("end of file")
    else { return nil }
    let words = expected.split(separator: " ")
    guard words.count >= 3, let index = Int(words[words.count - 1]) else { return nil }
    let noun = String(words[words.count - 2])
    if noun == "edge", words[words.count - 3] == "boundary" { return ("bedge", index) }
    return ["node", "cell", "edge"].contains(noun) ? (noun, index) : nil
  }

  /// Each of the whole-file reader's damages, in the plain layout and spaced out with blank
  /// lines, read in blocks on 1, 2, 3, 5 and 9 ranks: the rank whose block holds the bad line —
  /// every rank, when the header or the line count is wrong — throws exactly the whole-file
  /// reader's error; any other rank reads its (undamaged) block; and choosing among the ranks'
  /// errors as the collective reader does gives the whole-file reader's error.
  @Test("a malformed line gives the whole-file reader's error on the rank that reads it; a wrong line count on every rank",
        arguments: OP2GridReaderTests.damages)
  func malformed(_ damage: OP2GridReaderTests.Damage) throws {
    for spaced in [false, true] {
      var lines = try handMadeLines()
      damage.edit(&lines)
      let text = lines.enumerated().map { k, line in spaced && k % 3 == 1 ? "\n  \n\(line)\n" : line + "\n" }.joined()
      let path = try file(containing: text)
      let whole = try #require(thrown { _ = try OP2GridReader.read(contentsOf: path) })
      if !spaced {
        #expect(whole == .malformedMeshFile(path: path, line: damage.line, expected: damage.expected, found: damage.found))
      }
      let owner = Self.record(of: whole)
      for rankCount in [1, 2, 3, 5, 9] {
        var errors: [OP2Error] = []
        for rank in 0..<rankCount {
          let context = "\(damage.label), \(spaced ? "spaced" : "plain"), rank \(rank) of \(rankCount)"
          let counts = [("node", 9), ("cell", 4), ("edge", 4), ("bedge", 8)]
          let mine = owner.map { owner in
            let count = counts.first { $0.0 == owner.section }!.1
            return Set.evenBlock(globalSize: count, rank: rank, rankCount: rankCount).contains(owner.index)
          } ?? true
          do {
            let block = try OP2GridReader.readBlock(contentsOf: path, rank: rank, rankCount: rankCount)
            #expect(!mine, "\(context): read without error")
            #expect(block == (try OP2GridBlock(slicing: handMadeGrid(), rank: rank, rankCount: rankCount)), "\(context)")
          } catch {
            errors.append(error)
            #expect(mine, "\(context): \(error)")
            #expect(error == whole, "\(context)")
          }
        }
        #expect(OP2GridReader.firstInFile(errors) == whole, "\(damage.label), \(rankCount) ranks")
      }
    }
  }

  @Test("a record split over two lines in one rank's block breaks the line count for the others")
  func splitRecord() throws {
    var lines = try handMadeLines()
    lines[11] = "1 2"  // cell 1, line 12
    lines.insert("5 4", at: 12)
    let path = try file(containing: lines.map { $0 + "\n" }.joined())
    let whole = OP2Error.malformedMeshFile(
      path: path, line: 12, expected: "4 integers: node indices of cell 1", found: "\"1 2\"")
    #expect(thrown { _ = try OP2GridReader.read(contentsOf: path) } == whole)
    // Cell 1 is rank 0's on 2 ranks. Rank 1 counts "1 2" as cell 1 and parses "5 4" as its cell
    // 2; on 4 ranks, rank 3 (cell 3 and later records) counts one record too many and finds text
    // after the last boundary edge.
    let errors = (0..<2).compactMap { r in thrown { _ = try OP2GridReader.readBlock(contentsOf: path, rank: r, rankCount: 2) } }
    #expect(errors == [
      whole, .malformedMeshFile(path: path, line: 13, expected: "4 integers: node indices of cell 2", found: "\"5 4\""),
    ])
    #expect(OP2GridReader.firstInFile(errors) == whole)
    #expect(thrown { _ = try OP2GridReader.readBlock(contentsOf: path, rank: 3, rankCount: 4) } == .malformedMeshFile(
      path: path, line: 27, expected: "end of file after 8 boundary edges", found: "\"0 3 0 2\""))
  }

  @Test("a huge count in the header of a short file is a truncation on every rank, without allocating for it")
  func hugeCount() throws {
    let path = try file(containing: "2000000000 0 0 0\n1 2\n3 4\n")
    for (rank, rankCount) in [(0, 1), (0, 2), (1, 2)] {
      let error = thrown { _ = try OP2GridReader.readBlock(contentsOf: path, rank: rank, rankCount: rankCount) }
      #expect(error == .malformedMeshFile(
        path: path, line: 4, expected: "2 numbers: coordinates of node 2", found: "end of file"), "rank \(rank) of \(rankCount)")
    }
  }
}
