// OP2's HDF5 layout for Sets, Maps, Dats, Globals and Consts (op_decl_set_hdf5, op_decl_map_hdf5,
// op_decl_dat_hdf5, op_get_const_hdf5, op_write_hdf5, op_write_const_hdf5), and the airfoil grid
// in that layout. The library calls are in HDF5File+Unsafe.swift.

extension Set {
  /// Declares a set whose size is stored in an OP2 HDF5 file (OP2's `op_decl_set_hdf5`): the
  /// 1-element integer dataset `/name`.
  ///
  /// Under `mpirun` this declares this rank's block of the set (the even split of
  /// ``init(globalSize:localSize:name:)``), ready for Maps and Dats read in blocks and then
  /// ``OP2/partition(primary:map:method:)``; on one process, the whole set.
  ///
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing or malformed dataset.
  public convenience init(hdf5 file: HDF5File, name: String) throws(OP2Error) {
    let size = try file.count(name)
    try self.init(globalSize: size, name: name)
  }

  /// The rows of a file dataset this rank's elements are, in file order, when they are
  /// consecutive: the whole set, or this rank's block of a set declared in blocks.
  func fileRows(operation: String) throws(OP2Error) -> Range<Int> {
    if isDistributed { throw .declaredAfterPartitioning(object: operation, set: name) }
    guard layout.declaredInBlocks else { return 0..<size }
    if let start = layout.blockStart { return start..<(start + size) }
    let sizes = MPIEnvironment.world?.allgather(size) ?? [size]
    let start = sizes.prefix(OP2.rank).reduce(0, +)
    return start..<(start + size)
  }
}

extension Map {
  /// Declares a map whose rows are stored in an OP2 HDF5 file (OP2's `op_decl_map_hdf5`): the
  /// `(from.globalSize, arity)` 32-bit integer dataset `/name`, whose `dim` attribute (when
  /// present) gives the arity.
  ///
  /// Only the rows of `from` held here are read (a hyperslab): this rank's block under `mpirun`.
  ///
  /// - Parameters:
  ///   - from: The source set (declared from the same file, or in blocks).
  ///   - to: The target set.
  ///   - file: The file.
  ///   - name: The dataset and the map's name.
  ///   - arity: The arity, or nil to take it from the dataset's shape.
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing dataset, a shape other than
  ///   `(from.globalSize, arity)`, non-integer entries or a `dim` attribute that contradicts the
  ///   shape; the errors of ``init(from:to:arity:values:name:)`` for entries outside `to`.
  public convenience init(from: Set, to: Set, hdf5 file: HDF5File, name: String, arity: Int? = nil) throws(OP2Error) {
    let shape = try file.shape(of: name)
    let width = arity ?? (shape.count == 2 ? shape[1] : 1)
    if let dim = try file.integerAttribute("dim", of: name), dim != width {
      throw .hdf5(path: file.path, dataset: HDF5File.label(name), reason: "has the attribute dim = \(dim), but \(width) columns")
    }
    let rows = try from.fileRows(operation: "Map \"\(name)\"")
    let values: [Int32] = try file.read(name, rows: rows, width: width, rowCount: from.globalSize)
    try self.init(from: from, to: to, arity: width, values: values, name: name)
  }
}

extension Dat {
  /// Declares a Dat whose values are stored in an OP2 HDF5 file (OP2's `op_decl_dat_hdf5`): the
  /// `(set.globalSize, dim)` dataset `/name` (only the rows held here are read).
  ///
  /// - Parameters:
  ///   - dataSet: The set and dim (`cells ** 4`).
  ///   - file: The file.
  ///   - name: The dataset and the Dat's name.
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing dataset, a wrong shape, or
  ///   elements that do not convert to `T` without loss (floating-point data for an integer
  ///   Dat, 64-bit data for a 32-bit one), or a `type` attribute naming another C type.
  public convenience init(_ dataSet: DataSet, hdf5 file: HDF5File, name: String) throws(OP2Error) {
    if let type = try file.stringAttribute("type", of: name), !type.isEmpty, type != T.cType {
      throw .hdf5(path: file.path, dataset: HDF5File.label(name), reason: "has type \"\(type)\", expected \"\(T.cType)\"")
    }
    let rows = try dataSet.set.fileRows(operation: "Dat \"\(name)\"")
    let values: [T] = try file.read(name, rows: rows, width: dataSet.dim, rowCount: dataSet.set.globalSize)
    try self.init(dataSet, values: values, name: name)
  }
}

