/// One pass of the sparse-tiling inspector (see ``TilePlan``): per tracked Dat entry, the latest
/// tile (by time) that wrote, read and incremented it (`multiple` when several tiles of that time
/// did); when tiles run at once, the colours whose tiles incremented it (a bit each) and the first
/// two tiles that did (`multiple` in the second once a third did); and the last tile to touch it
/// (for the adjacency of tiles). Its arrays are raw buffers: the inspector touches several per
/// access of millions of elements (airfoil: 3.6 million per chain), and array bounds and
/// uniqueness checks tripled its time.
final class InspectorPass {
  static let multiple: Int32 = -2
  let remainder: Int32
  /// Each tile's time, the remainder's last.
  let timeOf: [Int32]
  let remainderTime: Int32
  let atOnce: Bool
  let neighbours: [Swift.Set<Int32>]
  /// The first tile of each colour (valid for an element that must follow a colour, if far).
  let firstOfColour: [Int32]
  private let count: Int
  private let writeTile, writeTime, readTile, readTime, incTile, incTime, incBy, incBy2, lastTile: UnsafeMutablePointer<Int32>
  private let incColours: UnsafeMutablePointer<UInt64>
  private let recordsAdjacency: Bool
  private(set) var adjacency: [Swift.Set<Int32>]
  /// The pair of tiles last added to `adjacency` (most shared entries repeat it).
  private var lastPair: (Int32, Int32) = (-1, -1)

  init(entries total: Int, tileCount: Int, times: (colours: [Int32], neighbours: [Swift.Set<Int32>])?, recordsAdjacency: Bool) {
    remainder = Int32(tileCount)
    atOnce = times != nil
    let colourCount = Int32((times?.colours.max() ?? 0) + 1)
    remainderTime = atOnce ? colourCount : Int32(tileCount)
    timeOf = (times?.colours ?? (0..<Int32(tileCount)).map { $0 }) + [remainderTime]
    neighbours = times?.neighbours ?? []
    var first = [Int32](repeating: Int32(tileCount), count: Int(colourCount) + 1)
    if let times {
      for t in (0..<tileCount).reversed() { first[Int(times.colours[t])] = Int32(t) }
    }
    firstOfColour = first
    let count = max(total, 1)
    self.count = count
    func buffer() -> UnsafeMutablePointer<Int32> {
      let p = UnsafeMutablePointer<Int32>.allocate(capacity: count)
      p.initialize(repeating: -1, count: count)
      return p
    }
    writeTile = buffer(); writeTime = buffer(); readTile = buffer(); readTime = buffer()
    incTile = buffer(); incTime = buffer(); incBy = buffer(); incBy2 = buffer(); lastTile = buffer()
    incColours = .allocate(capacity: count)
    incColours.initialize(repeating: 0, count: count)
    self.recordsAdjacency = recordsAdjacency
    adjacency = recordsAdjacency ? Array(repeating: [], count: tileCount) : []
  }

  deinit {
    for p in [writeTile, writeTime, readTile, readTime, incTile, incTime, incBy, incBy2, lastTile] { p.deallocate() }
    incColours.deallocate()
  }

  /// Places every element of one loop (`size` elements, `width` accesses each) and returns each
  /// element's tile; `natural` gives an element's own tile.
  func run(size: Int, width: Int, targets: [Int32], kinds: [TilePlan.AccessKind], natural: (Int) -> Int32) -> [Int32] {
    precondition(targets.count == size * width && kinds.count == width, "inspector: access layout of the wrong size")
    var tileOf = [Int32](repeating: 0, count: size)
    targets.withUnsafeBufferPointer { t in
      kinds.withUnsafeBufferPointer { k in
        tileOf.withUnsafeMutableBufferPointer { out in
          for e in 0..<size {
            out[e] = place(targets: t.baseAddress! + e * width, kinds: k.baseAddress!, width: width, natural: natural(e))
          }
        }
      }
    }
    return tileOf
  }

  @inline(__always)
  private static func follow(_ t: Int32, _ tile: Int32, _ maxTime: inout Int32, _ maxTile: inout Int32, _ seen: inout Int32) {
    guard t >= 0 else { return }
    if t > maxTime { maxTime = t; maxTile = tile; seen = tile } else if t == maxTime, tile != maxTile { maxTile = multiple }
  }

