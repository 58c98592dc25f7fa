/// Aligned, zero-initialised raw storage owned by one Dat, Global or Map.
///
/// The generated C wrappers receive plain pointers into this storage, so it must not move for
/// the lifetime of its owner: a Swift `Array` may reallocate or copy on write, this buffer never
/// does. The memory is 64-byte aligned (a cache line; what `-march=native` vector loads like) and
/// freed when the owner goes away. It is reached only from files whose names contain `Unsafe`
/// and through the closure-based accessors of its owner.
///
/// Not API: exported for inlining and tests only.
public final class _UnsafeDatBuffer: @unchecked Sendable {
  /// Start of the storage; valid while `self` is alive.
  package let baseAddress: UnsafeMutableRawPointer
  /// Size in bytes.
  package let byteCount: Int

  /// Allocates `byteCount` zeroed bytes (at least one, so the pointer is never dangling).
  package init(byteCount: Int) {
    precondition(byteCount >= 0, "_UnsafeDatBuffer: negative byte count \(byteCount)")
    self.byteCount = byteCount
    baseAddress = .allocate(byteCount: max(byteCount, 1), alignment: 64)
    baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
  }

  deinit { baseAddress.deallocate() }

  /// A typed view of the storage as `count` elements of `T`.
  package func typed<T>(_: T.Type) -> UnsafeMutableBufferPointer<T> {
    UnsafeMutableBufferPointer(
      start: baseAddress.assumingMemoryBound(to: T.self), count: byteCount / MemoryLayout<T>.stride)
  }

  /// Copies `values` into the start of the storage.
  package func store<T>(_ values: [T]) {
    precondition(values.count * MemoryLayout<T>.stride <= byteCount, "_UnsafeDatBuffer: overflow")
    values.withUnsafeBufferPointer { src in
      guard let s = src.baseAddress else { return }
      baseAddress.copyMemory(from: s, byteCount: src.count * MemoryLayout<T>.stride)
    }
  }

  /// The first `count` elements, copied into an array.
  package func load<T>(_: T.Type, count: Int) -> [T] {
    Array(UnsafeBufferPointer(start: baseAddress.assumingMemoryBound(to: T.self), count: count))
  }

  /// Sets every byte to zero.
  package func zero() {
    baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
  }

  /// Copies all bytes from another buffer of at least the same size.
  package func copyBytes(from other: _UnsafeDatBuffer) {
    baseAddress.copyMemory(from: other.baseAddress, byteCount: min(byteCount, other.byteCount))
  }
}

extension _UnsafeDatBuffer {
  /// `count` bytes from `offset`, copied into an array.
  package func loadBytes(offset: Int, count: Int) -> [UInt8] {
    precondition(offset >= 0 && count >= 0 && offset + count <= byteCount, "_UnsafeDatBuffer: byte range out of bounds")
    return Array(UnsafeRawBufferPointer(start: baseAddress + offset, count: count))
  }

  /// Copies `bytes` into the storage at `offset`.
  package func storeBytes(_ bytes: [UInt8], offset: Int) {
    precondition(offset >= 0 && offset + bytes.count <= byteCount, "_UnsafeDatBuffer: byte range out of bounds")
    bytes.withUnsafeBytes { src in
      guard let s = src.baseAddress else { return }
      (baseAddress + offset).copyMemory(from: s, byteCount: bytes.count)
    }
  }
}

extension _UnsafeDatBuffer {
  /// The bytes of `values`, in memory order (what a device buffer or kernel argument receives).
  package static func bytes<T: BitwiseCopyable>(of values: [T]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
  }
}
