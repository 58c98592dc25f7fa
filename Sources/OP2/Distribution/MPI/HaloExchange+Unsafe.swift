import Foundation

/// The halo exchange of one or more Dats on one set: pack the owned elements each neighbour
/// imports, send them, receive the halo from each neighbour, unpack (OP2's `op_exchange_halo` /
/// `op_wait_all`).
///
/// All the Dats of one exchange travel together — one message per neighbour, each element's rows
/// of every Dat side by side — so a loop that reads `q` and `adt` through the same cells sends
/// half the messages it would send per Dat (latency dominates small partitions). Messages go with
/// `MPI_Isend`/`MPI_Irecv` from buffers the set keeps between exchanges
/// (``_SetDistribution/exchangeBuffers(rowBytes:)``), so that a loop can run its core elements
/// while they are in flight. Each exchange of a loop has its own tag, and every rank posts a
/// loop's exchanges in the same order, so messages cannot be mistaken for one another.
package struct HaloExchange {
  private let data: [any _ArgData]
  private let distribution: _SetDistribution
  private let buffers: Buffers
  /// Bytes of each Dat's element, and of all of them together.
  private let rowBytes: [Int]
  private let totalRowBytes: Int

  /// Send and receive buffers for one total row size, one pair per neighbour, allocated once,
  /// and the sends still in flight from them.
  ///
  /// A loop waits for its *receives* only: a send of more than the eager limit completes when the
  /// neighbour copies it out (Open MPI's single-copy shared memory), which it does when it next
  /// waits, so waiting for our sends would tie each rank to its neighbour's pace. The sends are
  /// completed before the buffer is packed again, and before MPI ends.
  final class Buffers {
    let send: [UnsafeMutableRawPointer]
    let receive: [UnsafeMutableRawPointer]
    var pendingSends: Communicator.Requests?
    init(_ distribution: _SetDistribution, rowBytes: Int) {
      send = distribution.exports.map { .allocate(byteCount: max(1, $0.elements.count * rowBytes), alignment: 64) }
      receive = distribution.imports.map { .allocate(byteCount: max(1, $0.elements.count * rowBytes), alignment: 64) }
      PendingSends.track(self)
    }
    /// Waits for the sends posted from these buffers.
    func completeSends() {
      pendingSends?.wait()
      pendingSends = nil
    }
    deinit {
      completeSends()
      for p in send { p.deallocate() }
      for p in receive { p.deallocate() }
    }
  }

  /// Prepares the exchange of the halos of `data`, Dats on one distributed set; nil when there
  /// is nothing to exchange.
  package init?(_ data: [any _ArgData]) {
    guard let distribution = data.first?.set?.distribution,
          data.allSatisfy({ $0.halo != nil && $0.set?.distribution === distribution }) else { return nil }
    self.data = data
    self.distribution = distribution
    // An extruded set's element is a column: `layers × dim` values, stored contiguously.
    rowBytes = data.map { $0.dim * $0.elementSize * ($0.set?.entitiesPerElement ?? 1) }
    totalRowBytes = rowBytes.reduce(0, +)
    buffers = distribution.exchangeBuffers(rowBytes: totalRowBytes)
  }

  /// Bytes this rank sends.
  package var bytesSent: Int { distribution.exports.reduce(0) { $0 + $1.elements.count } * totalRowBytes }

  /// Posts the receives on `receives`, then packs and posts the sends (which complete on their
  /// own time: see ``Buffers``).
  package func post(receiving receives: Communicator.Requests, tag: Int32) {
    for (k, neighbour) in distribution.imports.enumerated() {
      receives.receive(into: buffers.receive[k], bytes: neighbour.elements.count * totalRowBytes, from: neighbour.rank, tag: tag)
    }
    buffers.completeSends()
    let sends = distribution.communicator.requests(capacity: distribution.exports.count)
    for (k, neighbour) in distribution.exports.enumerated() {
      var offset = 0
      for (d, width) in zip(data, rowBytes) {
        let base = d.storage.baseAddress, out = buffers.send[k] + offset
        neighbour.elements.withUnsafeBufferPointer { elements in
          for (j, e) in elements.enumerated() {
            (out + j * totalRowBytes).copyMemory(from: base + Int(e) * width, byteCount: width)
          }
        }
        offset += width
      }
      sends.send(buffers.send[k], bytes: neighbour.elements.count * totalRowBytes, to: neighbour.rank, tag: tag)
    }
    buffers.pendingSends = sends
  }

  /// Unpacks what arrived (after the receives completed) and marks the halos current.
  package func finish() {
    for (k, neighbour) in distribution.imports.enumerated() {
      var offset = 0
      for (d, width) in zip(data, rowBytes) {
        let base = d.storage.baseAddress, incoming = UnsafeRawPointer(buffers.receive[k] + offset)
        neighbour.elements.withUnsafeBufferPointer { elements in
          for (j, e) in elements.enumerated() {
            (base + Int(e) * width).copyMemory(from: incoming + j * totalRowBytes, byteCount: width)
          }
        }
        offset += width
      }
    }
    for d in data { d.halo?.markCurrent() }
  }
}

extension _SetDistribution {
  /// The send and receive buffers for exchanges of `rowBytes` bytes per element, made on first
  /// use and kept while the set lives (a handful of sizes: one per combination of Dats that loops
  /// exchange together). Used only by the thread that runs loops.
  func exchangeBuffers(rowBytes: Int) -> HaloExchange.Buffers {
    if let known = bufferCache[rowBytes] { return known }
    let made = HaloExchange.Buffers(self, rowBytes: rowBytes)
    bufferCache[rowBytes] = made
    return made
  }
}

/// Every set of exchange buffers that may have sends in flight, so that they complete before
/// `MPI_Finalize` (pending requests at finalisation are an error).
enum PendingSends {
  private struct Weak { weak var buffers: HaloExchange.Buffers? }
  nonisolated(unsafe) private static var all: [Weak] = []
  private static let lock = NSLock()
  private static let finalizer: Void = MPIEnvironment.addFinalizer(.communication) { PendingSends.completeAll() }

  static func track(_ buffers: HaloExchange.Buffers) {
    _ = finalizer
    lock.withLock {
      all.removeAll { $0.buffers == nil }
      all.append(Weak(buffers: buffers))
    }
  }

  static func completeAll() {
    for w in lock.withLock({ all }) { w.buffers?.completeSends() }
  }
}
