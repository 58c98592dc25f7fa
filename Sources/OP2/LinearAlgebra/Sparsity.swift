import Synchronization

/// The nonzero pattern of a ``Mat``: which (row, column) pairs of a pair of DataSets an assembly
/// loop can touch.
///
/// A sparsity is built from (row map, column map) pairs over the same iteration set: element `e`
/// touches every pair (`rowMap[e][i]`, `colMap[e][j]`). Entries are *nodes* (elements of the
/// DataSets' sets); with `dim > 1` each node pair stands for a `rowDim × colDim` block of scalar
/// entries (a PETSc matrix of block size `dim`).
///
/// When rows and columns are the same DataSet (a square pattern), every diagonal entry is in
/// the pattern too, whether or not an element touches it, as PyOP2 reserves it: so that
/// ``Mat/zeroRows(_:diagonal:symmetric:solution:rhs:)`` can put a diagonal on any node (PETSc
/// refuses a row without a stored diagonal, "Matrix is missing diagonal entry").
///
/// **MPI.** For distributed sets the pattern is this rank's part: the rows are its owned row
/// nodes (`0..<rows.set.size`), built from the map rows of every element it executes (owned and
/// exec halo, `from.executedSize`), which together touch every entry of those rows; columns are
/// *local* column nodes (owned `0..<cols.set.size`, then halo, up to `cols.set.totalSize`). A
/// distributed ``Mat`` renumbers the columns to the contiguous numbering across ranks for
/// PETSc's `MatMPIAIJSetPreallocationCSR`. A pattern built before partitioning is not reused
/// after it. On an ``ExtrudedSet`` made after partitioning the nodes are its entities: the rows
/// are the owned columns' `size × layers` entities, built from every executed column's cells,
/// and the columns local entities (column `c`, layer `k` at `c * layers + k`, halo columns
/// after the owned ones).
///
/// Building costs O(E · arityᵣ · arity꜀) time and memory for E elements — a counting sort by row,
/// then a small sort and deduplication per row, no per-entry dictionaries — about 0.1 s for a P1
/// triangle mesh of 10⁶ cells. Sparsities are cached by their DataSets and maps: building the
/// same one twice returns the first (while it is alive), so Mats on one mesh share it.
///
/// ```swift
/// let pattern = try Sparsity(rows: nodes ** 1, cols: nodes ** 1, maps: [(cellToNode, cellToNode)])
/// let A = try Mat<Double>(pattern, name: "A")
/// ```
///
/// The corresponding PyOP2 class is `op2.Sparsity`; OP2-Common has none (its matrices were removed).
public struct Sparsity: Hashable, Sendable, CustomStringConvertible {
  /// The pattern; for a mixed sparsity, block (0, 0)'s (see ``blocks``).
  package let storage: _SparsityStorage
  /// The blocks of a sparsity over ``MixedDataSet``s; nil for a plain one.
  package let mixed: _MixedSparsity?

