import Foundation

/// OP2's `op_partition` for swift-op2: partitions the primary set, derives the partition of every
/// other set through the maps, migrates every Set, Map and Dat to its owners, builds the halos and
/// renumbers everything to local indices.
///
/// The input is each set in consecutive blocks over the ranks — the block a rank declared
/// (``Set/init(globalSize:localSize:name:)``), or its even share of a set every rank declared
/// whole — so no step needs a whole mesh on one rank. Every step is a few all-to-all exchanges
/// against the blocks' owners (``BlockDirectory``):
///
/// 1. check, on every rank, that the ranks declared the same objects and that the blocks add up;
/// 2. partition the primary set (PT-Scotch, METIS, coordinate bisection, blocks, or the user's
///    array) on its graph through the primary map;
/// 3. give every other set the part of a neighbour: an element follows the first element it maps
///    to in a partitioned set (edges follow their first cell), or else the lowest part among the
///    partitioned elements that map to it (nodes follow their cells); sets connected to nothing
///    keep their blocks;
/// 4. move each element, with its map rows and Dat values, to its part;
/// 5. build the halos, number the elements `[core | owned | exec halo | non-exec halo]`, and
///    renumber the maps (see ``Decomposition/buildHalos()``).
package final class Decomposition {
  /// One set being distributed.
  final class Piece {
    let set: Set
    let index: Int
    var block: BlockDirectory
    /// The part of each element of this rank's block.
    var blockPart: [Int32] = []
    var partitioned = false
    /// Maps from this set, and Dats on it.
    var outgoing: [MapPiece] = []
    var dats: [DatPiece] = []
    /// After migration: the global indices of the owned elements, ascending.
    var owned: [Int] = []
    init(set: Set, index: Int, block: BlockDirectory) {
      self.set = set
      self.index = index
      self.block = block
    }
  }

  /// One map being distributed; rows hold global indices of the target until renumbering.
  final class MapPiece {
    let map: Map
    let from: Int, to: Int
    var arity: Int { map.arity }
    var blockRows: [Int32] = []
    var ownedRows: [Int32] = []
    init(map: Map, from: Int, to: Int) {
      self.map = map
      self.from = from
      self.to = to
    }
  }

  /// One Dat being distributed, as raw rows of `rowBytes` bytes.
  final class DatPiece {
    let dat: any _DistributableData
    let set: Int
    let rowBytes: Int
    var blockBytes: [UInt8] = []
    var ownedBytes: [UInt8] = []
    init(dat: any _DistributableData, set: Int) {
      self.dat = dat
      self.set = set
      rowBytes = dat.dataSet.dim * dat.elementSize
    }
  }

  let communicator: Communicator
  var rank: Int { communicator.rank }
  var ranks: Int { communicator.size }
  var pieces: [Piece] = []
  var maps: [MapPiece] = []
  var dats: [DatPiece] = []
  let primary: Int
  let primaryMap: MapPiece
  let method: OP2.PartitionMethod
  /// Seconds per step, for reports.
  package private(set) var timings: [(step: String, seconds: Double)] = []

  /// Collects the live, not yet distributed objects and checks, collectively, that the ranks
  /// agree on them and on the input.
  package init(primary: Set, map: Map, method: OP2.PartitionMethod, communicator: Communicator) throws(OP2Error) {
    self.communicator = communicator
    self.method = method
    let registry = DistributedRegistry.shared
    let sets = registry.sets.filter { !$0.isDistributed }
    var position: [ObjectIdentifier: Int] = [:]
    for (i, s) in sets.enumerated() { position[ObjectIdentifier(s)] = i }
    // Block layouts: whole sets are cut evenly; declared blocks are as declared (one allgather).
    let localSizes = communicator.allgather(sets.map { $0.layout.declaredInBlocks ? $0.size : -1 })
    for (i, s) in sets.enumerated() {
      let block = s.layout.declaredInBlocks
        ? BlockDirectory(blockSizes: localSizes.map { $0[i] }, rank: communicator.rank)
        : BlockDirectory(evenSplitOf: s.size, ranks: communicator.size, rank: communicator.rank)
      pieces.append(Piece(set: s, index: i, block: block))
    }
    for m in registry.maps {
      guard let f = position[ObjectIdentifier(m.from)], let t = position[ObjectIdentifier(m.to)] else { continue }
      let piece = MapPiece(map: m, from: f, to: t)
      maps.append(piece)
      pieces[f].outgoing.append(piece)
    }
    for d in registry.dats {
      guard let s = position[ObjectIdentifier(d.dataSet.set)] else { continue }
      let piece = DatPiece(dat: d, set: s)
      dats.append(piece)
      pieces[s].dats.append(piece)
    }
    let primaryIndex = position[ObjectIdentifier(primary)]
    let mapPiece = maps.first { $0.map === map }
    try communicator.agree(Self.check(primary: primary, map: map, method: method, primaryIndex: primaryIndex, mapPiece: mapPiece,
                                      pieces: pieces, maps: maps, dats: dats, rank: communicator.rank, ranks: communicator.size))
    try communicator.agree(Self.checkSameDeclarations(pieces: pieces, maps: maps, dats: dats, primary: primaryIndex!,
                                                      map: mapPiece!, communicator: communicator))
    self.primary = primaryIndex!
    primaryMap = mapPiece!
  }

  /// Runs every step and installs the result.
  package func run() throws(OP2Error) {
    var clock = ContinuousClock.now
    func lap(_ step: String) {
      let now = ContinuousClock.now
      timings.append((step, Double((now - clock) / .nanoseconds(1)) / 1e9))
      clock = now
    }
    sliceBlocks()
    lap("blocks")
    try partitionPrimary()
    lap("partition")
    deriveParts()
    lap("derive")
    migrate()
    lap("migrate")
    buildHalos()
    lap("halos")
    // Checked with the other OP2_* variables by OP2.Configuration.fromEnvironment.
    if communicator.rank == 0, (try? Setting.flag("OP2_PARTITION_REPORT", ProcessInfo.processInfo.environment["OP2_PARTITION_REPORT"])) == true {
      print("OP2.partition on \(ranks) ranks: " + timings.map { "\($0.step) \(String(format: "%.3f", $0.seconds)) s" }.joined(separator: ", "))
    }
  }

  // MARK: Checks

  private static func check(primary: Set, map: Map, method: OP2.PartitionMethod, primaryIndex: Int?, mapPiece: MapPiece?,
                            pieces: [Piece], maps: [MapPiece], dats: [DatPiece], rank: Int, ranks: Int) -> OP2Error? {
    func invalid(_ reason: String) -> OP2Error { .invalidPartitionInput(rank: rank, reason: reason) }
    guard primaryIndex != nil else {
      return invalid(primary.isDistributed ? "set \(primary.name) is already distributed" : "set \(primary.name) is not a live set of this program")
    }
    guard let mapPiece, mapPiece.from == primaryIndex else {
      return invalid("map \(map.name) does not start from the primary set \(primary.name) (it maps \(map.from.name) → \(map.to.name))")
    }
    for p in pieces where p.set.layout.declaredInBlocks && p.block.globalSize != p.set.globalSize {
      return invalid("the blocks of set \(p.set.name) add up to \(p.block.globalSize) elements, but it was declared with globalSize \(p.set.globalSize)")
    }
    for m in maps where pieces[m.from].set.layout.declaredInBlocks || pieces[m.to].set.layout.declaredInBlocks {
      let size = pieces[m.to].set.globalSize
      if let bad = m.map.values.firstIndex(where: { $0 < 0 || Int($0) >= size }) {
        let first = pieces[m.from].set.layout.declaredInBlocks ? pieces[m.from].block.local.lowerBound * m.arity : 0
        return .mapValueOutOfRange(map: m.map.name, entry: first + bad, value: Int(m.map.values[bad]),
                                   targetSet: pieces[m.to].set.name, targetSize: size)
      }
    }
    for storage in _SparsityStorage.live() where pieces.contains(where: { $0.set === storage.rows.set || $0.set === storage.cols.set }) {
      return .partitionAfterMatrices(sparsity: storage.name)
    }
    switch method {
    case .given(let parts):
      let block = pieces[primaryIndex!].block
      let expected = primary.layout.declaredInBlocks ? block.local.count : primary.size
      guard parts.count == expected else {
        return invalid("the partition array has \(parts.count) entries but set \(primary.name) has \(expected)"
                       + (primary.layout.declaredInBlocks ? " in this rank's block" : ""))
      }
      if let bad = parts.firstIndex(where: { $0 < 0 || $0 >= ranks }) {
        return invalid("partition entry \(bad) is \(parts[bad]), outside 0..<\(ranks) ranks")
      }
    case .geometric(let coordinates):
      let set = coordinates.dataSet.set
      guard set === primary || set === map.to else {
        return invalid("coordinates \(coordinates.name) are on \(set.name), not on \(primary.name) or \(map.to.name)")
      }
      guard (1...3).contains(coordinates.dataSet.dim) else {
        return invalid("coordinates \(coordinates.name) have \(coordinates.dataSet.dim) values per element, not 1, 2 or 3")
      }
      guard pieces.contains(where: { $0.set === set }) else {
        return invalid("coordinates \(coordinates.name) are on a set that is already distributed")
      }
    case .automatic, .ptscotch, .metis, .block:
      break
    }
    return nil
  }

  /// A summary of what this rank declared; every rank must declare the same.
  private static func checkSameDeclarations(pieces: [Piece], maps: [MapPiece], dats: [DatPiece], primary: Int, map: MapPiece,
                                            communicator: Communicator) -> OP2Error? {
    var lines = pieces.map { "set \($0.set.name) \($0.set.globalSize)\($0.set.layout.declaredInBlocks ? " blocks" : "")" }
    lines += maps.map { "map \($0.map.name) \($0.from)→\($0.to) ×\($0.arity)" }
    lines += dats.map { "dat \($0.dat.name) on \($0.set) ×\($0.dat.dataSet.dim) \($0.dat.cType)" }
    lines.append("primary \(primary) through \(map.map.name)")
    let mine = lines.joined(separator: "\n")
    let reference = communicator.broadcast(mine, root: 0)
    guard mine != reference else { return nil }
    let theirs = reference.split(separator: "\n").map(String.init)
    let difference = zip(lines, theirs).first { $0 != $1 }.map { "\"\($0.0)\" where rank 0 has \"\($0.1)\"" }
      ?? "\(lines.count) objects where rank 0 has \(theirs.count)"
    return .invalidPartitionInput(rank: communicator.rank, reason: "the ranks declared different Sets, Maps or Dats: \(difference)")
  }

  // MARK: Blocks

  /// This rank's block of every map and Dat: the whole declaration for sets declared in blocks,
  /// the even share of sets declared whole.
  private func sliceBlocks() {
    for m in maps {
      let p = pieces[m.from]
      if p.set.layout.declaredInBlocks {
        m.blockRows = m.map.values
      } else {
        let r = p.block.local
        m.blockRows = Array(m.map.values[(r.lowerBound * m.arity)..<(r.upperBound * m.arity)])
      }
    }
    for d in dats {
      let p = pieces[d.set]
      let first = p.set.layout.declaredInBlocks ? 0 : p.block.local.lowerBound
      d.dat.prepareHostStorage(writing: false)
      d.blockBytes = d.dat.storage.loadBytes(offset: first * d.rowBytes, count: p.block.local.count * d.rowBytes)
    }
  }

  // MARK: Parts

  private func partitionPrimary() throws(OP2Error) {
    let p = pieces[primary]
    let count = p.block.local.count
    switch method {
    case .block:
      p.blockPart = [Int32](repeating: Int32(rank), count: count)
    case .given(let parts):
      let slice = p.set.layout.declaredInBlocks ? parts[...] : parts[p.block.local]
      p.blockPart = slice.map { Int32($0) }
    case .automatic, .ptscotch:
      p.blockPart = try GraphPartitioning.partition(primaryGraph(coordinates: nil), parts: ranks, method: .ptscotch,
                                                    communicator: communicator, symmetricByConstruction: true)
    case .metis:
      p.blockPart = try GraphPartitioning.partition(primaryGraph(coordinates: nil), parts: ranks, method: .metis,
                                                    communicator: communicator, symmetricByConstruction: true)
    case .geometric(let coordinates):
      p.blockPart = try GraphPartitioning.partition(primaryGraph(coordinates: coordinates), parts: ranks, method: .geometric,
                                                    communicator: communicator, symmetricByConstruction: true)
    }
    p.partitioned = true
  }

  /// Gives every set a part, in rounds: in each round, a set that maps to a set partitioned
  /// before the round follows it (through its first such map, element by element: slot 0);
  /// otherwise a set that a partitioned set maps to takes, per element, the lowest part of the
  /// elements mapping to it. What is left keeps its blocks.
  private func deriveParts() {
    while true {
      let known = pieces.map(\.partitioned)
      var progress = false
      for p in pieces where !p.partitioned {
        if let m = p.outgoing.first(where: { known[$0.to] }) {
          let target = pieces[m.to]
          let keys = stride(from: 0, to: m.blockRows.count, by: m.arity).map { Int(m.blockRows[$0]) }
          p.blockPart = target.block.fetch(target.blockPart, keys: keys, on: communicator)
        } else if let m = maps.first(where: { $0.to == p.index && known[$0.from] }) {
          let source = pieces[m.from]
          var pairs: [(key: Int, value: Int32)] = []
          pairs.reserveCapacity(m.blockRows.count)
          for (k, t) in m.blockRows.enumerated() { pairs.append((Int(t), source.blockPart[k / m.arity])) }
          p.blockPart = p.block.minimum(of: pairs, fallback: Int32(rank), on: communicator)
        } else {
          continue
        }
        p.partitioned = true
        progress = true
      }
      if !progress { break }
    }
    for p in pieces where !p.partitioned {
      p.blockPart = [Int32](repeating: Int32(rank), count: p.block.local.count)
      p.partitioned = true
    }
  }

  // MARK: Migration

  /// Sends every element of this rank's blocks, with its map rows and Dat values, to its part,
  /// and sorts what arrives by global index.
  private func migrate() {
    for p in pieces {
      let start = p.block.local.lowerBound
      var destinations = [[Int]](repeating: [], count: ranks)
      for (i, part) in p.blockPart.enumerated() { destinations[Int(part)].append(i) }
      let ids = communicator.alltoall(destinations.map { $0.map { start + $0 } }).flatMap { $0 }
      let order = ids.indices.sorted { ids[$0] < ids[$1] }
      p.owned = order.map { ids[$0] }
      for m in p.outgoing {
        let arity = m.arity
        let rows = communicator.alltoall(destinations.map { list in
          var out = [Int32]()
          out.reserveCapacity(list.count * arity)
          for i in list { out.append(contentsOf: m.blockRows[(i * arity)..<((i + 1) * arity)]) }
          return out
        }).flatMap { $0 }
        m.ownedRows = Self.permuteRows(rows, width: arity, order: order)
        m.blockRows = []
      }
      for d in p.dats {
        let width = d.rowBytes
        let bytes = communicator.alltoall(destinations.map { list in
          var out = [UInt8]()
          out.reserveCapacity(list.count * width)
          for i in list { out.append(contentsOf: d.blockBytes[(i * width)..<((i + 1) * width)]) }
          return out
        }).flatMap { $0 }
        d.ownedBytes = Self.permuteRows(bytes, width: width, order: order)
        d.blockBytes = []
      }
    }
  }

  /// Rows `order[0], order[1], …` of `values` (rows of `width` values).
  static func permuteRows<V>(_ values: [V], width: Int, order: [Int]) -> [V] {
    var out = [V]()
    out.reserveCapacity(order.count * width)
    for i in order { out.append(contentsOf: values[(i * width)..<((i + 1) * width)]) }
    return out
  }
}
