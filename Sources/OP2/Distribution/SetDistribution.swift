/// What a distributed ``Set`` knows about the other ranks: its communicator, the global index of
/// each local element, and which elements it exchanges with which neighbour.
///
/// Import lists name local halo elements (exec halo, then non-exec halo) in the order the owner
/// sends them; export lists name owned elements in the order each neighbour receives them. A
/// Dat's halo exchange sends `exports[k]` to `exports[k].rank` and unpacks what
/// `imports[k].rank` sends into `imports[k]`'s elements.
package final class _SetDistribution: @unchecked Sendable {
  /// The elements one neighbour receives from us, or we from it.
  package struct Neighbour: Sendable {
    package var rank: Int
    package var elements: [Int32]
  }

  package let communicator: Communicator
  /// Global (as-declared) index of each local element: owned first, then the halo.
  package let globalIndices: [Int]
  /// Owned elements each neighbour imports, in its import order; ascending by rank.
  package let exports: [Neighbour]
  /// Halo elements each neighbour sends us, in its export order; ascending by rank.
  package let imports: [Neighbour]
  /// The contiguous numbering of owned elements across ranks (rank 0's first), as PETSc numbers
  /// rows: owned element `i` is `numberingOffset + i`.
  package let numberingOffset: Int
  /// The contiguous number of each halo element (element `owned + k` is `haloNumbers[k]`).
  package let haloNumbers: [Int]
  /// Halo-exchange buffers by bytes per element (see ``exchangeBuffers(rowBytes:)``).
  nonisolated(unsafe) var bufferCache: [Int: HaloExchange.Buffers] = [:]

  package init(communicator: Communicator, globalIndices: [Int], exports: [Neighbour], imports: [Neighbour],
               numberingOffset: Int, haloNumbers: [Int]) {
    self.communicator = communicator
    self.globalIndices = globalIndices
    self.exports = exports
    self.imports = imports
    self.numberingOffset = numberingOffset
    self.haloNumbers = haloNumbers
  }

  /// The contiguous number of every local element (owned, then halo).
  package func contiguousNumbers(owned: Int) -> [Int] {
    Array(numberingOffset..<(numberingOffset + owned)) + haloNumbers
  }
}
