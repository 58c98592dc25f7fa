/// One Dat's halo exchange: pack the owned elements each neighbour imports, send them, receive
/// the halo from each neighbour, unpack (OP2's `op_exchange_halo` / `op_wait_all`).
///
/// Messages go with `MPI_Isend`/`MPI_Irecv` from buffers the Dat keeps between exchanges
/// (``_HaloState/buffers``), so that a loop can run its core elements while they are in flight.
/// Each exchange of a loop has its own tag, and every rank posts a loop's exchanges in the same
/// order, so messages cannot be mistaken for one another.
package struct HaloExchange {
  private let data: any _ArgData
  private let halo: _HaloState
  private let distribution: _SetDistribution
  private let buffers: Buffers
  private let rowBytes: Int

  /// Send and receive buffers of one Dat, one pair per neighbour, allocated once.
  final class Buffers {
    let send: [UnsafeMutableRawPointer]
    let receive: [UnsafeMutableRawPointer]
    init(_ distribution: _SetDistribution, rowBytes: Int) {
      send = distribution.exports.map { .allocate(byteCount: max(1, $0.elements.count * rowBytes), alignment: 64) }
      receive = distribution.imports.map { .allocate(byteCount: max(1, $0.elements.count * rowBytes), alignment: 64) }
    }
    deinit {
      for p in send { p.deallocate() }
      for p in receive { p.deallocate() }
    }
  }

  /// Prepares the exchange of `data`'s halo; nil when the data has no halo to exchange.
  package init?(_ data: any _ArgData) {
    guard let halo = data.halo, let distribution = data.set?.distribution else { return nil }
    self.data = data
    self.halo = halo
    self.distribution = distribution
    rowBytes = data.dim * data.elementSize
    if let known = halo.buffers as? Buffers {
      buffers = known
    } else {
      buffers = Buffers(distribution, rowBytes: rowBytes)
      halo.buffers = buffers
    }
  }

  /// Bytes this rank sends.
  package var bytesSent: Int { distribution.exports.reduce(0) { $0 + $1.elements.count } * rowBytes }

  /// Posts the receives, packs and posts the sends.
  package func post(on requests: Communicator.Requests, tag: Int32) {
    for (k, neighbour) in distribution.imports.enumerated() {
      requests.receive(into: buffers.receive[k], bytes: neighbour.elements.count * rowBytes, from: neighbour.rank, tag: tag)
    }
    let base = data.storage.baseAddress, width = rowBytes
    for (k, neighbour) in distribution.exports.enumerated() {
      let out = buffers.send[k]
      neighbour.elements.withUnsafeBufferPointer { elements in
        for (j, e) in elements.enumerated() {
          (out + j * width).copyMemory(from: base + Int(e) * width, byteCount: width)
        }
      }
      requests.send(out, bytes: neighbour.elements.count * rowBytes, to: neighbour.rank, tag: tag)
    }
  }

  /// Unpacks what arrived (after the requests completed) and marks the halo current.
  package func finish() {
    let base = data.storage.baseAddress, width = rowBytes
    for (k, neighbour) in distribution.imports.enumerated() {
      let incoming = UnsafeRawPointer(buffers.receive[k])
      neighbour.elements.withUnsafeBufferPointer { elements in
        for (j, e) in elements.enumerated() {
          (base + Int(e) * width).copyMemory(from: incoming + j * width, byteCount: width)
        }
      }
    }
    halo.markCurrent()
  }
}
