import Foundation
import Synchronization

// The execution plan of the threaded backend: OP2-Common's `op_plan` (op_plan_core in op_lib_core.c)
// and PyOP2's `Plan`, reduced to what a shared-memory backend needs.
//
// The iteration set is cut into contiguous blocks; the backend hands each block to the compiled range
// wrapper `wrap(start, end, args)`. Blocks that may write the same element of some Dat through an
// indirect argument get different colours; all blocks of one colour can then run concurrently, and the
// colours run one after another.

/// One map through which a loop writes (INC, WRITE or RW): the plan keeps two blocks of the same colour
/// from touching the same target element through it.
///
/// Equality and hashing use `mapID`, `arity`, `indices` and `targetSize` — not `values` — so that the
/// ``PlanCache`` key is cheap; the cache compares `values` itself before it reuses a plan (an
/// `ObjectIdentifier` can be reused once its object is gone).
package struct PlanConflict: Hashable, Sendable {
  /// Identity of the map object.
  package var mapID: ObjectIdentifier
  /// The map's entries: `setSize * arity` of them (at least), row-major by source element.
  package var values: [Int32]
  /// Entries per source element.
  package var arity: Int
  /// Size of the map's target set; every written entry lies in `0..<targetSize`.
  package var targetSize: Int
  /// The map slots that are written; `nil` means all slots (a whole-map argument).
  package var indices: [Int]?
  /// The map row of the plan's element 0: a plan over elements `first ..< first + setSize` of a
  /// loop (the core, or the rest, of a distributed set) reads rows from `first` on.
  package var firstElement: Int

  package init(mapID: ObjectIdentifier, values: [Int32], arity: Int, targetSize: Int, indices: [Int]? = nil,
               firstElement: Int = 0) {
    self.mapID = mapID
    self.values = values
    self.arity = arity
    self.targetSize = targetSize
    self.indices = indices
    self.firstElement = firstElement
  }

  package static func == (lhs: PlanConflict, rhs: PlanConflict) -> Bool {
    lhs.mapID == rhs.mapID && lhs.arity == rhs.arity && lhs.targetSize == rhs.targetSize
      && lhs.indices == rhs.indices && lhs.firstElement == rhs.firstElement
  }

  package func hash(into hasher: inout Hasher) {
    hasher.combine(mapID)
    hasher.combine(arity)
    hasher.combine(targetSize)
    hasher.combine(indices)
    hasher.combine(firstElement)
  }

  /// The target of the plan's element `e` through `slot`.
  @inline(__always)
  package func target(element e: Int, slot: Int) -> Int32 { values[(firstElement + e) * arity + slot] }

  /// The rows of the plan's elements `0..<setSize`, from `firstElement` on.
  package func rows(count setSize: Int) -> [Int32] {
    firstElement == 0 ? values : Array(values[(firstElement * arity)..<((firstElement + setSize) * arity)])
  }

  /// The written slots: ascending, without repeats; every slot when `indices` is nil.
  package var writtenSlots: [Int] {
    guard let indices else { return Array(0..<arity) }
    return Array(Swift.Set(indices)).sorted()
  }
}

