import Foundation
import OP2

extension Scenario {
  /// OP2's HDF5 layout under MPI: each rank reads its block with hyperslabs, the blocks
  /// partition like a whole mesh, and parallel writes (MPI-IO) give the file one process writes.
  static let hdf5Files: [Scenario] = [
    Scenario("hdf5-grid-blocks") { try checkHDF5Blocks() },
  ]
}

private func checkHDF5Blocks() throws {
  let grid = structuredGrid(nx: 9, ny: 5)
  let world = MPIEnvironment.world!
  var folder = ""
  if OP2.rank == 0 {
    folder = FileManager.default.temporaryDirectory.path + "/op2-hdf5-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try OP2GridHDF5.write(grid, to: folder + "/serial.h5")
  }
  folder = world.broadcast(folder, root: 0)
  ScenarioSupport.barrier()
  defer {
    ScenarioSupport.barrier()
    if OP2.rank == 0 { try? FileManager.default.removeItem(atPath: folder) }
  }
  // Each rank's block, read with hyperslabs, is the grid's slice (as the text reader's).
  let block = try OP2GridHDF5.readBlock(contentsOf: folder + "/serial.h5")
  try expect(block == (try OP2GridBlock(slicing: grid, rank: OP2.rank, rankCount: OP2.rankCount)),
             "rank \(OP2.rank)'s HDF5 block differs from the grid's slice")
  try expect(try OP2GridReader.readBlock(contentsOf: folder + "/serial.h5") == block, "OP2GridReader did not detect HDF5")

  // Every rank writes its block into one file (collective MPI-IO); it reads back as the grid.
  try OP2GridHDF5.writeBlock(block, to: folder + "/parallel.h5")
  try expect(try OP2GridHDF5.read(contentsOf: folder + "/parallel.h5") == grid, "the parallel write differs from the grid")

  // OP2's declarations from the file (op_decl_*_hdf5): blocks, partitioning, then a collective
  // write of the distributed Map and Dat in the declared numbering.
  let file = try HDF5File.open(folder + "/serial.h5")
  let nodes = try Set(hdf5: file, name: "nodes"), cells = try Set(hdf5: file, name: "cells")
  try expect(nodes.size == block.nodeRange.count && cells.size == block.cellRange.count, "HDF5 set blocks differ")
  let pcell = try Map(from: cells, to: nodes, hdf5: file, name: "pcell")
  let x = try Dat<Double>(nodes ** 2, hdf5: file, name: "p_x")
  try expect(pcell.values == block.cellNodes && x.data == block.x, "HDF5 map or dat block differs")
  file.close()
  try OP2.partition(primary: cells, map: pcell, method: .geometric(coordinates: x))
  try HDF5File.create(folder + "/distributed.h5", collective: true) { (out) throws(OP2Error) in
    try out.write(nodes)
    try out.write(cells)
    try out.write(pcell)
    try out.write(x)
  }
  let back = try HDF5File.open(folder + "/distributed.h5")
  try expect(try back.count("nodes") == grid.nodeCount && back.count("cells") == grid.cellCount, "set sizes differ")
  try expect(try back.read("pcell", as: Int32.self, width: 4) == grid.cellNodes, "the distributed map's write differs")
  try expect(try back.read("p_x", as: Double.self, width: 2) == grid.x, "the distributed dat's write differs")
}
