internal import CHDF5
internal import CMPI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An HDF5 file in OP2's layout, opened through the HDF5 C library (Debian's parallel build).
///
/// OP2 keeps one dataset per object at the file's root, named after it:
///
/// | object | dataset | attributes |
/// |---|---|---|
/// | Set | a 1-element integer dataset holding its size (`/cells`) | — |
/// | Map | `(from.size, arity)` 32-bit integers (`/pcell`) | `dim` = arity, `size` = rows, `type` = `"int"` |
/// | Dat | `(set.size, dim)` values (`/p_x`) | `dim`, `size` = bytes per element, `type` = `"double"` … |
/// | Global, Const | `(dim)` values (`/qinf`) | `dim`, `type` |
///
/// Open a file with ``open(_:)`` and read objects with the initializers OP2 spells
/// `op_decl_set_hdf5`, `op_decl_map_hdf5`, `op_decl_dat_hdf5` and `op_get_const_hdf5`:
/// ``Set/init(hdf5:name:)``, ``Map/init(from:to:hdf5:name:arity:)``, ``Dat/init(_:hdf5:name:)``,
/// ``Global/init(hdf5:name:)`` and ``Const/init(hdf5:name:foldedAtCompileTime:)``. Write a file
/// with ``create(_:collective:_:)`` and the `write` methods (OP2's `op_write_hdf5`,
/// `op_write_const_hdf5`).
///
/// **Errors.** HDF5's own printing of its error stack is turned off (`H5Eset_auto`); every
/// failure is an ``OP2Error/hdf5(path:dataset:reason:)`` naming the file and the dataset, with
/// HDF5's message folded into the reason. Missing datasets, wrong shapes, wrong element types and
/// truncated data are found before anything is allocated for them.
///
/// **Threads.** Debian's parallel HDF5 is not built thread-safe, so every call into the library
/// from swift-op2 holds one process-wide lock.
public final class HDF5File: @unchecked Sendable {
  /// The path the file was opened or is being written as (used in errors).
  public let path: String
  private let id: hid_t
  /// The transfer list for reads and writes: collective MPI-IO, or the default.
  private let transfer: hid_t
  /// Whether the file was opened with the MPI-IO driver on every rank (collective writes).
  let isCollective: Bool
  private var isOpen = true

  private init(path: String, id: hid_t, transfer: hid_t, isCollective: Bool) {
    self.path = path
    self.id = id
    self.transfer = transfer
    self.isCollective = isCollective
  }

  deinit { HDF5Library.withLock { closeLocked() } }

  private func closeLocked() {
    guard isOpen else { return }
    isOpen = false
    H5Fclose(id)
    if transfer != op2shim_h5_default() { H5Pclose(transfer) }
    op2shim_h5_clear()
  }

  /// Opens an HDF5 file for reading, on this process alone (under MPI each rank opens it
  /// independently and reads only what it asks for).
  ///
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` when the file is missing, is not an HDF5
  ///   file, or cannot be opened (a truncated file fails here: HDF5 checks the end of file
  ///   against its superblock).
  public static func open(_ path: String) throws(OP2Error) -> HDF5File {
    try HDF5Library.locked { () throws(OP2Error) in
      guard access(path, R_OK) == 0 else {
        throw OP2Error.hdf5(path: path, dataset: "", reason: "cannot be opened: \(String(cString: strerror(errno)))")
      }
      guard isHDF5(path) else {
        throw OP2Error.hdf5(path: path, dataset: "", reason: "not an HDF5 file (no HDF5 signature)")
      }
      let id = op2shim_h5f_open_read(path, op2shim_h5_default())
      guard id >= 0 else { throw HDF5Library.error(path, "", "cannot be opened") }
      return HDF5File(path: path, id: id, transfer: op2shim_h5_default(), isCollective: false)
    }
  }

  /// Whether `path` starts with HDF5's 8-byte signature (`\x89HDF\r\n\x1a\n`), as every file OP2
  /// writes does. (HDF5 also allows the signature at offsets 512, 1024, …; such files are
  /// recognised by `HDF5File.open` but not here.)
  public static func isHDF5(_ path: String) -> Bool {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { Glibc.close(fd) }
    var bytes = [UInt8](repeating: 0, count: 8)
    let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 8) }
    return got == 8 && bytes == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
  }

  /// Closes the file now rather than when the object goes away. Further calls throw.
  public func close() {
    HDF5Library.withLock { closeLocked() }
  }

  // MARK: Reading

  /// The dimensions of dataset `name`.
  ///
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` when there is no such dataset.
  public func shape(of name: String) throws(OP2Error) -> [Int] {
    try HDF5Library.locked { () throws(OP2Error) in
      let dataset = try openDataset(name)
      defer { H5Dclose(dataset) }
      return try shape(dataset, name)
    }
  }