/// How a loop's iteration set is cut into blocks and how the blocks are coloured.
///
/// Blocks are contiguous: block `b` covers ``blockRange(_:)`` = `b*blockSize ..< min((b+1)*blockSize, setSize)`.
/// Blocks of one colour never write the same target element through the conflict maps, so they may run
/// concurrently. Conflict maps whose target sets have the same size are treated as possibly leading to
/// the same Dat (two arguments may write one Dat through two different maps), so the guarantee holds
/// across such maps too; this can only cost colours, never correctness.
///
/// An empty set has no blocks and no colours; a loop without conflicts has one colour holding every block.
///
/// **Owners.** With `owners: T`, block `b` belongs to thread `b * T / blockCount` (contiguous runs of
/// blocks), and a thread runs its own blocks of a colour one after another. Blocks of the *same* owner
/// may then share a colour even when they write the same element; only blocks of different owners
/// must differ. On a mesh numbered with locality this leaves almost every block in colour 0 and each
/// thread streaming through its own contiguous part, instead of every colour sweeping the whole mesh
/// (which, for airfoil's `res_calc`, nearly doubles the memory traffic). Without owners (`nil`) the
/// colouring is OP2's classical one: any block may run on any thread.
package final class Plan: Sendable {
  /// Size of the iteration set.
  package let setSize: Int
  /// Elements per block (the last block may be shorter).
  package let blockSize: Int
  /// Number of blocks: `ceil(setSize / blockSize)`.
  package let blockCount: Int
  /// Number of colours; `blocks(ofColour:)` is defined for `0..<colourCount`.
  package let colourCount: Int
  /// The colour of each block.
  package let blockColours: [Int]
  /// Seconds taken to build the plan (validation and colouring).
  package let constructionTime: Double
  /// The conflicts the plan was built for, as given.
  package let conflicts: [PlanConflict]
  /// Number of owning threads, or `nil` when any block may run on any thread.
  package let owners: Int?

  /// Block indices grouped by colour, ascending within a colour.
  private let colourBlocks: [Int]
  /// `colourBlocks[colourOffsets[c] ..< colourOffsets[c + 1]]` are the blocks of colour `c`.
  private let colourOffsets: [Int]

  /// Builds and colours the plan.
  ///
  /// - Precondition: `setSize >= 0`, `blockSize > 0`; for each conflict `arity > 0`,
  ///   `values.count >= setSize * arity`, every index in `0..<arity`, and every written entry in
  ///   `0..<targetSize` (checked: an out-of-range entry would make the colouring read out of bounds).
  ///   Conflicts that share a `mapID` must share `values` and `arity`.
  package init(setSize: Int, blockSize: Int, conflicts: [PlanConflict], owners: Int? = nil) {
    let start = ContinuousClock.now
    precondition(setSize >= 0, "Plan: set size must not be negative, got \(setSize)")
    precondition(blockSize > 0, "Plan: block size must be positive, got \(blockSize)")
    precondition(owners.map { $0 > 0 } ?? true, "Plan: owners must be positive")
    let blockCount = Plan.blockCount(setSize: setSize, blockSize: blockSize)
    let accesses = Plan.accesses(for: conflicts, setSize: setSize)
    let (colours, colourCount) = Plan.colour(
      setSize: setSize, blockSize: blockSize, blockCount: blockCount, accesses: accesses.list,
      maskSize: accesses.maskSize, owners: owners)
    self.owners = owners
    self.setSize = setSize
    self.blockSize = blockSize
    self.blockCount = blockCount
    self.conflicts = conflicts
    self.blockColours = colours
    self.colourCount = colourCount
    (colourBlocks, colourOffsets) = Plan.group(colours: colours, colourCount: colourCount)
    constructionTime = Plan.seconds(ContinuousClock.now - start)
  }

  /// A plan with the given colours, taken as they are (for tests of ``checkInvariants()``).
  ///
  /// Blocks whose colour lies outside `0..<colourCount` appear in no `blocks(ofColour:)` slice.
  package init(setSize: Int, blockSize: Int, conflicts: [PlanConflict], blockColours: [Int], colourCount: Int) {
    precondition(setSize >= 0 && blockSize > 0 && colourCount >= 0)
    self.setSize = setSize
    self.blockSize = blockSize
    self.blockCount = Plan.blockCount(setSize: setSize, blockSize: blockSize)
    self.conflicts = conflicts
    self.owners = nil
    self.blockColours = blockColours
    self.colourCount = colourCount
    (colourBlocks, colourOffsets) = Plan.group(colours: blockColours, colourCount: colourCount)
    constructionTime = 0
  }

  /// The elements of block `b`.
  @inline(__always)
  package func blockRange(_ b: Int) -> Range<Int> {
    let lower = b * blockSize
    return lower..<min(lower + blockSize, setSize)
  }

  /// The blocks of colour `c`, ascending.
  package func blocks(ofColour c: Int) -> ArraySlice<Int> {
    colourBlocks[colourOffsets[c]..<colourOffsets[c + 1]]
  }

  /// The thread that runs block `b`: `b * owners / blockCount`, or `b` itself without owners.
  @inline(__always)
  package func owner(ofBlock b: Int) -> Int {
    guard let owners else { return b }
    return Plan.owner(ofBlock: b, owners: owners, blockCount: blockCount)
  }

  @inline(__always)
  static func owner(ofBlock b: Int, owners: Int, blockCount: Int) -> Int { b * owners / blockCount }

  /// The blocks of colour `c` that thread `t` owns, ascending (a contiguous part of
  /// ``blocks(ofColour:)``, since owners hold contiguous runs of blocks).
  package func blocks(ofColour c: Int, owner t: Int) -> ArraySlice<Int> {
    let all = blocks(ofColour: c)
    let lower = all.partitioningIndex(where: { owner(ofBlock: $0) >= t })
    let upper = all[lower...].partitioningIndex(where: { owner(ofBlock: $0) > t })
    return all[lower..<upper]
  }

  /// Number of blocks of the most populous colour (the most parallelism any colour offers).
  package var maxBlocksPerColour: Int {
    (0..<colourCount).map { colourOffsets[$0 + 1] - colourOffsets[$0] }.max() ?? 0
  }

  // MARK: Block size configuration

  /// Block size used when `OP2_BLOCK_SIZE` is not set.
  package static let standardBlockSize = 4096  // airfoil on 2 threads: 4096 → 21.7 ms/iteration, 512 → 24.9 (BENCHMARKS.md)

  /// Parses a value of `OP2_BLOCK_SIZE`; `nil` (unset) gives ``standardBlockSize``.
  package static func blockSize(fromEnvironment value: String?) throws(OP2Error) -> Int {
    try Setting.positiveInteger("OP2_BLOCK_SIZE", value) ?? standardBlockSize
  }

  // MARK: Construction

  static func blockCount(setSize: Int, blockSize: Int) -> Int {
    setSize == 0 ? 0 : (setSize - 1) / blockSize + 1
  }

  /// One map as the colouring reads it: its written slots, and where its target set's masks start.
  struct Access {
    var values: [Int32]
    var arity: Int
    var slots: [Int]
    var maskOffset: Int
  }

  /// Merges conflicts on the same map, validates them, and gives each distinct target-set size its own
  /// range of the colour-mask array.
  static func accesses(for conflicts: [PlanConflict], setSize: Int) -> (list: [Access], maskSize: Int) {
    var merged: [PlanConflict] = []
    var slots: [[Int]] = []
    for conflict in conflicts {
      precondition(conflict.arity > 0, "Plan: map arity must be positive, got \(conflict.arity)")
      precondition(conflict.targetSize >= 0, "Plan: target set size must not be negative")
      precondition(
        conflict.values.count >= (conflict.firstElement + setSize) * conflict.arity,
        "Plan: map has \(conflict.values.count) entries, needs \(conflict.firstElement + setSize) × \(conflict.arity)")
      let written = conflict.writtenSlots
      precondition(
        written.allSatisfy { (0..<conflict.arity).contains($0) },
        "Plan: map slots \(written) outside 0..<\(conflict.arity)")
      if let i = merged.firstIndex(where: { $0.mapID == conflict.mapID }) {
        precondition(
          merged[i].arity == conflict.arity && merged[i].targetSize == conflict.targetSize
            && merged[i].firstElement == conflict.firstElement,
          "Plan: two conflicts name the same map with different shapes")
        slots[i] = Array(Swift.Set(slots[i] + written)).sorted()
      } else {
        merged.append(conflict)
        slots.append(written)
      }
    }
    var offsets: [(size: Int, offset: Int)] = []
    var maskSize = 0
    var list: [Access] = []
    for (conflict, written) in zip(merged, slots) where !written.isEmpty && setSize > 0 {
      let rows = conflict.rows(count: setSize)
      validate(conflict, rows: rows, slots: written, setSize: setSize)
      let offset: Int
      if let known = offsets.first(where: { $0.size == conflict.targetSize }) {
        offset = known.offset
      } else {
        offset = maskSize
        offsets.append((conflict.targetSize, offset))
        maskSize += conflict.targetSize
      }
      list.append(Access(values: rows, arity: conflict.arity, slots: written, maskOffset: offset))
    }
    return (list, maskSize)
  }

  /// Counting sort of the blocks by colour; colours outside `0..<colourCount` are left out.
  static func group(colours: [Int], colourCount: Int) -> (blocks: [Int], offsets: [Int]) {
    var offsets = [Int](repeating: 0, count: colourCount + 1)
    for c in colours where c >= 0 && c < colourCount { offsets[c + 1] += 1 }
    for c in 0..<colourCount { offsets[c + 1] += offsets[c] }
    var next = offsets
    var blocks = [Int](repeating: 0, count: offsets[colourCount])
    for (b, c) in colours.enumerated() where c >= 0 && c < colourCount {
      blocks[next[c]] = b
      next[c] += 1
    }
    return (blocks, offsets)
  }

  static func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) * 1e-18
  }
}