extension Global {
  /// A Global with the values stored in an OP2 HDF5 file: the 1-dimensional dataset `/name`,
  /// whose length is the Global's dim.
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing or malformed dataset.
  public convenience init(hdf5 file: HDF5File, name: String) throws(OP2Error) {
    let values: [T] = try readConstant(file, name)
    try self.init(dim: values.count, value: values, name: name)
  }
}

extension Const {
  /// A Const with the values stored in an OP2 HDF5 file (OP2's `op_get_const_hdf5`): the
  /// 1-dimensional dataset `/name`, whose length is the Const's dim.
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing or malformed dataset; the
  ///   errors of ``init(name:dim:value:foldedAtCompileTime:)``.
  public convenience init(hdf5 file: HDF5File, name: String, foldedAtCompileTime: Bool = false) throws(OP2Error) {
    let values: [T] = try readConstant(file, name)
    try self.init(name: name, dim: values.count, value: values, foldedAtCompileTime: foldedAtCompileTime)
  }
}

/// A constant's values: a 1-dimensional dataset (OP2's layout), or `(1, dim)`; at most 2¹⁶ values.
private func readConstant<T: OP2Scalar>(_ file: HDF5File, _ name: String) throws(OP2Error) -> [T] {
  let shape = try file.shape(of: name)
  let count = shape.reduce(1, *)
  guard shape.count == 1 || (shape.count == 2 && shape[0] == 1), (1...65_536).contains(count) else {
    throw .hdf5(path: file.path, dataset: HDF5File.label(name),
                reason: "has shape \(HDF5File.render(shape)), expected (dim) with dim in 1...65536 for a constant")
  }
  return try file.read(name, width: shape.count == 1 ? 1 : count)
}

extension HDF5File {
  /// Writes a set's size as OP2 does (a 1-element integer dataset `/name`). Collective in a
  /// collective file.
  public func write(_ set: Set) throws(OP2Error) {
    let first = isCollective && OP2.rank != 0 ? 0..<0 : 0..<1
    try write(set.name, values: first.isEmpty ? [Int32]() : [Int32(set.globalSize)], rows: first, rowCount: 1, width: 1,
              oneDimensional: true)
  }

  /// Writes a map as OP2 does: `(from.globalSize, arity)` 32-bit integers `/name` in the
  /// declared numbering, with the `dim`, `size` and `type` attributes.
  ///
  /// On a distributed set (after ``OP2/partition(primary:map:method:)``) each rank sends its
  /// owned rows, in global numbering, to the rank whose even block holds them, and every rank
  /// writes one block: nothing is gathered on one rank. Collective in a collective file.
  public func write(_ map: Map) throws(OP2Error) {
    let owned = Array(map.values.prefix(map.from.size * map.arity))
    let global: [Int32]
    if map.to.isDistributed {
      let numbers = map.to.globalIndices
      global = owned.map { Int32(numbers[Int($0)]) }
    } else {
      global = owned
    }
    let (rows, values) = try fileBlock(of: map.from, values: global, width: map.arity)
    try write(map.name, values: values, rows: rows, rowCount: map.from.globalSize, width: map.arity,
              attributes: [("dim", map.arity), ("size", map.from.globalSize)], type: "int")
  }

  /// Writes a Dat as OP2 does: `(set.globalSize, dim)` values `/name` in the declared numbering,
  /// with the `dim`, `size` (bytes per element) and `type` attributes. Runs the queued loops that
  /// write the Dat first; on a distributed set, as ``write(_:)-(Map)``. Collective in a
  /// collective file.
  public func write<T: OP2Scalar>(_ dat: Dat<T>) throws(OP2Error) {
    let (rows, values) = try fileBlock(of: dat.dataSet.set, values: dat.data, width: dat.dim)
    try write(dat.name, values: values, rows: rows, rowCount: dat.dataSet.set.globalSize, width: dat.dim,
              attributes: [("dim", dat.dim), ("size", dat.dim * MemoryLayout<T>.size)], type: T.cType)
  }

