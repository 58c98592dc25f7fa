/// A Dat's values, read in place: a random-access collection over its storage, without a copy.
///
/// Get one from ``Dat/withValues(_:)``, which first runs the queued loops that write the Dat.
/// Indexing costs one bounds check and one load, like an `Array`'s; iterating the whole view
/// reads the storage once. The view keeps the storage alive, but it is meant for the closure
/// only: a loop that runs later (when something forces it) changes what the view shows.
public struct DatValues<T: OP2Scalar>: RandomAccessCollection, @unchecked Sendable {
  private let buffer: _UnsafeDatBuffer
  /// The number of values: `dataSet.count`.
  public let count: Int

  init(buffer: _UnsafeDatBuffer, count: Int) {
    self.buffer = buffer
    self.count = count
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }

  /// Value `i` (element `i / dim`, component `i % dim`).
  /// - Precondition: `0 <= i < count`.
  public subscript(i: Int) -> T {
    precondition(i >= 0 && i < count, "DatValues: index \(i) out of range 0..<\(count)")
    return buffer.baseAddress.assumingMemoryBound(to: T.self)[i]
  }
}

/// A Dat's values, read and written in place; see ``Dat/withMutableValues(_:)``.
public struct MutableDatValues<T: OP2Scalar>: RandomAccessCollection, MutableCollection, @unchecked Sendable {
  private let buffer: _UnsafeDatBuffer
  /// The number of values: `dataSet.count`.
  public let count: Int

  init(buffer: _UnsafeDatBuffer, count: Int) {
    self.buffer = buffer
    self.count = count
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }

  /// Value `i` (element `i / dim`, component `i % dim`).
  /// - Precondition: `0 <= i < count`.
  public subscript(i: Int) -> T {
    get {
      precondition(i >= 0 && i < count, "MutableDatValues: index \(i) out of range 0..<\(count)")
      return buffer.baseAddress.assumingMemoryBound(to: T.self)[i]
    }
    nonmutating set {
      precondition(i >= 0 && i < count, "MutableDatValues: index \(i) out of range 0..<\(count)")
      buffer.baseAddress.assumingMemoryBound(to: T.self)[i] = newValue
    }
  }
}

extension Dat {
  /// Calls `body` with the values in place, after running the queued loops that write this Dat.
  ///
  /// No copy is made: `dat.withValues { v in v.reduce(0, +) }` reads the storage once, where
  /// summing `dat.data[i]` in a loop copies the whole Dat on every read. Forcing costs one look
  /// at the queue; the view itself costs what an `Array` does.
  ///
  /// - Parameter body: Reads the values; the view must not be used after it returns.
  /// - Returns: What `body` returns.
  /// - Throws: What `body` throws.
  public func withValues<R, E: Error>(_ body: (DatValues<T>) throws(E) -> R) throws(E) -> R {
    Runtime.current.prepareHostAccess(to: self, writing: false)
    return try body(DatValues(buffer: storage, count: dataSet.count))
  }

  /// Calls `body` with the values in place, writable, after running the queued loops that read
  /// or write this Dat (so none sees the new values early). The halo copy is marked stale.
  ///
  /// - Parameter body: Reads and writes the values; the view must not be used after it returns.
  /// - Returns: What `body` returns.
  /// - Throws: What `body` throws.
  public func withMutableValues<R, E: Error>(_ body: (MutableDatValues<T>) throws(E) -> R) throws(E) -> R {
    Runtime.current.prepareHostAccess(to: self, writing: true)
    haloState.markStale()
    return try body(MutableDatValues(buffer: storage, count: dataSet.count))
  }
}
