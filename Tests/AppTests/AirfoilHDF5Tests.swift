import AirfoilKit
import Foundation
import OP2
import Testing

/// OP2's own HDF5 airfoil grid (`new_grid_small.h5.gz`, written by OP2-Common's convert_mesh from
/// the built-in `--cells 19200` grid): the file `OP2_HDF5_GRID` names, else the one in
/// `../shared/data` beside the repository.
private let smallHDF5Archive: String? = {
  if let named = ProcessInfo.processInfo.environment["OP2_HDF5_GRID"], !named.isEmpty {
    return FileManager.default.fileExists(atPath: named) ? named : nil
  }
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  let beside = root.appendingPathComponent("../shared/data/new_grid_small.h5.gz").standardized.path
  return FileManager.default.fileExists(atPath: beside) ? beside : nil
}()

private func scratch() -> String {
  let path = FileManager.default.temporaryDirectory.path + "/op2-airfoil-hdf5-\(getpid())-\(UInt32.random(in: 0 ... .max))"
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Decompresses the archive into `folder` (gzip -dcf: an uncompressed file passes through).
private func unpackSmallGrid(into folder: String) throws -> String {
  let path = folder + "/new_grid_small.h5"
  _ = try run("/bin/sh", ["-c", "gzip -dcf '\(smallHDF5Archive!)' > '\(path)'"])
  return path
}

@Suite("airfoil grids in HDF5", .serialized)
struct AirfoilHDF5Tests {
  @Test("OP2's own new_grid_small.h5 holds exactly the built-in --cells 19200 grid, its flow state and constants",
        .enabled(if: smallHDF5Archive != nil, "new_grid_small.h5.gz is neither named by OP2_HDF5_GRID nor in ../shared/data"))
  func op2WrittenFile() throws {
    let folder = scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = try unpackSmallGrid(into: folder)
    let expected = try AirfoilMesh.generate(cells: 19_200)
    #expect(try OP2GridHDF5.read(contentsOf: path) == expected)
    #expect(try OP2GridReader.read(contentsOf: path) == expected)
    for rank in 0..<3 {
      #expect(try OP2GridHDF5.readBlock(contentsOf: path, rank: rank, rankCount: 3)
              == OP2GridBlock(slicing: expected, rank: rank, rankCount: 3))
    }
    // OP2's objects through the generic API, with its attribute quirks (type "int" in 10 bytes).
    let file = try HDF5File.open(path)
    let cells = try Set(hdf5: file, name: "cells"), nodes = try Set(hdf5: file, name: "nodes")
    #expect(cells.size == 19_110 && nodes.size == 19_404)
    let pcell = try Map(from: cells, to: nodes, hdf5: file, name: "pcell")
    #expect(pcell.values == expected.cellNodes)
    #expect(try file.stringAttribute("type", of: "pcell") == "int")
    let q = try Dat<Double>(cells ** 4, hdf5: file, name: "p_q")
    #expect(q.data.count == 4 * 19_110)
    #expect(Array(q.data.prefix(4)) == AirfoilConstants.qinf)
    #expect(try Global<Double>(hdf5: file, name: "qinf").value == AirfoilConstants.qinf)
    for (name, value) in [("gam", AirfoilConstants.gam), ("gm1", AirfoilConstants.gm1), ("cfl", AirfoilConstants.cfl),
                          ("eps", AirfoilConstants.eps), ("mach", AirfoilConstants.mach)] {
      #expect(try Global<Double>(hdf5: file, name: name).value == [value], "\(name)")
    }
    // OP2's convert_mesh computes alpha in single precision (3.0f * atanf(1.0f) / 45.0f).
    let alpha = try Global<Double>(hdf5: file, name: "alpha").value
    #expect(alpha.count == 1 && abs(alpha[0] - AirfoilConstants.alpha) < 1e-7 * AirfoilConstants.alpha, "\(alpha)")
    // Its bedges are 1 × 456 rows of 1: p_bound (456, 1) ints.
    #expect(try file.shape(of: "p_bound") == [456, 1])
  }

  @Test("text → HDF5 → text gives the identical file, and generate-grid --format hdf5 writes what OP2 writes")
  func roundTrip() throws {
    let folder = scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let grid = try AirfoilMesh.generate(cells: 1_200)
    let text = folder + "/grid.dat", h5 = folder + "/grid.h5", back = folder + "/back.dat"
    try OP2GridWriter.write(grid, to: text)
    try OP2GridHDF5.write(try OP2GridReader.read(contentsOf: text), to: h5)
    try OP2GridWriter.write(try OP2GridReader.read(contentsOf: h5), to: back)
    #expect(try Data(contentsOf: URL(fileURLWithPath: text)) == Data(contentsOf: URL(fileURLWithPath: back)))

    guard let airfoil = AirfoilAppTests.airfoil else { return }
    let generated = folder + "/generated.h5"
    let out = try run(airfoil, ["generate-grid", "--cells", "1200", "--format", "hdf5", "-o", generated])
    #expect(out.contains("wrote \(generated)"))
    #expect(HDF5File.isHDF5(generated))
    #expect(try OP2GridHDF5.read(contentsOf: generated) == grid)
    // The datasets OP2's airfoil_hdf5 reads, with OP2's shapes.
    let file = try HDF5File.open(generated)
    for (name, shape) in [("p_q", [grid.cellCount, 4]), ("p_qold", [grid.cellCount, 4]), ("p_res", [grid.cellCount, 4]),
                          ("p_adt", [grid.cellCount, 1]), ("qinf", [4]), ("gam", [1]), ("nodes", [1])] {
      #expect(try file.shape(of: name) == shape, "\(name)")
    }
  }

  @Test("airfoil --grid x.h5 gives the rms of the same grid generated, and on OP2's file the reference verdict",
        .enabled(if: AirfoilAppTests.airfoil != nil, "the airfoil executable was not built"),
        .timeLimit(.minutes(5)))
  func airfoilRuns() throws {
    let folder = scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let airfoil = AirfoilAppTests.airfoil!
    let h5 = folder + "/grid.h5"
    _ = try run(airfoil, ["generate-grid", "--cells", "1200", "-o", h5])  // hdf5, from the name
    let fromFile = try run(airfoil, ["--grid", h5, "--iterations", "50"])
    let generated = try run(airfoil, ["--cells", "1200", "--iterations", "50"])
    let rms = number(after: "final rms", in: fromFile)
    #expect(rms != nil && rms == number(after: "final rms", in: generated), "\(fromFile)\n\(generated)")
    if let mpirunPath = mpirunPath, !mpirunPath.isEmpty {
      let (status, parallel, _) = try runMPI(2, airfoil, ["--grid", h5, "--iterations", "50", "--quiet"], seconds: 120)
      #expect(status == 0, "\(parallel)")
      let p = number(after: "final rms", in: parallel)
      #expect(p.map { rms != nil && abs($0 - rms!) <= 1e-12 * rms! } == true, "\(parallel)")
    }
    guard smallHDF5Archive != nil else { return }
    let small = try unpackSmallGrid(into: folder)
    let output = try run(airfoil, ["--grid", small, "--iterations", "200"])
    #expect(output.contains("PASSED"), "\(output)")
  }

  @Test("a bad --grid file fails with the HDF5 error naming the file and dataset",
        .enabled(if: AirfoilAppTests.airfoil != nil, "the airfoil executable was not built"))
  func airfoilBadFile() throws {
    let folder = scratch()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let bad = folder + "/bad.h5"
    try "not hdf5\n".write(toFile: bad, atomically: true, encoding: .utf8)
    let (status, output) = try runStatus(AirfoilAppTests.airfoil!, ["--grid", bad])
    #expect(status != 0)
    #expect(output.contains("\(bad): HDF5: not an HDF5 file"), "\(output)")
    #expect(!output.contains("HDF5-DIAG"), "\(output)")
  }
}
