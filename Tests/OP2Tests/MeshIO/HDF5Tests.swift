import Foundation
import OP2
import Testing

/// A 2-cell grid: nodes 0-1-2 / 3-4-5 in two rows, cells (0,1,4,3) and (1,2,5,4).
private let tinyGrid = OP2Grid(
  nodeCount: 6, cellCount: 2, edgeCount: 1, bedgeCount: 6,
  x: [0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1.5],
  cellNodes: [0, 1, 4, 3, 1, 2, 5, 4], edgeNodes: [1, 4], edgeCells: [0, 1],
  bedgeNodes: [0, 1, 1, 2, 2, 5, 5, 4, 4, 3, 3, 0], bedgeCells: [0, 1, 1, 1, 0, 0], bound: [1, 1, 2, 2, 2, 2])

@Suite("HDF5 files in OP2's layout")
struct HDF5Tests {
  @Test("a grid written in OP2's layout reads back identical, through OP2GridHDF5 and OP2GridReader (by signature)")
  func gridRoundTrip() throws {
    let dir = temporaryDirectory("hdf5")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/grid.h5"
    try OP2GridHDF5.write(tinyGrid, to: path)
    #expect(try OP2GridHDF5.read(contentsOf: path) == tinyGrid)
    // No .h5 name: told by the signature.
    try FileManager.default.moveItem(atPath: path, toPath: dir + "/grid")
    #expect(try OP2GridReader.read(contentsOf: dir + "/grid") == tinyGrid)
    // Blocks: the text reader's split.
    for rank in 0..<3 {
      #expect(try OP2GridHDF5.readBlock(contentsOf: dir + "/grid", rank: rank, rankCount: 3)
              == OP2GridBlock(slicing: tinyGrid, rank: rank, rankCount: 3))
    }
  }

  @Test("Sets, Maps, Dats, Globals and Consts written with HDF5File read back with OP2's attributes")
  func objects() throws {
    let dir = temporaryDirectory("hdf5-objects")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/objects.h5"
    let nodes = Set(size: 3, name: "nodes"), cells = Set(size: 2, name: "cells")
    let pcell = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 2, 1], name: "pcell")
    let x = try Dat<Double>(nodes ** 2, values: [0.5, 1, 2, 3, 4, -5e300], name: "p_x")
    let flags = try Dat<Int32>(cells ** 1, values: [7, -8], name: "flags")
    let g = try Global<Double>(dim: 3, value: [1, 2, 3], name: "g")
    let c = try Const<Double>(name: "hdf5_test_const", dim: 2, value: [0.25, 4])
    try HDF5File.create(path) { (file) throws(OP2Error) in
      for set in [nodes, cells] { try file.write(set) }
      try file.write(pcell)
      try file.write(x)
      try file.write(flags)
      try file.write(g)
      try file.write(c)
    }
    let file = try HDF5File.open(path)
    let nodes2 = try Set(hdf5: file, name: "nodes"), cells2 = try Set(hdf5: file, name: "cells")
    #expect(nodes2.size == 3 && cells2.size == 2)
    let pcell2 = try Map(from: cells2, to: nodes2, hdf5: file, name: "pcell")
    #expect(pcell2.arity == 2 && pcell2.values == [0, 1, 2, 1])
    #expect(try Dat<Double>(nodes2 ** 2, hdf5: file, name: "p_x").data == x.data)
    #expect(try Dat<Int32>(cells2 ** 1, hdf5: file, name: "flags").data == [7, -8])
    #expect(try Global<Double>(hdf5: file, name: "g").value == [1, 2, 3])
    #expect(try file.shape(of: "hdf5_test_const") == [2])
    #expect(try file.read("hdf5_test_const", as: Double.self, width: 1) == [0.25, 4])
    #expect(try file.integerAttribute("dim", of: "pcell") == 2)
    #expect(try file.integerAttribute("size", of: "pcell") == 2)
    #expect(try file.integerAttribute("size", of: "p_x") == 16)
    #expect(try file.stringAttribute("type", of: "pcell") == "int")
    #expect(try file.stringAttribute("type", of: "p_x") == "double")
    // A Dat of the wrong type or dim is refused, naming the file and dataset.
    expectError(.hdf5(path: path, dataset: "/p_x", reason: "has type \"double\", expected \"int\""),
                message: "\(path): HDF5 dataset /p_x: has type \"double\", expected \"int\"") { () throws(OP2Error) in
      _ = try Dat<Int32>(nodes2 ** 2, hdf5: file, name: "p_x")
    }
    expectError(.hdf5(path: path, dataset: "/p_x", reason: "has shape (3, 2), expected (3, 3)"),
                message: "\(path): HDF5 dataset /p_x: has shape (3, 2), expected (3, 3)") { () throws(OP2Error) in
      _ = try Dat<Double>(nodes2 ** 3, hdf5: file, name: "p_x")
    }
  }

  @Test("a child process started while a file is open does not keep HDF5's lock: the file reopens at once")
  func childDoesNotHoldTheLock() throws {
    let dir = temporaryDirectory("hdf5-child")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/grid.h5"
    // A child started the plain way (no file actions: it inherits every descriptor without
    // close-on-exec) while the file is being written, and outliving the write.
    var child = pid_t()
    try HDF5File.create(path) { (file) throws(OP2Error) in
      try file.write("nodes", values: [Int32(6)], rows: 0..<1, rowCount: 1, width: 1, oneDimensional: true)
      var argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("5"), nil]
      defer { for p in argv { free(p) } }
      #expect(posix_spawnp(&child, "sleep", nil, nil, &argv, environ) == 0)
    }
    defer {
      kill(child, SIGKILL)
      var status: Int32 = 0
      waitpid(child, &status, 0)
    }
    // Before the descriptor was marked close-on-exec: "unable to lock file, errno = 11".
    let file = try HDF5File.open(path)
    #expect(try file.count("nodes") == 6)
  }

  /// Writes the tiny grid with one dataset replaced by `replace` (nil: left out).
  private func gridFile(_ path: String, replacing name: String, _ replace: ((HDF5File) throws(OP2Error) -> Void)?) throws {
    let full = path + ".full"
    try OP2GridHDF5.write(tinyGrid, to: full)
    let source = try HDF5File.open(full)
    try HDF5File.create(path) { (file) throws(OP2Error) in
      for set in ["nodes", "cells", "edges", "bedges"] where set != name {
        try file.write(set, values: [Int32(try source.count(set))], rows: 0..<1, rowCount: 1, width: 1, oneDimensional: true)
      }
      for (map, width) in [("pcell", 4), ("pedge", 2), ("pecell", 2), ("pbedge", 2), ("pbecell", 1), ("p_bound", 1)] where map != name {
        let values: [Int32] = try source.read(map, width: width)
        try file.write(map, values: values, rows: 0..<(values.count / width), rowCount: values.count / width, width: width)
      }
      if name != "p_x" {
        let values: [Double] = try source.read("p_x", width: 2)
        try file.write("p_x", values: values, rows: 0..<6, rowCount: 6, width: 2)
      }
      try replace?(file)
    }
  }

  @Test("bad files: typed errors naming the file and dataset, with HDF5's message and nothing printed by HDF5")
  func badFiles() throws {
    let dir = temporaryDirectory("hdf5-bad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func error(_ path: String) -> OP2Error? {
      do { _ = try OP2GridReader.read(contentsOf: path); return nil } catch { return error }
    }
    // Missing dataset.
    let missing = dir + "/missing.h5"
    try gridFile(missing, replacing: "p_x", nil)
    #expect(error(missing) == .hdf5(path: missing, dataset: "/p_x", reason: "is missing: the file has no dataset of that name"))
    // Wrong dimensions.
    let wide = dir + "/wide.h5"
    try gridFile(wide, replacing: "p_x") { (file) throws(OP2Error) in
      try file.write("p_x", values: [Double](repeating: 0, count: 18), rows: 0..<6, rowCount: 6, width: 3)
    }
    #expect(error(wide) == .hdf5(path: wide, dataset: "/p_x", reason: "has shape (6, 3), expected (6, 2)"))
    // Wrong dtype: coordinates stored as integers, a map stored as doubles.
    let ints = dir + "/ints.h5"
    try gridFile(ints, replacing: "p_x") { (file) throws(OP2Error) in
      try file.write("p_x", values: [Int32](repeating: 0, count: 12), rows: 0..<6, rowCount: 6, width: 2)
    }
    #expect(error(ints) == .hdf5(path: ints, dataset: "/p_x", reason: "holds 32-bit integers, expected floating-point numbers of at most 64 bits (double)"))
    let doubles = dir + "/doubles.h5"
    try gridFile(doubles, replacing: "pcell") { (file) throws(OP2Error) in
      try file.write("pcell", values: [Double](repeating: 0, count: 8), rows: 0..<2, rowCount: 2, width: 4)
    }
    #expect(error(doubles) == .hdf5(path: doubles, dataset: "/pcell", reason: "holds 64-bit floating-point numbers, expected integers of at most 32 bits (int)"))
    // An index out of range names the row.
    let range = dir + "/range.h5"
    try gridFile(range, replacing: "pecell") { (file) throws(OP2Error) in
      try file.write("pecell", values: [Int32(0), 2], rows: 0..<1, rowCount: 1, width: 2)
    }
    #expect(error(range) == .hdf5(path: range, dataset: "/pecell", reason: "row 0 holds 2, expected a cell index in 0..<2"))
    // Not HDF5, by name.
    let text = dir + "/text.h5"
    try "6 2 1 6\n".write(toFile: text, atomically: true, encoding: .utf8)
    #expect(error(text) == .hdf5(path: text, dataset: "", reason: "not an HDF5 file (no HDF5 signature)"))
    #expect(error(text)?.description == "\(text): HDF5: not an HDF5 file (no HDF5 signature)")
    // Truncated: HDF5's own message is folded in.
    let whole = try Data(contentsOf: URL(fileURLWithPath: missing))
    let truncated = dir + "/truncated.h5"
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
    guard case .hdf5(let p, let dataset, let reason)? = error(truncated) else {
      Issue.record("no HDF5 error for a truncated file: \(String(describing: error(truncated)))")
      return
    }
    #expect(p == truncated && dataset == "")
    #expect(reason.hasPrefix("cannot be opened (HDF5: ") && reason.contains("truncated file"), "\(reason)")
    // Missing file.
    #expect(error(dir + "/absent.h5") == .hdf5(path: dir + "/absent.h5", dataset: "", reason: "cannot be opened: No such file or directory"))
  }

  @Test("writing follows symbolic links and leaves the old file when the write fails")
  func atomicWrite() throws {
    let dir = temporaryDirectory("hdf5-atomic")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let target = dir + "/target.h5", link = dir + "/link.h5"
    try "old".write(toFile: target, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "target.h5")
    // A failing body leaves the old contents and no temporary file.
    #expect(throws: OP2Error.self) {
      try HDF5File.create(link) { (_) throws(OP2Error) in throw OP2Error.fileError(path: link, reason: "stop") }
    }
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "old")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["link.h5", "target.h5"])
    try OP2GridHDF5.write(tinyGrid, to: link)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.h5")
    #expect(try OP2GridHDF5.read(contentsOf: target) == tinyGrid)
    #expect(throws: OP2Error.self) { try OP2GridHDF5.write(tinyGrid, to: "/dev/null") }
  }
}