  /// Whether the file has a dataset (or other object) called `name`.
  public func contains(_ name: String) -> Bool {
    HDF5Library.withLock {
      let found = isOpen && op2shim_h5_exists(id, name) > 0
      op2shim_h5_clear()
      return found
    }
  }

  /// Reads rows `rows` of dataset `name` (all rows when nil), each `width` values, converted to
  /// `T` — with a hyperslab, so that only those rows are read from the file.
  ///
  /// The dataset must have one dimension (`width` 1) or two (the second equal to `width`), and,
  /// when `rowCount` is given, exactly that many rows. Its elements must be integers for an
  /// integer `T` and floating-point numbers for a floating-point `T`, no wider than `T`.
  ///
  /// - Parameters:
  ///   - name: The dataset, with or without a leading `/`.
  ///   - type: The element type to convert to (inferred from the result when omitted).
  ///   - rows: The rows to read; nil reads them all.
  ///   - width: Values per row.
  ///   - rowCount: The number of rows the dataset must have, or nil for any.
  /// - Returns: The rows' values, row after row.
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing dataset, a wrong shape or
  ///   element type, rows outside the dataset, or data missing from the file (truncated).
  public func read<T: OP2Scalar>(_ name: String, as type: T.Type = T.self, rows: Range<Int>? = nil, width: Int,
                                 rowCount: Int? = nil) throws(OP2Error) -> [T] {
    try HDF5Library.locked { () throws(OP2Error) in
      let dataset = try openDataset(name)
      defer { H5Dclose(dataset) }
      let dims = try shape(dataset, name)
      let label = Self.label(name)
      let fits = (dims.count == 1 && width == 1) || (dims.count == 2 && dims[1] == width)
      guard fits, rowCount == nil || dims[0] == rowCount! else {
        let want = rowCount.map(String.init) ?? "rows"
        throw OP2Error.hdf5(path: path, dataset: label,
                            reason: "has shape \(Self.render(dims)), expected (\(want), \(width))" + (width == 1 ? " or (\(want))" : ""))
      }
      let wanted = rows ?? 0..<dims[0]
      guard wanted.lowerBound >= 0, wanted.upperBound <= dims[0] else {
        throw OP2Error.hdf5(path: path, dataset: label, reason: "rows \(wanted) are outside its \(dims[0]) rows")
      }
      let (memtype, stored) = try checkType(dataset, label, T.self)
      // Data missing from the file (a truncated or never-written dataset) is found before
      // allocating: an unfiltered dataset must store every byte of its shape.
      var filtered: Int32 = 0
      let storage = Int(op2shim_h5_storage(dataset, &filtered))
      let logical = dims.reduce(1, *) * stored
      let fileSize = Int(op2shim_h5_file_size(id))
      if logical > 0, filtered == 0, storage < logical || storage > fileSize {
        throw OP2Error.hdf5(path: path, dataset: label,
                            reason: "holds \(storage) bytes of data in a \(fileSize)-byte file, but its shape \(Self.render(dims)) needs \(logical) (truncated file?)")
      }
      // A compressed dataset may expand, but not beyond what any HDF5 filter achieves (deflate's
      // limit is about 1032:1): the allocation stays bounded by the file.
      if filtered != 0, logical / 1_100 > max(storage, 1) {
        throw OP2Error.hdf5(path: path, dataset: label,
                            reason: "holds \(storage) compressed bytes for a shape \(Self.render(dims)) of \(logical) bytes: more than any filter expands")
      }
      var values = [T](repeating: 0, count: wanted.count * width)
      let e = values.withUnsafeMutableBytes { buffer in
        op2shim_h5_read_rows(dataset, memtype, Int32(dims.count), hsize_t(wanted.lowerBound), hsize_t(wanted.count),
                             hsize_t(width), transfer, buffer.baseAddress)
      }
      guard e >= 0 else { throw HDF5Library.error(path, label, "cannot be read") }
      return values
    }
  }

