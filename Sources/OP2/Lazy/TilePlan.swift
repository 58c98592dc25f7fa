import Foundation
import Synchronization

/// The inspector's schedule of a tiled chain (see ``SparseTiling``): for every loop of the chain
/// and every tile, the elements that run there, as ranges of consecutive elements and a list of
/// the others.
package final class TilePlan: @unchecked Sendable {
  /// Regular tiles; tile `tileCount` is the remainder, which runs after all of them.
  package let tileCount: Int
  /// Colours of the regular tiles (1: they run one after another, in order).
  package let colours: Int
  /// Each regular tile's colour.
  package let tileColours: [Int]
  /// Whether tiles of one colour run at once (else every tile runs after the one before).
  package let coloured: Bool
  /// One loop's schedule.
  package struct LoopSchedule: Sendable {
    /// Consecutive-element ranges of each tile: `ranges[rangeStarts[t]..<rangeStarts[t + 1]]`.
    package var ranges: [Range<Int32>] = []
    package var rangeStarts: [Int] = []
    /// The other elements of each tile: `list[listStarts[t]..<listStarts[t + 1]]`.
    package var list: [Int32] = []
    package var listStarts: [Int] = []
  }
  package let loops: [LoopSchedule]
  /// Elements of each loop in the remainder (for tests and the timing report).
  package let remainderCounts: [Int]
  /// Seconds the inspector took.
  package let constructionTime: Double
  /// The regular tiles of each colour, in order.
  private let byColour: [[Int]]

  /// Runs shorter than this go to a tile's list rather than a range call of their own.
  static let shortestRange = 16

  /// The colour of tile `t` (the remainder's is `colours`).
  package func colour(of t: Int) -> Int { t == tileCount ? colours : tileColours[t] }

  /// The regular tiles of colour `c`, in order.
  package func tiles(ofColour c: Int) -> [Int] { byColour[c] }

  /// Assigns every element of every loop of `loops` to a tile; see ``SparseTiling``.
  /// - Parameters:
  ///   - tileSize: Elements of the first loop per tile.
  ///   - coloured: Whether tiles of one colour will run at once (threads): tiles are then
  ///     coloured so that tiles sharing data differ, and elements are assigned by colour.
  package init(loops: [ParLoop], tileSize: Int, coloured: Bool) {
    let started = DispatchTime.now().uptimeNanoseconds
    let seedSize = loops.first?.set.size ?? 0
    let tileCount = max(1, (seedSize + tileSize - 1) / max(1, tileSize))
    self.tileCount = tileCount
    let layout = AccessLayout(loops: loops)
    // In order: tile t at time t. Always valid, and it shows which tiles share entries.
    var adjacency: [Swift.Set<Int32>]? = coloured ? Array(repeating: [], count: tileCount) : nil
    var tileOf = Self.assign(layout, tileCount: tileCount, tileSize: tileSize, times: nil, adjacency: &adjacency)
    var tileColours = Array(0..<tileCount)
    var runsAtOnce = false
    if let adjacency {
      // Greedy colouring of the tiles that share entries, in order.
      for t in 0..<tileCount {
        let used = Swift.Set(adjacency[t].lazy.filter { Int($0) < t }.map { tileColours[Int($0)] })
        var c = 0
        while used.contains(c) { c += 1 }
        tileColours[t] = c
      }
      // Then every element again, by colour: tiles of one colour run at once. (The inspector keeps
      // a bit per colour; more than 64 colours would take tiles too small to pay: in order then.)
      if tileColours.max() ?? 0 < 64 {
        var none: [Swift.Set<Int32>]? = nil
        tileOf = Self.assign(layout, tileCount: tileCount, tileSize: tileSize, times: (tileColours.map(Int32.init), adjacency), adjacency: &none)
        runsAtOnce = true
      }
    }
    self.coloured = runsAtOnce
    if !runsAtOnce { tileColours = [Int](repeating: 0, count: tileCount) }
    colours = runsAtOnce ? (tileColours.max() ?? 0) + 1 : 1
    self.tileColours = tileColours
    var byColour = [[Int]](repeating: [], count: colours)
    for t in 0..<tileCount { byColour[tileColours[t]].append(t) }
    self.byColour = byColour
    var schedules: [LoopSchedule] = []
    var remainderCounts: [Int] = []
    for tiles in tileOf {
      let (schedule, inRemainder) = Self.schedule(tileOf: tiles, tiles: tileCount + 1)
      schedules.append(schedule)
      remainderCounts.append(inRemainder)
    }
    self.loops = schedules
    self.remainderCounts = remainderCounts
    constructionTime = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
  }

  /// How an access orders: a read, an increment (INC: increments commute with each other), or
  /// any other write (WRITE, RW; MIN and MAX through a map, which do not commute with INC).
  package enum AccessKind: UInt8 { case read, increment, write }

  /// Every access a chain's loops make to entries of the Dats the chain writes, flattened: per
  /// loop, `width` targets per element (`targets[e * width + k]`, an index into the trackers),
  /// each of a kind.
  struct AccessLayout {
    var trackedEntries = 0
    var loops: [(size: Int, width: Int, targets: [Int32], kinds: [AccessKind])] = []

    init(loops chain: [ParLoop]) {
      var bases: [ObjectIdentifier: Int] = [:]
      for loop in chain {
        for arg in loop.args where !arg.isGlobal && arg.access.writes {
          let id = ObjectIdentifier(arg.data)
          if bases[id] == nil {
            bases[id] = trackedEntries
            trackedEntries += arg.data.set!.totalEntityCount
          }
        }
      }
      for loop in chain {
        let n = loop.set.size
        var columns: [(base: Int, map: [Int32], arity: Int, slot: Int, kind: AccessKind)] = []
        for arg in loop.args where !arg.isGlobal {
          guard let base = bases[ObjectIdentifier(arg.data)] else { continue }
          let kind: AccessKind = arg.access == .inc ? .increment : arg.access.writes ? .write : .read
          guard let map = arg.map else {
            columns.append((base, [], 1, -1, kind))
            continue
          }
          for slot in arg.index.map({ [$0] }) ?? Array(0..<map.arity) {
            columns.append((base, map.values, map.arity, slot, kind))
          }
        }
        let width = columns.count
        var targets = [Int32](repeating: 0, count: n * width)
        for (k, c) in columns.enumerated() {
          if c.slot < 0 {
            for e in 0..<n { targets[e * width + k] = Int32(c.base + e) }
          } else {
            for e in 0..<n { targets[e * width + k] = Int32(c.base + Int(c.map[e * c.arity + c.slot])) }
          }
        }
        loops.append((n, width, targets, columns.map(\.kind)))
      }
    }
  }

  /// One pass of the inspector: every element of every loop to a tile.
  ///
  /// An element must run after every earlier conflicting access to the entries it touches: reads
  /// after writes and increments, increments and writes after reads and writes, writes after
  /// increments. Increments need no order among themselves (they commute), only never two at once
  /// from different tiles. So per entry the inspector keeps the latest (by time) tile that wrote,
  /// read and incremented it, and, when tiles run at once, the times at which tiles incremented it.
  /// - Parameters:
  ///   - times: nil: tile `t` runs at time `t` (one after another). Else each tile's colour (its
  ///     time: tiles of one colour run at once, the remainder after all) and the tiles next to each.
  ///   - adjacency: When not nil, receives for each tile the tiles it shares an entry with.
  /// - Returns: Each loop's tile of each element (`tileCount`: the remainder).
  private static func assign(
    _ layout: AccessLayout, tileCount: Int, tileSize: Int, times: (colours: [Int32], neighbours: [Swift.Set<Int32>])?,
    adjacency: inout [Swift.Set<Int32>]?
  ) -> [[Int32]] {
    let pass = InspectorPass(entries: layout.trackedEntries, tileCount: tileCount, times: times, recordsAdjacency: adjacency != nil)
    var result: [[Int32]] = []
    for (li, loop) in layout.loops.enumerated() {
      result.append(pass.run(size: loop.size, width: loop.width, targets: loop.targets, kinds: loop.kinds) { e in
        Int32(li == 0 ? min(e / max(1, tileSize), tileCount - 1) : e * tileCount / max(1, loop.size))
      })
    }
    if adjacency != nil { adjacency = pass.adjacency }
    return result
  }

  /// Sorts elements by tile (stably) and cuts each tile's elements into ranges and a list.
  private static func schedule(tileOf: [Int32], tiles: Int) -> (LoopSchedule, remainder: Int) {
    var counts = [Int](repeating: 0, count: tiles + 1)
    for t in tileOf { counts[Int(t) + 1] += 1 }
    for t in 0..<tiles { counts[t + 1] += counts[t] }
    var sorted = [Int32](repeating: 0, count: tileOf.count)
    var next = counts
    for (e, t) in tileOf.enumerated() {
      sorted[next[Int(t)]] = Int32(e)
      next[Int(t)] += 1
    }
    var s = LoopSchedule()
    for t in 0..<tiles {
      s.rangeStarts.append(s.ranges.count)
      s.listStarts.append(s.list.count)
      var i = counts[t]
      let end = counts[t + 1]
      while i < end {
        var j = i + 1
        while j < end, sorted[j] == sorted[j - 1] + 1 { j += 1 }
        if j - i >= shortestRange {
          s.ranges.append(sorted[i]..<(sorted[j - 1] + 1))
        } else {
          s.list.append(contentsOf: sorted[i..<j])
        }
        i = j
      }
    }
    s.rangeStarts.append(s.ranges.count)
    s.listStarts.append(s.list.count)
    return (s, counts[tiles] - counts[tiles - 1])
  }
}