  /// Builds (or finds in the cache) the pattern of the given map pairs.
  ///
  /// - Parameters:
  ///   - rows: The row DataSet; every row map must map to its set.
  ///   - cols: The column DataSet; every column map must map to its set.
  ///   - maps: (row map, column map) pairs; the two maps of a pair start from the same set.
  ///   - name: A name for messages; defaults to `sparsity_<rows>_<cols>`.
  /// - Throws: ``OP2Error/invalidSparsity(sparsity:reason:)`` for an empty list, a map that leads
  ///   to the wrong set, or a pair whose maps start from different sets;
  ///   ``OP2Error/unsupportedOnExtrudedSet(set:reason:)`` for an ``ExtrudedSet`` made before its
  ///   base was partitioned (extrude after ``OP2/partition(primary:map:method:)``).
  public init(rows: DataSet, cols: DataSet, maps: [(Map, Map)], name: String? = nil) throws(OP2Error) {
    let name = name ?? "sparsity_\(rows.set.name)_\(cols.set.name)"
    guard !maps.isEmpty else { throw .invalidSparsity(sparsity: name, reason: "no (row map, column map) pairs were given") }
    for (rowMap, colMap) in maps {
      guard rowMap.to === rows.set else {
        throw .invalidSparsity(sparsity: name, reason: "row map \(rowMap.name) maps to \(rowMap.to.name) but the rows are on \(rows.set.name)")
      }
      guard colMap.to === cols.set else {
        throw .invalidSparsity(sparsity: name, reason: "column map \(colMap.name) maps to \(colMap.to.name) but the columns are on \(cols.set.name)")
      }
      guard rowMap.from === colMap.from else {
        throw .invalidSparsity(sparsity: name, reason: "row map \(rowMap.name) starts from \(rowMap.from.name) but column map \(colMap.name) starts from \(colMap.from.name)")
      }
    }
    for case let set as ExtrudedSet in [rows.set, cols.set] + maps.map(\.0.from) where !set.followsBase {
      throw .unsupportedOnExtrudedSet(set: set.name, reason: "sparsity \(name): its base \(set.base.name) was partitioned after the extruded set was made; extrude the base after OP2.partition")
    }
    storage = _SparsityStorage.cached(rows: rows, cols: cols, maps: maps.map { MapPair(rows: $0.0, cols: $0.1) }, name: name)
    mixed = nil
  }

  package init(mixed: _MixedSparsity) {
    storage = mixed.blocks[0][0].storage
    self.mixed = mixed
  }

  /// The square pattern of one map used for both rows and columns (a P1 stiffness matrix).
  ///
  /// - Throws: as ``init(rows:cols:maps:name:)-(DataSet,_,_,_)``.
  public init(_ dataSet: DataSet, map: Map, name: String? = nil) throws(OP2Error) {
    try self.init(rows: dataSet, cols: dataSet, maps: [(map, map)], name: name)
  }

  /// The row DataSet.
  public var rows: DataSet { storage.rows }
  /// The column DataSet.
  public var cols: DataSet { storage.cols }
  /// The (row map, column map) pairs the pattern was built from.
  public var maps: [(Map, Map)] { storage.maps.map { ($0.rows, $0.cols) } }
  /// The name used in messages.
  public var name: String { mixed?.name ?? storage.name }
  /// Nonzero node pairs (blocks); the scalar nonzeros are `blockNonzeroCount * rows.dim * cols.dim`.
  public var blockNonzeroCount: Int { storage.columns.count }
  /// The pattern in compressed-row form, as PETSc's `MatSeqAIJSetPreallocationCSR` takes it:
  /// the column nodes of row node `r` are `columnIndices[rowOffsets[r]..<rowOffsets[r + 1]]`.
  /// One offset per row node and one more: `rows.set.size + 1` (times layers on an
  /// ``ExtrudedSet``, whose nodes are its entities); the owned row nodes under MPI.
  public var rowOffsets: [Int32] { storage.rowOffsets }
  /// Column nodes, ascending within each row; see ``rowOffsets``. Local column nodes under MPI
  /// (owned, then halo).
  public var columnIndices: [Int32] { storage.columns }
  /// The column nodes of row node `row`, ascending (local nodes under MPI).
  /// - Precondition: `0 <= row < rows.set.size` (an owned row node under MPI).
  public func columns(ofRow row: Int) -> ArraySlice<Int32> {
    storage.columns[Int(storage.rowOffsets[row])..<Int(storage.rowOffsets[row + 1])]
  }

  /// Whether the pattern was built from this pair of maps.
  public func contains(rows rowMap: Map, cols colMap: Map) -> Bool {
    storage.maps.contains { $0.rows === rowMap && $0.cols === colMap }
  }

  public static func == (lhs: Sparsity, rhs: Sparsity) -> Bool { lhs.storage === rhs.storage && lhs.mixed === rhs.mixed }
  public func hash(into hasher: inout Hasher) {
    hasher.combine(ObjectIdentifier(storage))
    if let mixed { hasher.combine(ObjectIdentifier(mixed)) }
  }
  public var description: String {
    if let mixed { return "Sparsity(\"\(name)\", \(mixed.rows) × \(mixed.cols), \(mixed.rows.count)×\(mixed.cols.count) blocks)" }
    return "Sparsity(\"\(name)\", \(rows) × \(cols), \(blockNonzeroCount) blocks)"
  }
}

