import AirfoilKit
import Foundation
import OP2
import Testing

/// OP2's standard grid (gzipped or not), if this checkout has it: the file `OP2_GRID` names, else
/// `../shared/data/new_grid.dat.gz` beside the package root (found from this file's path).
private let realGridArchive: String? = AirfoilAppTests.gridArchive

/// A fresh folder for one test's files.
private func airfoilScratchDirectory() -> String {
  let path = FileManager.default.temporaryDirectory.path
    + "/op2-airfoilmesh-\(getpid())-\(UInt32.random(in: 0 ... .max))"
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Decompresses OP2's standard grid with `gzip -dc` and reads it.
private func readRealGrid(_ archive: String) throws -> OP2Grid {
  let path = airfoilScratchDirectory() + "/new_grid.dat"
  try #require(FileManager.default.createFile(atPath: path, contents: nil))
  let output = try #require(FileHandle(forWritingAtPath: path))
  let gzip = Process()
  gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  gzip.arguments = ["gzip", "-dcf", archive]  // -f: an uncompressed OP2_GRID passes through
  gzip.standardOutput = output
  try gzip.run()
  gzip.waitUntilExit()
  try output.close()
  try #require(gzip.terminationStatus == 0, "gzip -dc \(archive) failed")
  return try OP2GridReader.read(contentsOf: path)
}

@Suite("AirfoilMesh")
struct AirfoilMeshTests {
  /// The 720 000-cell grid, generated once for the tests that need it (about 1 s in debug).
  private static let standard = Result { () throws(OP2Error) in try AirfoilMesh.generate(cells: 720_000) }

  @Test("720 000 cells give OP2's 1200 × 600 grid: 721 801 nodes, 1 438 600 edges, 2 800 boundary edges")
  func standardSize() throws {
    #expect(try AirfoilMesh.dimensions(cells: 720_000) == (i: 1200, j: 600))
    let grid = try Self.standard.get()
    #expect(grid.nodeCount == 721_801)
    #expect(grid.cellCount == 720_000)
    #expect(grid.edgeCount == 1_438_600)
    #expect(grid.bedgeCount == 2_800)
    #expect(grid.bound.filter { $0 == 1 }.count == 400)
    #expect(grid.bound.filter { $0 == 2 }.count == 2_400)
    #expect(AirfoilMesh.checkConsistency(grid) == [])
  }

  @Test("records come in OP2's order with OP2's orientation")
  func recordOrder() throws {
    let grid = try Self.standard.get()
    // The first records of OP2's new_grid.dat.
    #expect(grid.cellNodes.prefix(8) == [0, 1, 1202, 1201, 1, 2, 1203, 1202])
    #expect(grid.edgeNodes.prefix(6) == [0, 1, 1201, 1202, 1, 1202])
    #expect(grid.edgeCells.prefix(6) == [1199, 0, 0, 1200, 1, 0])
    #expect(grid.bedgeNodes.prefix(2) == [401, 400] && grid.bedgeCells.first == 400)
    #expect(grid.bedgeNodes.suffix(2) == [0, 1201] && grid.bedgeCells.last == 0)
    #expect(grid.x.prefix(2) == [9, 0])  // node 0: the outlet end of the lower wake side
  }

  @Test("the dimensions are J = round(sqrt(n / 2)) and I = 3 round(2J / 3)")
  func dimensionRule() throws {
    #expect(try AirfoilMesh.dimensions(cells: 32) == (i: 9, j: 4))
    #expect(try AirfoilMesh.dimensions(cells: 10_000) == (i: 141, j: 71))
    #expect(try AirfoilMesh.dimensions(cells: 2_880_000) == (i: 2400, j: 1200))
    let grid = try AirfoilMesh.generate(cells: 10_000)
    #expect(grid.cellCount == 141 * 71)
  }

  @Test("fewer cells than the minimum are rejected")
  func rejectsTinyRequests() {
    #expect(throws: OP2Error.invalidSize(object: "AirfoilMesh", what: "cells (at least 32)", value: 31)) {
      try AirfoilMesh.generate(cells: 31)
    }
  }

  @Test(
    "grids of every size are consistent: convex cells, outward normals, each side covered once",
    arguments: [32, 33, 50, 100, 287, 500, 999, 2_000, 5_001, 20_000, 100_000])
  func consistentForManySizes(cells: Int) throws {
    let grid = try AirfoilMesh.generate(cells: cells)
    #expect(AirfoilMesh.checkConsistency(grid) == [])
    let (ni, nj) = try AirfoilMesh.dimensions(cells: cells)
    #expect(grid.cellCount == ni * nj)
    #expect(grid.bound.filter { $0 == 1 }.count == ni / 3)
  }

  @Test("the two copies of each wake-cut node are at the same place")
  func wakeNodesCoincide() throws {
    let grid = try AirfoilMesh.generate(cells: 5_000)
    let (ni, _) = try AirfoilMesh.dimensions(cells: 5_000)
    for i in 0...ni / 3 {
      #expect(grid.x[2 * i] == grid.x[2 * (ni - i)] && grid.x[2 * i + 1] == grid.x[2 * (ni - i) + 1])
      #expect(grid.x[2 * i + 1] == 0)
    }
  }

  @Test("the consistency check finds flipped edges, shared cells and bad bounds")
  func checkFindsProblems() throws {
    let grid = try AirfoilMesh.generate(cells: 500)
    var flipped = grid
    flipped.edgeNodes.swapAt(0, 1)
    #expect(AirfoilMesh.checkConsistency(flipped).contains { $0.hasPrefix("edge 0: (dy, -dx) does not point") })
    var inward = grid
    inward.bedgeNodes.swapAt(0, 1)
    #expect(AirfoilMesh.checkConsistency(inward).contains { $0.hasPrefix("boundary edge 0: (dy, -dx) points into") })
    var shared = grid
    shared.edgeCells[1] = shared.edgeCells[0]
    #expect(AirfoilMesh.checkConsistency(shared).contains("edge 0 has the same cell \(grid.edgeCells[0]) on both sides"))
    var bound = grid
    bound.bound[3] = 7
    #expect(AirfoilMesh.checkConsistency(bound) == ["boundary edge 3 has bound 7, expected 1 or 2"])
    var missing = grid
    missing.edgeCount -= 1
    missing.edgeNodes.removeLast(2)
    missing.edgeCells.removeLast(2)
    #expect(AirfoilMesh.checkConsistency(missing).count == 2)  // the two sides of the lost edge
  }

  @Test("generating, writing and reading gives back the same grid")
  func roundTrip() throws {
    let grid = try AirfoilMesh.generate(cells: 10_000)
    let path = airfoilScratchDirectory() + "/generated.dat"
    try OP2GridWriter.write(grid, to: path)
    #expect(try OP2GridReader.read(contentsOf: path) == grid)
  }

  @Test(
    "OP2's new_grid.dat passes the consistency check and has the generator's connectivity",
    .enabled(if: realGridArchive != nil, "OP2's new_grid.dat.gz is not in ../shared/data"))
  func realGrid() throws {
    let real = try readRealGrid(try #require(realGridArchive))
    #expect(AirfoilMesh.checkConsistency(real) == [])
    let generated = try Self.standard.get()
    #expect(real.cellNodes == generated.cellNodes)
    #expect(real.edgeNodes == generated.edgeNodes && real.edgeCells == generated.edgeCells)
    #expect(real.bedgeNodes == generated.bedgeNodes && real.bedgeCells == generated.bedgeCells)
    #expect(real.bound == generated.bound)
  }
}