/// Tile plans by chain shape (a few: one per distinct chain a program runs).
package final class TilePlanCache: Sendable {
  /// What a plan was built for: per loop its set and size, per argument the Dat's position among
  /// the chain's distinct Dats (or -1 for a Global), its map (and that map's storage, which
  /// replacing its values renews), slot and access; the tile size and colours.
  private struct Key: Hashable {
    var ids: [ObjectIdentifier]
    var numbers: [Int]
  }
  private final class Entry: @unchecked Sendable {
    let plan: TilePlan
    /// The objects the key names: a plan is only reused while each is alive (an identifier of a
    /// freed object may be reused by a new one).
    let objects: [Weak]
    init(plan: TilePlan, objects: [Weak]) {
      self.plan = plan
      self.objects = objects
    }
  }
  private struct Weak {
    weak var object: AnyObject?
  }
  /// At most this many plans are kept, least recently used dropped first.
  static let capacity = 8
  private let state = Mutex<(entries: [Key: Entry], order: [Key], misses: Int)>(([:], [], 0))

  package init() {}

  /// Plans built so far (a test's way to see that a plan was reused).
  package var misses: Int { state.withLock { $0.misses } }

  package func plan(for loops: [ParLoop], tileSize: Int, coloured: Bool) -> (plan: TilePlan, built: Bool) {
    var ids: [ObjectIdentifier] = []
    var numbers: [Int] = [tileSize, coloured ? 1 : 0]
    var objects: [AnyObject] = []
    var dats: [ObjectIdentifier] = []
    for loop in loops {
      ids.append(ObjectIdentifier(loop.set))
      objects.append(loop.set)
      numbers.append(loop.set.size)
      numbers.append(loop.args.count)
      for arg in loop.args {
        if arg.isGlobal {
          numbers.append(-1)
        } else {
          let id = ObjectIdentifier(arg.data)
          if let i = dats.firstIndex(of: id) { numbers.append(i) } else { numbers.append(dats.count); dats.append(id) }
        }
        if let map = arg.map {
          ids.append(ObjectIdentifier(map))
          ids.append(ObjectIdentifier(map.storage))
          objects.append(map)
          objects.append(map.storage)
        }
        numbers.append(arg.map == nil ? -1 : 1)
        numbers.append(arg.index ?? -1)
        numbers.append(arg.access.writes ? 1 : 0)
      }
    }
    let key = Key(ids: ids, numbers: numbers)
    let found = state.withLock { s -> TilePlan? in
      guard let entry = s.entries[key], entry.objects.allSatisfy({ $0.object != nil }) else { return nil }
      if let i = s.order.firstIndex(of: key) { s.order.remove(at: i) }
      s.order.append(key)
      return entry.plan
    }
    if let found { return (found, false) }
    let plan = TilePlan(loops: loops, tileSize: tileSize, coloured: coloured)
    let entry = Entry(plan: plan, objects: objects.map { Weak(object: $0) })
    state.withLock { s in
      s.misses += 1
      if s.entries[key] == nil { s.order.append(key) }
      s.entries[key] = entry
      while s.order.count > Self.capacity { s.entries[s.order.removeFirst()] = nil }
    }
    return (plan, true)
  }
}
