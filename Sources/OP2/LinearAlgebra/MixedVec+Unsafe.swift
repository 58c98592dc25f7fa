/// A ``MixedDat``'s owned values laid end to end, component after component: the local part of
/// the PETSc Vec a block (`MATNEST`) Mat multiplies, whose rows on each rank are component 0's
/// owned rows, then component 1's, and so on.
package struct _MixedVec {
  package let storage: _UnsafeDatBuffer
  package let vec: _VecStorage

  /// A zeroed vector shaped as `dats` (owned values only); with `copying`, holding their values.
  package init<T: MatScalar>(_ dats: [Dat<T>], copying: Bool) {
    let stride = MemoryLayout<T>.stride
    let count = dats.reduce(0) { $0 + $1.dataSet.count }
    let global = dats.reduce(0) { $0 + $1.dataSet.set.globalSize * $1.dataSet.dim }
    storage = _UnsafeDatBuffer(byteCount: count * stride)
    if copying {
      var offset = 0
      for d in dats {
        let bytes = d.dataSet.count * stride
        (storage.baseAddress + offset).copyMemory(from: d.storage.baseAddress, byteCount: bytes)
        offset += bytes
      }
    }
    vec = _VecStorage(storage: storage, count: count, blockSize: 1,
                      communicator: dats[0].dataSet.set.distribution?.communicator, globalCount: global)
  }

  /// Copies the values back into `dats`' owned values, component after component.
  package func scatter<T: MatScalar>(into dats: [Dat<T>]) {
    let stride = MemoryLayout<T>.stride
    var offset = 0
    for d in dats {
      let bytes = d.dataSet.count * stride
      d.storage.baseAddress.copyMemory(from: storage.baseAddress + offset, byteCount: bytes)
      offset += bytes
    }
  }
}
