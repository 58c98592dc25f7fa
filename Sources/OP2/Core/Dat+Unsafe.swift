extension Dat {
  /// Calls `body` with the storage, read-only, after running the queued loops that write it.
  public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<T>) throws(E) -> R) throws(E) -> R {
    Runtime.current.prepareHostAccess(to: self, writing: false)
    let typed = storage.typed(T.self)
    return try body(UnsafeBufferPointer(start: typed.baseAddress, count: dataSet.count))
  }

  /// Calls `body` with the storage, writable, after running the queued loops that use it.
  /// The pointer must not escape `body`.
  public func withUnsafeMutableBufferPointer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<T>) throws(E) -> R) throws(E) -> R {
    Runtime.current.prepareHostAccess(to: self, writing: true)
    haloState.markStale()
    let typed = storage.typed(T.self)
    return try body(UnsafeMutableBufferPointer(start: typed.baseAddress, count: dataSet.count))
  }
}