package struct MapPair: Sendable {
  package let rows: Map
  package let cols: Map
}

/// The pattern in compressed-row form at node (block) level, shared by equal Sparsities.
///
/// Rows are this rank's owned row nodes (`0..<rows.set.size`), built from the map rows of every
/// element the rank executes (`from.executedSize`: owned and exec halo), so that each owned row
/// sees every element that touches it; entries of halo rows are skipped. Columns are local nodes
/// (`0..<cols.set.totalSize`, owned then halo). Without MPI every count is the set's size and this
/// is the whole pattern.
package final class _SparsityStorage: Sendable {
  package let rows: DataSet
  package let cols: DataSet
  package let maps: [MapPair]
  package let name: String
  /// `rows.set.size + 1` offsets into ``columns`` (PETSc's `i`).
  package let rowOffsets: [Int32]
  /// Local column nodes, ascending within each row (PETSc's `j` for a sequential Mat).
  package let columns: [Int32]
  /// The distributions the pattern was built under (rows, columns, each map's source set), kept
  /// alive so that their identities in the cache key cannot be reused while the entry lives.
  private let distributions: [_SetDistribution?]

  private init(rows: DataSet, cols: DataSet, maps: [MapPair], name: String, distributions: [_SetDistribution?]) {
    self.rows = rows
    self.cols = cols
    self.maps = maps
    self.name = name
    self.distributions = distributions
    (rowOffsets, columns) = Self.build(rowCount: rows.set.size * rows.set.entitiesPerElement, maps: maps, diagonal: rows == cols)
  }

  private struct Key: Hashable {
    var rows: ObjectIdentifier, rowDim: Int, cols: ObjectIdentifier, colDim: Int, maps: [ObjectIdentifier]
    /// The distributions in effect: a pattern built before partitioning is not the one after.
    var distributions: [ObjectIdentifier?]
  }
  private final class WeakBox: @unchecked Sendable { weak var value: _SparsityStorage? }
  /// Live sparsities by DataSets and maps. A live entry holds its maps, so their identifiers
  /// cannot be reused by new maps while it is cached.
  private static let cache = Mutex<[Key: WeakBox]>([:])

  static func cached(rows: DataSet, cols: DataSet, maps: [MapPair], name: String) -> _SparsityStorage {
    let distributions = [rows.set.distribution, cols.set.distribution] + maps.map { $0.rows.from.distribution }
    let key = Key(rows: ObjectIdentifier(rows.set), rowDim: rows.dim, cols: ObjectIdentifier(cols.set), colDim: cols.dim,
                  maps: maps.flatMap { [ObjectIdentifier($0.rows), ObjectIdentifier($0.cols)] },
                  distributions: distributions.map { $0.map(ObjectIdentifier.init) })
    if let found = cache.withLock({ $0[key]?.value }) { return found }
    let built = _SparsityStorage(rows: rows, cols: cols, maps: maps, name: name, distributions: distributions)
    return cache.withLock { table in
      if let raced = table[key]?.value { return raced }
      table = table.filter { $0.value.value != nil }
      let box = WeakBox()
      box.value = built
      table[key] = box
      return built
    }
  }

  /// The sparsities alive now.
  package static func live() -> [_SparsityStorage] {
    cache.withLock { table in table.values.compactMap(\.value) }
  }

  /// The columns in the contiguous numbering of the column set across ranks (PETSc's global
  /// node numbers, ``Set/contiguousEntityNumbers``: for an ``ExtrudedSet``, column number ×
  /// layers + layer), ascending within each row:
  /// the `j` that `MatMPIAIJSetPreallocationCSR` takes. The local columns when not distributed.
  package func contiguousColumns() -> [Int32] {
    guard let numbers = cols.set.contiguousEntityNumbers else { return columns }
    var out = columns.map { Int32(numbers[Int($0)]) }
    for r in 0..<(rowOffsets.count - 1) {
      let lo = Int(rowOffsets[r]), hi = Int(rowOffsets[r + 1])
      out[lo..<hi].sort()
    }
    return out
  }

  /// Counting sort of every (row, column) pair by row, then sort and deduplicate each row.
  /// `rowCount` rows (the owned row nodes); map rows of every executed element are read, and
  /// entries in rows at or past `rowCount` (halo rows) skipped. With `diagonal`, every row also
  /// gets its own node as a column (square patterns, as PyOP2 reserves them), so that
  /// `MatZeroRows` can put a diagonal on a node no element touches.
  /// A pair's row and column entries per element: the maps' values, or for maps from an
  /// ``ExtrudedSet`` one element per cell (column `c`, layer `k`: `c * (layers - 1) + k`) with
  /// the offsets applied, since a cell couples the entities of its own layer. Under MPI the
  /// columns are the executed ones (owned and exec halo, as the maps hold them in local numbers).
  private static func elementEntries(_ pair: MapPair) -> (rows: [Int32], cols: [Int32], elements: Int) {
    guard let extruded = pair.rows.from as? ExtrudedSet else {
      return (pair.rows.values, pair.cols.values, pair.rows.from.executedSize)
    }
    let cellLayers = extruded.layers - 1
    func perCell(_ map: Map) -> [Int32] {
      let footprint = map.layerFootprint(cellLayers: cellLayers), arity = map.arity
      var out = [Int32](repeating: 0, count: footprint.count)
      for c in 0..<extruded.executedSize { for j in 0..<arity { for k in 0..<cellLayers {
        out[(c * cellLayers + k) * arity + j] = footprint[(c * arity + j) * cellLayers + k]
      } } }
      return out
    }
    return (perCell(pair.rows), perCell(pair.cols), extruded.executedSize * cellLayers)
  }

  private static func build(rowCount: Int, maps: [MapPair], diagonal: Bool) -> ([Int32], [Int32]) {
    var counts = [Int](repeating: 0, count: rowCount + 1)
    let entries = maps.map(elementEntries)
    for (pair, e) in zip(maps, entries) {
      let ac = pair.cols.arity
      for r in e.rows.prefix(e.elements * pair.rows.arity) where Int(r) < rowCount { counts[Int(r) + 1] += ac }
    }
    if diagonal { for r in 0..<rowCount { counts[r + 1] += 1 } }
    for i in 0..<rowCount { counts[i + 1] += counts[i] }
    var next = counts
    var scratch = [Int32](repeating: 0, count: counts[rowCount])
    if diagonal {
      for r in 0..<rowCount {
        scratch[next[r]] = Int32(r)
        next[r] += 1
      }
    }
    for (pair, entry) in zip(maps, entries) {
      let rv = entry.rows, cv = entry.cols, ar = pair.rows.arity, ac = pair.cols.arity
      for e in 0..<entry.elements {
        for i in 0..<ar {
          let r = Int(rv[e * ar + i])
          guard r < rowCount else { continue }
          var p = next[r]
          for j in 0..<ac { scratch[p] = cv[e * ac + j]; p += 1 }
          next[r] = p
        }
      }
    }
    var offsets = [Int32](repeating: 0, count: rowCount + 1)
    var out = 0
    for r in 0..<rowCount {
      let lo = counts[r], hi = counts[r + 1]
      // Rows are short (a node's neighbours): insertion sort beats the generic sort there.
      if hi - lo <= 32 {
        var i = lo + 1
        while i < hi {
          let v = scratch[i]
          var k = i - 1
          while k >= lo, scratch[k] > v { scratch[k + 1] = scratch[k]; k -= 1 }
          scratch[k + 1] = v
          i += 1
        }
      } else {
        scratch[lo..<hi].sort()
      }
      var last: Int32 = -1
      for k in lo..<hi where scratch[k] != last {
        last = scratch[k]
        scratch[out] = last
        out += 1
      }
      offsets[r + 1] = Int32(out)
    }
    scratch.removeLast(scratch.count - out)
    return (offsets, scratch)
  }
}
