extension Sparsity {
  /// Builds the block pattern of a mixed space: block (i, j) is the ``Sparsity`` of row
  /// component `i` and column component `j`, built from map `i` of each row ``MixedMap`` paired
  /// with map `j` of its column ``MixedMap``.
  ///
  /// A ``Mat`` over it is a block matrix (PETSc `MATNEST` of one AIJ Mat per block); loops fill
  /// one block at a time through `A[i, j]` (see ``Mat/subscript(_:_:)``).
  ///
  /// ```swift
  /// let space = try MixedDataSet([nodes ** 2, nodes ** 1])
  /// let c2s = try MixedMap([cellToNode, cellToNode])
  /// let pattern = try Sparsity(rows: space, cols: space, maps: [(c2s, c2s)], name: "stokes")
  /// ```
  ///
  /// For a mixed sparsity, ``rows``, ``cols``, ``rowOffsets`` and ``columnIndices`` describe block
  /// (0, 0); ``mixedRows``, ``mixedCols`` and ``blocks`` describe the whole.
  ///
  /// - Throws: ``OP2Error/invalidMixed(object:reason:)`` for no map pairs or a mixed map whose
  ///   component count differs from its data set's; ``OP2Error/invalidSparsity(sparsity:reason:)``
  ///   for a block whose maps do not fit (as for a plain Sparsity).
  public init(rows: MixedDataSet, cols: MixedDataSet, maps: [(MixedMap, MixedMap)], name: String? = nil) throws(OP2Error) {
    let name = name ?? "sparsity_\(rows.set.name)_\(cols.set.name)"
    guard !maps.isEmpty else { throw .invalidMixed(object: "Sparsity \"\(name)\"", reason: "no (row map, column map) pairs were given") }
    for (r, c) in maps {
      guard r.count == rows.count else {
        throw .invalidMixed(object: "Sparsity \"\(name)\"", reason: "row MixedMap \(r.name) has \(r.count) maps but the rows \(rows) have \(rows.count) components")
      }
      guard c.count == cols.count else {
        throw .invalidMixed(object: "Sparsity \"\(name)\"", reason: "column MixedMap \(c.name) has \(c.count) maps but the columns \(cols) have \(cols.count) components")
      }
    }
    var blocks: [[Sparsity]] = []
    for i in 0..<rows.count {
      var row: [Sparsity] = []
      for j in 0..<cols.count {
        row.append(try Sparsity(rows: rows[i], cols: cols[j], maps: maps.map { ($0.0.maps[i], $0.1.maps[j]) }, name: "\(name)[\(i),\(j)]"))
      }
      blocks.append(row)
    }
    self.init(mixed: _MixedSparsity(rows: rows, cols: cols, blocks: blocks, name: name))
  }

  /// The square block pattern of one mixed map used for rows and columns.
  /// - Throws: as ``init(rows:cols:maps:name:)-(MixedDataSet,_,_,_)``.
  public init(_ dataSet: MixedDataSet, map: MixedMap, name: String? = nil) throws(OP2Error) {
    try self.init(rows: dataSet, cols: dataSet, maps: [(map, map)], name: name)
  }

  /// Whether the sparsity is over ``MixedDataSet``s (a block pattern).
  public var isMixed: Bool { mixed != nil }
  /// The row data sets of a mixed sparsity; nil for a plain one.
  public var mixedRows: MixedDataSet? { mixed?.rows }
  /// The column data sets of a mixed sparsity; nil for a plain one.
  public var mixedCols: MixedDataSet? { mixed?.cols }
  /// The blocks of a mixed sparsity, `blocks[i][j]` for row component `i` and column component
  /// `j`; `[[self]]` for a plain one.
  public var blocks: [[Sparsity]] { mixed?.blocks ?? [[self]] }
}

/// The block structure of a mixed ``Sparsity``.
package final class _MixedSparsity: Sendable {
  package let rows: MixedDataSet
  package let cols: MixedDataSet
  package let blocks: [[Sparsity]]
  package let name: String

  init(rows: MixedDataSet, cols: MixedDataSet, blocks: [[Sparsity]], name: String) {
    self.rows = rows
    self.cols = cols
    self.blocks = blocks
    self.name = name
  }
}
