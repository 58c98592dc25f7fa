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

extension Set {
  /// PETSc's number of this rank's first owned entity, `numberingOffset × entitiesPerElement`; nil
  /// when the set is not distributed. The entities of an ``ExtrudedSet`` (layers per column) are
  /// numbered column by column, so each rank's owned columns hold a contiguous range of numbers.
  package var entityNumberingOffset: Int? { distribution.map { $0.numberingOffset * entitiesPerElement } }

  /// The contiguous (PETSc) number of every local entity, owned then halo: entity `k` of local
  /// element `i` (local entity `i * entitiesPerElement + k`, an ``ExtrudedSet``'s column `i` at
  /// layer `k`) is `n(i) * entitiesPerElement + k`, `n(i)` the element's number in
  /// ``_SetDistribution/contiguousNumbers(owned:)``. Nil when the set is not distributed.
  package var contiguousEntityNumbers: [Int]? {
    guard let distribution else { return nil }
    let numbers = distribution.contiguousNumbers(owned: size)
    let per = entitiesPerElement
    guard per > 1 else { return numbers }
    var out = [Int]()
    out.reserveCapacity(numbers.count * per)
    for n in numbers { for k in 0..<per { out.append(n * per + k) } }
    return out
  }

  /// The local entity (owned `0..<size * entitiesPerElement`, then halo) of contiguous entity
  /// number `number`, or nil when it is on no element of this rank; `halo` maps the halo
  /// elements' contiguous numbers to their local elements (see ``haloElementsByNumber()``).
  package func localEntity(ofNumber number: Int, halo: [Int: Int]) -> Int? {
    guard let distribution else { return number }
    let per = entitiesPerElement
    let element = number / per, layer = number % per
    let owned = element - distribution.numberingOffset
    if (0..<size).contains(owned) { return owned * per + layer }
    return halo[element].map { $0 * per + layer }
  }

  /// The halo elements' contiguous numbers → their local elements (`size + k` for halo element `k`).
  package func haloElementsByNumber() -> [Int: Int] {
    var halo: [Int: Int] = [:]
    for (k, number) in (distribution?.haloNumbers ?? []).enumerated() { halo[number] = size + k }
    return halo
  }
}