  /// Whether `tile` may run an element whose accesses are `targets` and that must follow
  /// `maxTime` (and `maxTile` at that time): after what it follows, and none of its increments
  /// at once with another tile's increments of the same entry.
  private func valid(_ tile: Int32, maxTime: Int32, maxTile: Int32, targets: UnsafePointer<Int32>,
                     kinds: UnsafePointer<TilePlan.AccessKind>, width: Int) -> Bool {
    guard tile >= 0, timeOf[Int(tile)] > maxTime || tile == maxTile else { return false }
    guard atOnce, tile != remainder else { return true }
    let colour = timeOf[Int(tile)], bit = UInt64(1) << UInt64(colour)
    for k in 0..<width where kinds[k] == .increment {
      let x = Int(targets[k])
      guard incColours[x] & bit != 0 else { continue }
      // Some tile of this colour incremented the entry: only `tile` itself may have.
      let first = incBy[x], second = incBy2[x]
      if second == Self.multiple { return false }
      if first != tile, first >= 0, timeOf[Int(first)] == colour { return false }
      if second != tile, second >= 0, timeOf[Int(second)] == colour { return false }
    }
    return true
  }

  /// Chooses the tile of one element and records its accesses. Reads follow writes and
  /// increments, increments follow writes and reads, writes follow everything; increments need
  /// no order among themselves (they commute), only never two at once from different tiles.
  private func place(targets: UnsafePointer<Int32>, kinds: UnsafePointer<TilePlan.AccessKind>, width: Int, natural: Int32) -> Int32 {
    var maxTime: Int32 = -1, maxTile: Int32 = -1, seen: Int32 = -1
    for k in 0..<width {
      let x = Int(targets[k])
      Self.follow(writeTime[x], writeTile[x], &maxTime, &maxTile, &seen)
      if kinds[k] != .increment { Self.follow(incTime[x], incTile[x], &maxTime, &maxTile, &seen) }
      if kinds[k] != .read { Self.follow(readTime[x], readTile[x], &maxTime, &maxTile, &seen) }
    }
    func isValid(_ tile: Int32) -> Bool { valid(tile, maxTime: maxTime, maxTile: maxTile, targets: targets, kinds: kinds, width: width) }
    var tile = remainder
    if maxTime < 0 || isValid(natural) && natural == maxTile {
      // Nothing to follow (or the element's own block is the tile to follow).
      if isValid(natural) { tile = natural }
    } else if maxTile != Self.multiple, isValid(maxTile) {
      // The latest tile to follow.
      tile = maxTile
    }
    if tile == remainder, atOnce, maxTime + 1 < remainderTime {
      // A tile of a later colour next to one the element follows (or to its own block), the
      // earliest colour first; else the first tile of the next colour.
      var best = remainderTime
      for around in [seen, natural] where around >= 0 && around < remainder {
        for t in neighbours[Int(around)] where timeOf[Int(t)] < best && isValid(t) {
          best = timeOf[Int(t)]
          tile = t
        }
      }
      let next = firstOfColour[Int(maxTime + 1)]
      if tile == remainder, isValid(next) { tile = next }
    }
    record(tile, targets: targets, kinds: kinds, width: width)
    return tile
  }

  /// Records the accesses of an element placed in `tile`.
  private func record(_ tile: Int32, targets: UnsafePointer<Int32>, kinds: UnsafePointer<TilePlan.AccessKind>, width: Int) {
    let tt = timeOf[Int(tile)]
    for k in 0..<width {
      let x = Int(targets[k])
      if recordsAdjacency {
        let other = lastTile[x]
        if other >= 0, other != tile, other != remainder, tile != remainder, (other, tile) != lastPair {
          adjacency[Int(tile)].insert(other)
          adjacency[Int(other)].insert(tile)
          lastPair = (other, tile)
        }
        lastTile[x] = tile
      }
      switch kinds[k] {
      case .read:
        if tt > readTime[x] { readTime[x] = tt; readTile[x] = tile } else if tt == readTime[x], readTile[x] != tile { readTile[x] = Self.multiple }
      case .write:
        if tt > writeTime[x] { writeTime[x] = tt; writeTile[x] = tile } else if tt == writeTime[x], writeTile[x] != tile { writeTile[x] = Self.multiple }
      case .increment:
        if tt > incTime[x] { incTime[x] = tt; incTile[x] = tile } else if tt == incTime[x], incTile[x] != tile { incTile[x] = Self.multiple }
        if atOnce, tile != remainder {
          incColours[x] |= UInt64(1) << UInt64(tt)
          if incBy[x] == -1 || incBy[x] == tile {
            incBy[x] = tile
          } else if incBy2[x] == -1 || incBy2[x] == tile {
            incBy2[x] = tile
          } else {
            incBy2[x] = Self.multiple
          }
        }
      }
    }
  }
}
