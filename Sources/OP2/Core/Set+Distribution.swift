/// Where a ``Set``'s elements lie on this rank, in OP2's order:
///
/// ```
/// 0 ..< core            owned, touch no halo data (run while halo messages are in flight)
/// core ..< owned        owned, touch the halo through some map
/// owned ..< executed    exec halo: other ranks' elements executed here redundantly, because they
///                       write owned data through a map
/// executed ..< total    non-exec halo: other ranks' elements only read here
/// ```
///
/// Without MPI, or before partitioning, every element is owned and core.
package struct SetLayout: Equatable, Sendable {
  package var core: Int
  package var owned: Int
  package var executed: Int
  package var total: Int
  /// Elements over all ranks.
  package var global: Int
  /// Whether the set was declared as one block per rank (``Set/init(globalSize:localSize:name:)``)
  /// and is not partitioned yet.
  package var declaredInBlocks = false
  /// The global index of this rank's first element of a set declared in blocks, when known
  /// without communication.
  package var blockStart: Int?

  package init(core: Int, owned: Int, executed: Int, total: Int, global: Int) {
    self.core = core
    self.owned = owned
    self.executed = executed
    self.total = total
    self.global = global
  }

  /// A set whose `size` elements are all here.
  package init(whole size: Int) {
    self.init(core: size, owned: size, executed: size, total: size, global: size)
  }
}

extension Set {
  /// Owned elements that touch no halo data: `0..<coreSize` runs while halo exchanges are in
  /// flight (PyOP2's `Set.core_size`). Equal to ``size`` when the set is not distributed.
  public var coreSize: Int { layout.core }
  /// Owned elements plus the exec halo: the elements a loop that writes through a map runs on
  /// (OP2's `exec_size`). Equal to ``size`` when the set is not distributed.
  public var executedSize: Int { layout.executed }
  /// Every element stored on this rank: owned, exec halo and non-exec halo (PyOP2's
  /// `Set.total_size`). Dats on the set hold `totalSize × dim` values.
  public var totalSize: Int { layout.total }
  /// Elements over all ranks (the size the set was declared with).
  public var globalSize: Int { layout.global }
  /// Whether ``OP2/partition(primary:map:method:)`` distributed the set over the ranks.
  public var isDistributed: Bool { distribution != nil }

  /// The global (as-declared) index of each local element, `totalSize` of them: owned elements
  /// first, then the halo.
  ///
  /// Without MPI, and for a set that is not distributed, this is `0..<size` (offset by the block
  /// start for a set declared in blocks, when known).
  public var globalIndices: [Int] {
    if let distribution { return distribution.globalIndices }
    let start = layout.blockStart ?? 0
    return Array(start..<(start + layout.total))
  }

  /// Declares this rank's block of a set of `globalSize` elements: the large-mesh path, where no
  /// rank holds the whole mesh.
  ///
  /// Each rank declares its own block of consecutive elements — by default the even split,
  /// elements `globalSize * rank / ranks ..< globalSize * (rank + 1) / ranks`; with `localSize`,
  /// any sizes that add up to `globalSize` in rank order. Maps from the set hold one row per
  /// element of the block, with *global* indices of their target set; Dats on it hold the
  /// block's values. Nothing runs over the set until ``OP2/partition(primary:map:method:)``
  /// distributes it (which checks, on every rank, that the blocks add up).
  ///
  /// ```swift
  /// let cells = try Set(globalSize: 720_000, name: "cells")        // this rank's block
  /// let first = cells.globalIndices.first ?? 0                    // read rows first ..< first + cells.size
  /// let pcell = try Map(from: cells, to: nodes, arity: 4, values: rowsFromMyPartOfTheFile, name: "pcell")
  /// try OP2.partition(primary: cells, map: pcell)
  /// ```
  ///
  /// Without MPI (one rank) the block is the whole set.
  ///
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for a negative size, or a
  ///   `localSize` other than `globalSize` on a single rank.
  public convenience init(globalSize: Int, localSize: Int? = nil, name: String? = nil) throws(OP2Error) {
    let label = "Set \"\(name ?? "?")\""
    guard globalSize >= 0 else { throw .invalidSize(object: label, what: "global size (at least 0)", value: globalSize) }
    let ranks = OP2.rankCount, rank = OP2.rank
    let local: Int
    var start: Int?
    if let localSize {
      guard localSize >= 0, localSize <= globalSize else {
        throw .invalidSize(object: label, what: "local size (in 0...\(globalSize))", value: localSize)
      }
      guard ranks > 1 || localSize == globalSize else {
        throw .invalidSize(object: label, what: "local size (the whole set, \(globalSize), on a single rank)", value: localSize)
      }
      local = localSize
      if ranks == 1 { start = 0 }
    } else {
      let block = Set.evenBlock(globalSize: globalSize, rank: rank, rankCount: ranks)
      local = block.count
      start = block.lowerBound
    }
    self.init(size: local, name: name)
    var layout = SetLayout(whole: local)
    layout.global = globalSize
    layout.declaredInBlocks = ranks > 1
    layout.blockStart = start
    install(layout: layout, distribution: nil)
  }

  /// The elements of rank `rank`'s block in the even split of `globalSize` elements over
  /// `rankCount` ranks: `globalSize * rank / rankCount ..< globalSize * (rank + 1) / rankCount`.
  ///
  /// The split ``init(globalSize:localSize:name:)`` declares by default, and the one block readers
  /// such as ``OP2GridReader/readBlock(contentsOf:rank:rankCount:)`` read, so that the two agree.
  /// Blocks differ in size by at most one, and a rank past the elements gets an empty block.
  package static func evenBlock(globalSize: Int, rank: Int, rankCount: Int) -> Range<Int> {
    precondition(globalSize >= 0 && rankCount >= 1 && (0..<rankCount).contains(rank),
                 "Set.evenBlock: rank \(rank) of \(rankCount), \(globalSize) elements")
    // In full width: globalSize * rank may pass Int.max for absurd rank counts.
    func bound(_ r: Int) -> Int {
      let (high, low) = globalSize.multipliedFullWidth(by: r)
      return rankCount.dividingFullWidth((high, low)).quotient
    }
    return bound(rank)..<bound(rank + 1)
  }
}