  /// Reads a set size as OP2 stores it: a 1-element integer dataset (`op_decl_set_hdf5`).
  ///
  /// - Throws: ``OP2Error/hdf5(path:dataset:reason:)`` for a missing dataset, one that is not a
  ///   single integer, or a negative size.
  public func count(_ name: String) throws(OP2Error) -> Int {
    let value: [Int64] = try read(name, width: 1, rowCount: 1)
    guard value[0] >= 0, value[0] <= Int64(Set.maxSize) else {
      throw OP2Error.hdf5(path: path, dataset: Self.label(name),
                          reason: "holds the set size \(value[0]), expected one in 0...\(Set.maxSize)")
    }
    return Int(value[0])
  }

  /// An integer attribute of dataset `name` (OP2's `dim` and `size`), or nil when it has none.
  public func integerAttribute(_ attribute: String, of name: String) throws(OP2Error) -> Int? {
    try HDF5Library.locked { () throws(OP2Error) in
      let dataset = try openDataset(name)
      defer { H5Dclose(dataset) }
      var value: Int32 = 0
      let got = op2shim_h5_attribute_int(dataset, attribute, &value)
      if got < 0 { throw HDF5Library.error(path, Self.label(name), "attribute \(attribute) is not a readable integer") }
      return got == 0 ? nil : Int(value)
    }
  }

