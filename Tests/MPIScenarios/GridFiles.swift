import Foundation
import OP2

extension Scenario {
  /// OP2 grid files read in blocks (`OP2GridReader.readBlock(contentsOf:)`): each rank gets its
  /// block, the blocks declare and partition like a whole mesh, and every rank throws the
  /// whole-file reader's error for a bad file, wherever the bad line is.
  static let gridFiles: [Scenario] = [
    Scenario("grid-blocks") { try checkGridBlocks() },
    Scenario("grid-blocks-errors") { try checkGridBlockErrors() },
  ]
}

/// A structured `nx × ny` grid with valid indices and coordinates `(i + 0.1 j, j / 3)`.
func structuredGrid(nx: Int, ny: Int) -> OP2Grid {
  let node = { (i: Int, j: Int) in Int32(i + (nx + 1) * j) }
  let cell = { (i: Int, j: Int) in Int32(i + nx * j) }
  var x: [Double] = []
  for j in 0...ny { for i in 0...nx { x += [Double(i) + 0.1 * Double(j), Double(j) / 3] } }
  var cellNodes: [Int32] = []
  for j in 0..<ny { for i in 0..<nx { cellNodes += [node(i, j), node(i + 1, j), node(i + 1, j + 1), node(i, j + 1)] } }
  var edgeNodes: [Int32] = [], edgeCells: [Int32] = []
  for j in 0..<ny { for i in 1..<nx { edgeNodes += [node(i, j + 1), node(i, j)]; edgeCells += [cell(i - 1, j), cell(i, j)] } }
  for j in 1..<ny { for i in 0..<nx { edgeNodes += [node(i, j), node(i + 1, j)]; edgeCells += [cell(i, j - 1), cell(i, j)] } }
  var bedgeNodes: [Int32] = [], bedgeCells: [Int32] = [], bound: [Int32] = []
  for i in 0..<nx { bedgeNodes += [node(i + 1, 0), node(i, 0)]; bedgeCells += [cell(i, 0)]; bound += [1] }
  for i in 0..<nx { bedgeNodes += [node(i, ny), node(i + 1, ny)]; bedgeCells += [cell(i, ny - 1)]; bound += [2] }
  for j in 0..<ny { bedgeNodes += [node(0, j), node(0, j + 1)]; bedgeCells += [cell(0, j)]; bound += [2] }
  for j in 0..<ny { bedgeNodes += [node(nx, j + 1), node(nx, j)]; bedgeCells += [cell(nx - 1, j)]; bound += [2] }
  return OP2Grid(
    nodeCount: (nx + 1) * (ny + 1), cellCount: nx * ny, edgeCount: (nx - 1) * ny + nx * (ny - 1),
    bedgeCount: 2 * (nx + ny), x: x, cellNodes: cellNodes, edgeNodes: edgeNodes, edgeCells: edgeCells,
    bedgeNodes: bedgeNodes, bedgeCells: bedgeCells, bound: bound)
}

/// Rank 0 writes `text` to a fresh file; every rank gets its path once it is there.
private func sharedFile(_ text: String) throws -> String {
  var path = ""
  if OP2.rank == 0 {
    path = FileManager.default.temporaryDirectory.path + "/op2-grid-blocks-\(getpid())-\(UInt32.random(in: 0 ... .max)).dat"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }
  path = MPIEnvironment.world!.broadcast(path, root: 0)
  ScenarioSupport.barrier()
  return path
}

/// Removes a shared file once every rank is done with it.
private func removeShared(_ path: String) {
  ScenarioSupport.barrier()
  if OP2.rank == 0 { try? FileManager.default.removeItem(atPath: path) }
}

/// The 6 × 4 grid's file as lines: 1 header, nodes 2–36, cells 37–60, edges 61–98, boundary
/// edges 99–118.
private func gridLines() throws -> (grid: OP2Grid, lines: [String]) {
  let grid = structuredGrid(nx: 6, ny: 4)
  let path = FileManager.default.temporaryDirectory.path + "/op2-grid-lines-\(getpid()).dat"
  try OP2GridWriter.write(grid, to: path)
  defer { try? FileManager.default.removeItem(atPath: path) }
  return (grid, try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init))
}

private func checkGridBlocks() throws {
  let (grid, lines) = try gridLines()
  let path = try sharedFile(lines.map { $0 + "\n" }.joined())
  defer { removeShared(path) }
  let block = try OP2GridReader.readBlock(contentsOf: path)
  try expect(block == (try OP2GridBlock(slicing: grid, rank: OP2.rank, rankCount: OP2.rankCount)),
             "rank \(OP2.rank)'s block differs from the grid's slice")
  // The large-mesh path: declare the blocks, partition (geometric, on the block's coordinates),
  // then the Dats gathered in the declared numbering are the file's.
  let nodes = try Set(globalSize: block.nodeCount, name: "nodes")
  let cells = try Set(globalSize: block.cellCount, name: "cells")
  let edges = try Set(globalSize: block.edgeCount, name: "edges")
  try expect(nodes.size == block.nodeRange.count && cells.size == block.cellRange.count, "block sizes differ from the sets'")
  let pcell = try Map(from: cells, to: nodes, arity: 4, values: block.cellNodes, name: "pcell")
  _ = try Map(from: edges, to: cells, arity: 2, values: block.edgeCells, name: "pecell")
  let x = try Dat<Double>(nodes ** 2, values: block.x, name: "x")
  let first = try Dat<Int32>(cells ** 1, values: block.cellNodes.enumerated().filter { $0.offset % 4 == 0 }.map(\.element),
                             name: "first")
  try OP2.partition(primary: cells, map: pcell, method: .geometric(coordinates: x))
  try expect(x.gatheredData() == grid.x, "gathered coordinates differ from the file's")
  try expect(first.gatheredData() == stride(from: 0, to: grid.cellNodes.count, by: 4).map { grid.cellNodes[$0] },
             "gathered cell data differ from the file's")
}

private func checkGridBlockErrors() throws {
  let (_, lines) = try gridLines()
  let ranks = OP2.rankCount
  // Cell 23 (line 60) and node 34 (line 36) are the last rank's; cell 0 (line 37) is rank 0's.
  let damages: [(String, (inout [String]) -> Void)] = [
    ("too few numbers in the last rank's cells", { $0[59] = "1 2 3" }),
    ("a word in the last rank's nodes before an out-of-range index in rank 0's cells", {
      $0[35] = "0.5 x"
      $0[36] = "1 2 3 99999"
    }),
    ("text after the last record", { $0.append("7") }),
    ("a truncated file", { $0.removeLast() }),
  ]
  for (label, edit) in damages {
    var damaged = lines
    edit(&damaged)
    let path = try sharedFile(damaged.map { $0 + "\n" }.joined())
    defer { removeShared(path) }
    var whole: OP2Error?
    do { _ = try OP2GridReader.read(contentsOf: path) } catch { whole = error }
    guard let whole else { throw ScenarioFailure(message: "\(label): the whole-file reader found nothing") }
    var local: OP2Error?
    do { _ = try OP2GridReader.readBlock(contentsOf: path, rank: OP2.rank, rankCount: ranks) } catch { local = error }
    // Only the owner of a bad content line sees it without agreement...
    if label.hasPrefix("too few"), OP2.rank < ranks - 1 {
      try expect(local == nil, "\(label): rank \(OP2.rank) of \(ranks) found \(local.map(String.init(describing:)) ?? "")")
    }
    // ...and with it, every rank throws the whole-file reader's error.
    try expectError(whole) { _ = try OP2GridReader.readBlock(contentsOf: path) }
  }
}