  /// Writes a Global's values as a constant (`(dim)` values with `dim` and `type`).
  public func write<T: OP2Scalar>(_ global: Global<T>) throws(OP2Error) {
    try writeConstant(global.name, global.value)
  }

  /// Writes a Const as OP2's `op_write_const_hdf5` does (`(dim)` values with `dim` and `type`).
  public func write<T: OP2Scalar>(_ constant: Const<T>) throws(OP2Error) {
    try writeConstant(constant.name, constant.value)
  }

  /// Writes `values` as a constant dataset `/name`.
  public func writeConstant<T: OP2Scalar>(_ name: String, _ values: [T]) throws(OP2Error) {
    let mine = isCollective && OP2.rank != 0 ? 0..<0 : 0..<1
    try write(name, values: mine.isEmpty ? [] : values, rows: mine, rowCount: 1, width: values.count,
              oneDimensional: true, attributes: [("dim", values.count)], type: T.cType)
  }

  /// This rank's rows of a set's data in file order: its block of a set in blocks, its even block
  /// of a set every rank holds whole (in a collective file), or — on a distributed set — the
  /// owned rows redistributed to their even blocks.
  private func fileBlock<T: BitwiseCopyable>(of set: Set, values: [T], width: Int) throws(OP2Error) -> (Range<Int>, [T]) {
    guard isCollective, let communicator = MPIEnvironment.world, communicator.size > 1 else {
      if set.isDistributed || set.layout.declaredInBlocks {
        throw .hdf5(path: path, dataset: "", reason: "set \"\(set.name)\" is spread over ranks: write it with HDF5File.create(_:collective: true)")
      }
      return (0..<set.size, values)
    }
    let even = Set.evenBlock(globalSize: set.globalSize, rank: communicator.rank, rankCount: communicator.size)
    if !set.isDistributed {
      if set.layout.declaredInBlocks { return (try set.fileRows(operation: "HDF5File.write"), values) }
      return (even, Array(values[(even.lowerBound * width)..<(even.upperBound * width)]))
    }
    // Route each owned row to the rank whose even block holds it.
    let numbers = set.globalIndices.prefix(set.size)
    var outgoing = [[Int]](repeating: [], count: communicator.size)
    var outgoingValues = [[T]](repeating: [], count: communicator.size)
    for (k, g) in numbers.enumerated() {
      let owner = Set.evenBlockOwner(of: g, globalSize: set.globalSize, rankCount: communicator.size)
      outgoing[owner].append(g)
      outgoingValues[owner].append(contentsOf: values[(k * width)..<((k + 1) * width)])
    }
    let indices = communicator.alltoall(outgoing), rows = communicator.alltoall(outgoingValues)
    guard let filler = values.first ?? rows.first(where: { !$0.isEmpty })?.first else { return (even, []) }
    var block = [T](repeating: filler, count: even.count * width)
    for (list, data) in zip(indices, rows) {
      for (k, g) in list.enumerated() {
        let at = (g - even.lowerBound) * width
        for c in 0..<width { block[at + c] = data[k * width + c] }
      }
    }
    return (even, block)
  }
}

extension Set {
  /// The rank whose even block (``evenBlock(globalSize:rank:rankCount:)``) holds element `g`.
  static func evenBlockOwner(of g: Int, globalSize: Int, rankCount: Int) -> Int {
    var r = min(rankCount - 1, (g * rankCount) / max(globalSize, 1))
    while r > 0, evenBlock(globalSize: globalSize, rank: r, rankCount: rankCount).lowerBound > g { r -= 1 }
    while evenBlock(globalSize: globalSize, rank: r, rankCount: rankCount).upperBound <= g { r += 1 }
    return r
  }
}