/// Plans already built, keyed by iteration-set size, block size and conflicts, so that a loop run many
/// times (airfoil's `res_calc`, every iteration) is planned once. Safe to use from several threads.
///
/// The cache holds its maps weakly: a plan lives no longer than the maps it was built for (a
/// program that builds and drops many meshes does not accumulate their plans). An entry whose map
/// is gone is never reused — so a reused `ObjectIdentifier` cannot bring back a plan made for
/// another map — and is dropped at the next miss. A cached plan is also reused only when the
/// requested conflicts' `values` equal the cached ones (free when they share storage).
package final class PlanCache: Sendable {
  private struct Key: Hashable {
    var setSize: Int
    var blockSize: Int
    var conflicts: [PlanConflict]
    var owners: Int?
  }

  private struct Weak { weak var object: Map? }

  private struct Entry {
    var plan: Plan
    /// The maps of the conflicts: the entry is valid while all of them are alive.
    var maps: [Weak]
    var isAlive: Bool { maps.allSatisfy { $0.object != nil } }
  }

  private struct State {
    var plans: [Key: Entry] = [:]
    var hits = 0
    var misses = 0
  }

  private let state = Mutex(State())

  package init() {}

  /// The plan for these arguments, built on the first request and reused afterwards while every
  /// object in `maps` (the conflicts' maps) is alive.
  ///
  /// The plan is built while the cache is locked, so concurrent requests for the same loop build it once.
  package func plan(setSize: Int, blockSize: Int, conflicts: [PlanConflict], owners: Int? = nil, maps: [Map] = []) -> Plan {
    let key = Key(setSize: setSize, blockSize: blockSize, conflicts: conflicts, owners: owners)
    return state.withLock { state in
      if let entry = state.plans[key], entry.isAlive,
        zip(entry.plan.conflicts, conflicts).allSatisfy({ $0.values == $1.values })
      {
        state.hits += 1
        return entry.plan
      }
      state.misses += 1
      state.plans = state.plans.filter { $0.value.isAlive }
      let plan = Plan(setSize: setSize, blockSize: blockSize, conflicts: conflicts, owners: owners)
      state.plans[key] = Entry(plan: plan, maps: maps.map { Weak(object: $0) })
      return plan
    }
  }

  /// Requests answered from the cache.
  package var hits: Int { state.withLock { $0.hits } }
  /// Requests that built a plan.
  package var misses: Int { state.withLock { $0.misses } }
  /// Plans held.
  package var count: Int { state.withLock { $0.plans.count } }

  /// Drops every plan and resets the counters.
  package func removeAll() {
    state.withLock { $0 = State() }
  }
}

extension ArraySlice where Element == Int {
  /// The first index whose element satisfies `belongs`, for a predicate that is false and then true
  /// along the slice (binary search).
  func partitioningIndex(where belongs: (Int) -> Bool) -> Index {
    var low = startIndex, high = endIndex
    while low < high {
      let mid = low + (high - low) / 2
      if belongs(self[mid]) { high = mid } else { low = mid + 1 }
    }
    return low
  }
}