  /// A fixed-length string attribute of dataset `name` (OP2's `type`), cut at its first NUL byte
  /// (OP2 writes `"int"` in 10 bytes with leftovers after the NUL), or nil when it has none.
  public func stringAttribute(_ attribute: String, of name: String) throws(OP2Error) -> String? {
    try HDF5Library.locked { () throws(OP2Error) in
      let dataset = try openDataset(name)
      defer { H5Dclose(dataset) }
      var buffer = [CChar](repeating: 0, count: 256)
      let got = op2shim_h5_attribute_string(dataset, attribute, &buffer, buffer.count)
      if got < 0 { throw HDF5Library.error(path, Self.label(name), "attribute \(attribute) is not a fixed-length string of under 256 bytes") }
      return got == 0 ? nil : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
  }

  // MARK: Writing

  /// Writes an HDF5 file atomically: `body` fills a new file that replaces `path` when it
  /// returns (a temporary file beside the real target, renamed over it; symbolic links followed,
  /// permissions kept, as ``OutputFile`` describes). If `body` throws, `path` is left as it was.
  ///
  /// With `collective` under `mpirun`, every rank must call this together: the file is opened
  /// with HDF5's MPI-IO driver on every rank, each `write` call is collective (every rank passes
  /// the same name, shape and row count, and its own rows), and each rank writes its rows with a
  /// hyperslab — no rank gathers the data. Otherwise only this process writes.
  ///
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when the target cannot be replaced (a
  ///   directory, a device: HDF5 needs a regular file); ``OP2Error/hdf5(path:dataset:reason:)``
  ///   when HDF5 fails; whatever `body` throws. Collective calls throw the same error on every rank.
  public static func create(_ path: String, collective: Bool = false,
                            _ body: (HDF5File) throws(OP2Error) -> Void) throws(OP2Error) {
    let communicator = collective ? MPIEnvironment.world : nil
    guard let communicator, communicator.size > 1 else {
      let temporary = try OutputFile.prepareTemporary(for: path)
      do {
        let file = try createFile(temporary.path, displayPath: path, communicator: nil)
        try body(file)
        try file.finish()
        try OutputFile.commit(temporary)
      } catch {
        OutputFile.discard(temporary)
        throw error
      }
      return
    }
    // Rank 0 makes the temporary file; every rank opens it with MPI-IO.
    var temporary: OutputFile.Temporary?
    let name = try ErrorAgreement.leaderRuns(on: communicator) { () throws(OP2Error) in
      temporary = try OutputFile.prepareTemporary(for: path)
      return temporary!.path
    }
    let shared = communicator.broadcast(name ?? "", root: 0)
    var failure: OP2Error?
    do {
      let file = try createFile(shared, displayPath: path, communicator: communicator)
      do {
        try body(file)
      } catch {
        failure = error
      }
      try file.finish()  // collective: every rank closes, whatever body did
    } catch {
      failure = failure ?? error
    }
    do {
      try communicator.agree(failure)
      _ = try ErrorAgreement.leaderRuns(on: communicator) { () throws(OP2Error) in try OutputFile.commit(temporary!) }
    } catch {
      if let temporary { OutputFile.discard(temporary) }
      throw error
    }
  }

  private static func createFile(_ temporary: String, displayPath: String, communicator: Communicator?) throws(OP2Error) -> HDF5File {
    try HDF5Library.locked { () throws(OP2Error) in
      var fapl = op2shim_h5_default()
      var transfer = op2shim_h5_default()
      if let communicator {
        fapl = op2shim_h5_fapl_mpio(communicator._handle)
        transfer = op2shim_h5_dxpl_collective()
        guard fapl >= 0, transfer >= 0 else { throw HDF5Library.error(displayPath, "", "cannot set up MPI-IO") }
      }
      let id = op2shim_h5f_create_truncate(temporary, fapl)
      if communicator != nil { H5Pclose(fapl) }
      guard id >= 0 else {
        if communicator != nil { H5Pclose(transfer) }
        throw HDF5Library.error(displayPath, "", "cannot be created (temporary file \(temporary))")
      }
      return HDF5File(path: displayPath, id: id, transfer: transfer, isCollective: communicator != nil)
    }
  }

  /// Flushes and closes a file being written; throws when HDF5 reports a failure.
  private func finish() throws(OP2Error) {
    try HDF5Library.locked { () throws(OP2Error) in
      guard isOpen else { return }
      isOpen = false
      let e = H5Fclose(id)
      if transfer != op2shim_h5_default() { H5Pclose(transfer) }
      if e < 0 { throw HDF5Library.error(path, "", "cannot be closed (write failed)") }
    }
  }

  /// Writes dataset `name`: `rowCount` rows of `width` values (a 2-dimensional dataset, or
  /// 1-dimensional when `oneDimensional`), of which this call supplies rows `rows` in `values`.
  ///
  /// Writing one process's file, `rows` is normally `0..<rowCount`. In a collective file every
  /// rank calls this with the same `name`, `rowCount`, `width` and attributes, and its own
  /// `rows` (the ranks' rows need not cover the dataset; unwritten rows read as zero).
  ///
  /// - Parameters:
  ///   - name: The dataset, at the file's root.
  ///   - values: `rows.count * width` values, row after row.
  ///   - rows: The rows these values are.
  ///   - rowCount: The dataset's rows.
  ///   - width: Values per row.
  ///   - oneDimensional: Whether the dataset has shape `(rowCount)` rather than `(rowCount, width)`
  ///     (OP2's set sizes and constants); needs `width` 1, or `rowCount` 1 for a constant's values.
  ///   - attributes: Integer attributes to attach (OP2's `dim`, `size`).
  ///   - type: The `type` string attribute, or nil for none.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)`` when `values` does not fit;
  ///   ``OP2Error/hdf5(path:dataset:reason:)`` when HDF5 fails. In a collective file the ranks
  ///   agree first (one small allgather), so that every rank throws the same error and none is
  ///   left inside an HDF5 collective call.
  public func write<T: OP2Scalar>(_ name: String, values: [T], rows: Range<Int>, rowCount: Int, width: Int,
                                  oneDimensional: Bool = false, attributes: [(String, Int)] = [],
                                  type: String? = nil) throws(OP2Error) {
    var problem: OP2Error?
    if values.count != rows.count * width {
      problem = .valueCountMismatch(object: "HDF5 dataset \(Self.label(name)) rows \(rows)", expected: rows.count * width, got: values.count)
    } else if rows.lowerBound < 0 || rows.upperBound > rowCount || width < 0 {
      problem = .hdf5(path: path, dataset: Self.label(name), reason: "rows \(rows) are outside its \(rowCount) rows")
    }
    // In a collective file every rank goes into HDF5's collective calls, or none does.
    let communicator = isCollective ? MPIEnvironment.world : nil
    if let communicator { try communicator.agree(problem) } else if let problem { throw problem }
    do {
      try writeLocked(name, values: values, rows: rows, rowCount: rowCount, width: width, oneDimensional: oneDimensional,
                      attributes: attributes, type: type)
    } catch {
      problem = error
    }
    if let communicator { try communicator.agree(problem) } else if let problem { throw problem }
  }

  private func writeLocked<T: OP2Scalar>(_ name: String, values: [T], rows: Range<Int>, rowCount: Int, width: Int,
                                         oneDimensional: Bool, attributes: [(String, Int)], type: String?) throws(OP2Error) {
    try HDF5Library.locked { () throws(OP2Error) in
      guard isOpen else { throw OP2Error.hdf5(path: path, dataset: Self.label(name), reason: "the file is closed") }
      let memtype = Self.memoryType(T.self)
      // A constant of `width` values is stored as (width); a set size as (1).
      let dims: [hsize_t] = oneDimensional ? [hsize_t(rowCount * width)] : [hsize_t(rowCount), hsize_t(width)]
      let flatRows = oneDimensional ? (rows.lowerBound * width)..<(rows.upperBound * width) : rows
      let dataset = values.withUnsafeBytes { buffer in
        dims.withUnsafeBufferPointer { d in
          op2shim_h5_create_write(id, name, memtype, memtype, Int32(dims.count), d.baseAddress,
                                  hsize_t(flatRows.lowerBound), hsize_t(flatRows.count), hsize_t(oneDimensional ? 1 : width),
                                  transfer, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 8))
        }
      }
      guard dataset >= 0 else { throw HDF5Library.error(path, Self.label(name), "cannot be written") }
      defer { H5Dclose(dataset) }
      for (attribute, value) in attributes where op2shim_h5_write_attribute_int(dataset, attribute, Int32(value)) < 0 {
        throw HDF5Library.error(path, Self.label(name), "attribute \(attribute) cannot be written")
      }
      if let type, op2shim_h5_write_attribute_string(dataset, "type", type) < 0 {
        throw HDF5Library.error(path, Self.label(name), "attribute type cannot be written")
      }
    }
  }

  // MARK: Helpers (called with the lock held)

  private func openDataset(_ name: String) throws(OP2Error) -> hid_t {
    let label = Self.label(name)
    guard isOpen else { throw OP2Error.hdf5(path: path, dataset: label, reason: "the file is closed") }
    guard op2shim_h5_exists(id, name) > 0 else {
      op2shim_h5_clear()
      throw OP2Error.hdf5(path: path, dataset: label, reason: "is missing: the file has no dataset of that name")
    }
    let dataset = H5Dopen2(id, name, op2shim_h5_default())
    guard dataset >= 0 else { throw HDF5Library.error(path, label, "cannot be opened as a dataset") }
    return dataset
  }

  private func shape(_ dataset: hid_t, _ name: String) throws(OP2Error) -> [Int] {
    var dims = [hsize_t](repeating: 0, count: 8)
    let n = op2shim_h5_shape(dataset, &dims, 8)
    guard n >= 0, n <= 8 else { throw HDF5Library.error(path, Self.label(name), "has no readable shape") }
    return dims.prefix(Int(n)).map { Int(clamping: $0) }
  }

  /// The memory type for `T` and the file element size, after checking that the dataset's
  /// elements convert to `T` without loss.
  private func checkType<T: OP2Scalar>(_ dataset: hid_t, _ label: String, _: T.Type) throws(OP2Error) -> (hid_t, Int) {
    var size = 0
    let found = op2shim_h5_type(dataset, &size)
    let integer = T.self is any BinaryInteger.Type
    let wanted = integer ? H5T_INTEGER.rawValue : H5T_FLOAT.rawValue
    guard found == wanted, size <= MemoryLayout<T>.size, size > 0 else {
      throw OP2Error.hdf5(path: path, dataset: label,
                          reason: "holds \(Self.describe(class: found, size: size)), expected \(integer ? "integers" : "floating-point numbers") of at most \(8 * MemoryLayout<T>.size) bits (\(T.cType))")
    }
    return (Self.memoryType(T.self), size)
  }

  private static func memoryType<T: OP2Scalar>(_: T.Type) -> hid_t {
    switch MemoryLayout<T>.size {
    case 4: T.self is any BinaryInteger.Type ? op2shim_h5_native_int() : op2shim_h5_native_float()
    default: T.self is any BinaryInteger.Type ? op2shim_h5_native_llong() : op2shim_h5_native_double()
    }
  }

  private static func describe(class c: Int32, size: Int) -> String {
    switch c {
    case H5T_INTEGER.rawValue: "\(8 * size)-bit integers"
    case H5T_FLOAT.rawValue: "\(8 * size)-bit floating-point numbers"
    case H5T_STRING.rawValue: "strings"
    case H5T_COMPOUND.rawValue: "compound records"
    default: "elements of HDF5 type class \(c)"
    }
  }

  static func label(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }
  static func render(_ dims: [Int]) -> String { "(" + dims.map(String.init).joined(separator: ", ") + ")" }
}

/// The process-wide lock around the HDF5 library, and its error handling.
enum HDF5Library {
  private static let lock = Mutex<Bool>(false)

  /// Runs `body` holding the lock, with HDF5's error printing turned off (on first use).
  static func locked<R>(_ body: () throws(OP2Error) -> R) throws(OP2Error) -> R {
    try lock.withLock { (silenced: inout Bool) throws(OP2Error) -> R in
      if !silenced {
        op2shim_h5_silence()
        silenced = true
      }
      return try body()
    }
  }

  /// ``locked(_:)`` for a body that cannot fail.
  static func withLock<R>(_ body: () -> R) -> R {
    lock.withLock { (silenced: inout Bool) -> R in
      if !silenced {
        op2shim_h5_silence()
        silenced = true
      }
      return body()
    }
  }

  /// An error for `path` and `dataset` whose reason is `what` followed by HDF5's error stack;
  /// clears the stack.
  static func error(_ path: String, _ dataset: String, _ what: String) -> OP2Error {
    var buffer = [CChar](repeating: 0, count: 1024)
    op2shim_h5_error_message(&buffer, buffer.count)
    let message = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return .hdf5(path: path, dataset: dataset, reason: message.isEmpty ? what : "\(what) (HDF5: \(message))")
  }
}
