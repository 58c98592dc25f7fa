import Testing

@testable import OP2

/// Stands in for a map object: conflicts are keyed by the identity of their map.
private final class MapToken {}


/// A random loop shape: one to three written maps (arity 1...4) with repeated entries, some writing a
/// subset of their slots, sometimes two maps onto sets of one size, sometimes one map named twice.
private func randomConflicts(setSize: Int, seed: UInt64, tokens: [MapToken]) -> [PlanConflict] {
  var g = SeededGenerator(seed: seed)
  var conflicts: [PlanConflict] = []
  let mapCount = Int.random(in: 1...3, using: &g)
  var lastTargetSize = 0
  for m in 0..<mapCount {
    let arity = Int.random(in: 1...4, using: &g)
    // Small target sets force repeated entries; keep them large enough that colours stay few.
    var targetSize = Int.random(in: max(1, setSize / 8)...(setSize + 5), using: &g)
    if m > 0 && Bool.random(using: &g) { targetSize = lastTargetSize }
    lastTargetSize = targetSize
    let values = (0..<(setSize * arity)).map { _ in Int32(Int.random(in: 0..<targetSize, using: &g)) }
    var indices: [Int]? = nil
    if Bool.random(using: &g) {
      indices = (0..<arity).filter { _ in Bool.random(using: &g) }
      if indices!.isEmpty { indices = [Int.random(in: 0..<arity, using: &g)] }
    }
    let conflict = PlanConflict(
      mapID: ObjectIdentifier(tokens[m]), values: values, arity: arity, targetSize: targetSize, indices: indices)
    conflicts.append(conflict)
    if arity > 1 && Int.random(in: 0..<4, using: &g) == 0 {
      // The same map written through another slot, as `res via pecell[0]` and `res via pecell[1]`.
      var again = conflict
      again.indices = [Int.random(in: 0..<arity, using: &g)]
      conflicts.append(again)
    }
  }
  return conflicts
}

/// Edges of a chain 0-1-2-...-n: edge `i` joins vertices `i` and `i + 1`.
private func chainConflict(edges: Int, token: MapToken, indices: [Int]? = nil) -> PlanConflict {
  let values = (0..<edges).flatMap { [Int32($0), Int32($0 + 1)] }
  return PlanConflict(mapID: ObjectIdentifier(token), values: values, arity: 2, targetSize: edges + 1, indices: indices)
}

@Suite("Plan")
struct PlanTests {
  @Test(
    "every plan over random maps passes its invariant check",
    arguments: [0, 1, 7, 1000, 100_003], [1, 7, 64, 512])
  func randomPlansAreSound(setSize: Int, blockSize: Int) {
    let tokens = (0..<3).map { _ in MapToken() }
    for run in 0..<(setSize > 10_000 ? 1 : 3) {
      let seed = UInt64(setSize) &* 1_000_003 &+ UInt64(blockSize) &* 101 &+ UInt64(run)
      let conflicts = randomConflicts(setSize: setSize, seed: seed, tokens: tokens)
      let plan = Plan(setSize: setSize, blockSize: blockSize, conflicts: conflicts)
      let violations = plan.checkInvariants()
      #expect(violations.isEmpty, "seed \(seed): \(violations.joined(separator: "\n"))")
      #expect(plan.blockCount == (setSize + blockSize - 1) / blockSize, "seed \(seed)")
      #expect(plan.colourCount >= (setSize == 0 ? 0 : 1), "seed \(seed)")
    }
  }

  @Test("no two blocks of one colour write the same element")
  func coloursSeparateWriters() {
    // Checked directly here, independently of checkInvariants.
    let token = MapToken()
    let seed: UInt64 = 20_240_601
    let conflicts = randomConflicts(setSize: 5000, seed: seed, tokens: [token, MapToken(), MapToken()])
    let conflict = PlanConflict(
      mapID: ObjectIdentifier(token), values: conflicts[0].values, arity: conflicts[0].arity,
      targetSize: conflicts[0].targetSize)
    let plan = Plan(setSize: 5000, blockSize: 16, conflicts: [conflict])
    for c in 0..<plan.colourCount {
      var writer = [Int](repeating: -1, count: conflict.targetSize)
      for b in plan.blocks(ofColour: c) {
        for e in plan.blockRange(b) {
          for s in 0..<conflict.arity {
            let t = Int(conflict.values[e * conflict.arity + s])
            #expect(writer[t] == -1 || writer[t] == b, "seed \(seed): blocks \(writer[t]) and \(b), colour \(c)")
            writer[t] = b
          }
        }
      }
    }
  }

  @Test("blocks are contiguous and the last one holds the remainder")
  func blockRanges() {
    let plan = Plan(setSize: 10, blockSize: 4, conflicts: [])
    #expect(plan.blockCount == 3)
    #expect((0..<3).map { plan.blockRange($0) } == [0..<4, 4..<8, 8..<10])
  }

  @Test("a plan without conflicts has one colour holding every block")
  func noConflictsOneColour() {
    let plan = Plan(setSize: 1001, blockSize: 64, conflicts: [])
    #expect(plan.colourCount == 1)
    #expect(Array(plan.blocks(ofColour: 0)) == Array(0..<16))
    #expect(plan.blockColours == Array(repeating: 0, count: 16))
    #expect(plan.checkInvariants().isEmpty)
  }

  @Test("an empty set has no blocks and no colours")
  func emptySet() {
    let token = MapToken()
    let plan = Plan(setSize: 0, blockSize: 512, conflicts: [chainConflict(edges: 0, token: token)])
    #expect(plan.blockCount == 0)
    #expect(plan.colourCount == 0)
    #expect(plan.checkInvariants().isEmpty)
  }

  @Test("a chain whose neighbouring blocks share a vertex needs exactly two colours")
  func chainNeedsTwoColours() {
    let token = MapToken()
    let plan = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)])
    #expect(plan.colourCount == 2)
    #expect(plan.blockColours == (0..<10).map { $0 % 2 })
    #expect(Array(plan.blocks(ofColour: 0)) == [0, 2, 4, 6, 8])
    #expect(Array(plan.blocks(ofColour: 1)) == [1, 3, 5, 7, 9])
    #expect(plan.checkInvariants().isEmpty)
  }

  @Test("slots that are only read do not cost colours")
  func readSlotsIgnored() {
    let token = MapToken()
    // Edge i writes only vertex i: no two edges write the same vertex.
    let plan = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token, indices: [0])])
    #expect(plan.colourCount == 1)
    #expect(plan.checkInvariants().isEmpty)
  }

  @Test("one map named once per slot is coloured like the whole map")
  func sameMapTwice() {
    let token = MapToken()
    let whole = chainConflict(edges: 40, token: token)
    let first = chainConflict(edges: 40, token: token, indices: [0])
    let second = chainConflict(edges: 40, token: token, indices: [1])
    let split = Plan(setSize: 40, blockSize: 4, conflicts: [first, second])
    let merged = Plan(setSize: 40, blockSize: 4, conflicts: [whole])
    #expect(split.blockColours == merged.blockColours)
    #expect(split.checkInvariants().isEmpty)
  }

  @Test("two maps onto sets of one size are kept apart as if they reached one Dat")
  func mapsOntoEqualSizedSetsConflict() {
    let a = MapToken()
    let b = MapToken()
    // Block k writes element 4k..4k+3 through the identity and 4(k+1)..4(k+1)+3 through the shift.
    let identity = PlanConflict(
      mapID: ObjectIdentifier(a), values: (0..<40).map { Int32($0) }, arity: 1, targetSize: 40)
    let shift = PlanConflict(
      mapID: ObjectIdentifier(b), values: (0..<40).map { Int32(($0 + 4) % 40) }, arity: 1, targetSize: 40)
    #expect(Plan(setSize: 40, blockSize: 4, conflicts: [identity]).colourCount == 1)
    #expect(Plan(setSize: 40, blockSize: 4, conflicts: [shift]).colourCount == 1)
    let both = Plan(setSize: 40, blockSize: 4, conflicts: [identity, shift])
    #expect(both.colourCount == 2)
    #expect(both.checkInvariants().isEmpty)
    let oneColour = Plan(
      setSize: 40, blockSize: 4, conflicts: [identity, shift], blockColours: Array(repeating: 0, count: 10),
      colourCount: 1)
    #expect(!oneColour.checkInvariants().isEmpty)
  }

  @Test("checkInvariants reports two blocks of one colour writing the same element")
  func brokenColouringReported() {
    let token = MapToken()
    let broken = Plan(
      setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)],
      blockColours: [0, 1, 0, 1, 0, 0, 1, 0, 1, 0], colourCount: 2)
    let violations = broken.checkInvariants()
    // Blocks 4 and 5 share vertex 20.
    #expect(violations.count == 1, "\(violations)")
    #expect(violations.first?.hasPrefix("blocks 4 and 5 both have colour 0 and both write element 20 ") == true)
  }

  @Test("checkInvariants reports colours out of range and blocks missing from every colour")
  func badColoursReported() {
    let plan = Plan(setSize: 12, blockSize: 4, conflicts: [], blockColours: [0, 3, -1], colourCount: 2)
    let violations = plan.checkInvariants()
    #expect(violations.contains("block 1 has colour 3, outside 0..<2"))
    #expect(violations.contains("block 2 has colour -1, outside 0..<2"))
    #expect(violations.contains("block 1 is listed under 0 colours, not exactly one"))
    let short = Plan(setSize: 12, blockSize: 4, conflicts: [], blockColours: [0, 0], colourCount: 1)
    #expect(short.checkInvariants().contains("plan lists colours for 2 blocks but has 3 blocks"))
  }

  @Test("checkInvariants caps its list of violations")
  func violationListCapped() {
    let token = MapToken()
    let plan = Plan(
      setSize: 400, blockSize: 1, conflicts: [chainConflict(edges: 400, token: token)],
      blockColours: Array(repeating: 0, count: 400), colourCount: 1)
    let violations = plan.checkInvariants()
    #expect(violations.count == Plan.reportedViolationLimit + 1)
    #expect(violations.last == "… and \(399 - Plan.reportedViolationLimit) more violations")
  }

  @Test("the plan cache builds a plan once and hits on the second request")
  func cacheHits() {
    let cache = PlanCache()
    let token = MapToken()
    let conflict = chainConflict(edges: 1000, token: token)
    let first = cache.plan(setSize: 1000, blockSize: 64, conflicts: [conflict])
    let second = cache.plan(setSize: 1000, blockSize: 64, conflicts: [conflict])
    #expect(first === second)
    #expect(cache.hits == 1 && cache.misses == 1)
    let other = cache.plan(setSize: 1000, blockSize: 128, conflicts: [conflict])
    #expect(other !== first)
    #expect(cache.misses == 2 && cache.count == 2)
  }

  @Test("the plan cache does not reuse a plan for another map with the same identity")
  func cacheChecksValues() {
    let cache = PlanCache()
    let token = MapToken()
    let chain = chainConflict(edges: 40, token: token)
    var reversed = chain
    reversed.values = Array(chain.values.reversed())
    let first = cache.plan(setSize: 40, blockSize: 4, conflicts: [chain])
    let second = cache.plan(setSize: 40, blockSize: 4, conflicts: [reversed])
    #expect(first !== second)
    #expect(cache.hits == 0 && cache.misses == 2)
    #expect(second.checkInvariants().isEmpty)
  }

  @Test("concurrent requests for one loop build its plan once")
  func cacheConcurrent() async {
    let cache = PlanCache()
    let token = MapToken()
    let conflict = chainConflict(edges: 10_000, token: token)
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<16 {
        group.addTask { _ = cache.plan(setSize: 10_000, blockSize: 64, conflicts: [conflict]) }
      }
    }
    #expect(cache.misses == 1 && cache.hits == 15)
  }

  @Test("OP2_BLOCK_SIZE must be a positive integer", arguments: ["0", "-3", "abc", " 64", "1.5"])
  func invalidBlockSize(value: String) {
    #expect(throws: OP2Error.invalidConfiguration(variable: "OP2_BLOCK_SIZE", value: value, expected: "a positive integer")) {
      try Plan.blockSize(fromEnvironment: value)
    }
  }

  @Test("OP2_BLOCK_SIZE sets the block size, and 4096 is used when it is unset")
  func validBlockSize() throws {
    #expect(try Plan.blockSize(fromEnvironment: "256") == 256)
    #expect(try Plan.blockSize(fromEnvironment: "1") == 1)
    #expect(try Plan.blockSize(fromEnvironment: nil) == 4096)
    #expect(try Plan.blockSize(fromEnvironment: "") == 4096)  // empty is unset, as for every OP2_* variable
  }
}

@Suite("Plan with owning threads")
struct OwnedPlanTests {
  @Test("owned plans over random maps pass their invariant check", arguments: [1, 2, 3, 5], [1, 16, 512])
  func randomOwnedPlansAreSound(owners: Int, blockSize: Int) {
    let tokens = (0..<3).map { _ in MapToken() }
    for setSize in [1, 999, 20_000] {
      let seed = UInt64(setSize) &* 31 &+ UInt64(owners) &* 7 &+ UInt64(blockSize)
      let conflicts = randomConflicts(setSize: setSize, seed: seed, tokens: tokens)
      let plan = Plan(setSize: setSize, blockSize: blockSize, conflicts: conflicts, owners: owners)
      #expect(plan.checkInvariants().isEmpty, "seed \(seed): \(plan.checkInvariants().prefix(3))")
      // Every block is listed exactly once across colours and owners, and owners are contiguous runs.
      var seen = [Int](repeating: 0, count: plan.blockCount)
      for c in 0..<plan.colourCount {
        for t in 0..<owners {
          for b in plan.blocks(ofColour: c, owner: t) {
            seen[b] += 1
            #expect(plan.owner(ofBlock: b) == t)
          }
        }
      }
      #expect(seen.allSatisfy { $0 == 1 }, "seed \(seed)")
    }
  }

  @Test("a chain split between two owners needs two colours, and only the boundary block takes the second")
  func chainWithOwners() {
    let token = MapToken()
    let plan = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)], owners: 2)
    #expect(plan.colourCount == 2)
    #expect(plan.blockColours == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    #expect(Array(plan.blocks(ofColour: 0, owner: 0)) == [0, 1, 2, 3, 4])
    #expect(Array(plan.blocks(ofColour: 1, owner: 1)) == [5])
    // One owner needs no second colour at all: it runs every block in order.
    let single = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)], owners: 1)
    #expect(single.colourCount == 1)
  }

  @Test("checkInvariants still catches two owners writing one element in one colour")
  func brokenOwnedColouring() {
    let token = MapToken()
    let good = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)], owners: 2)
    #expect(good.checkInvariants().isEmpty)
    // Classical colouring (no owners) of the same alternating colours is also fine, but all-zero is not.
    let broken = Plan(setSize: 40, blockSize: 4, conflicts: [chainConflict(edges: 40, token: token)],
                      blockColours: Array(repeating: 0, count: 10), colourCount: 1)
    #expect(!broken.checkInvariants().isEmpty)
  }
}

@Suite("Plan over a range of the set")
struct PlanRangeTests {
  @Test("a plan from element `first` on colours like a plan of the sliced map", arguments: [0 as UInt64, 1, 2, 3])
  func rangeEqualsSlice(seed: UInt64) {
    let tokens = (0..<3).map { _ in MapToken() }
    let whole = randomConflicts(setSize: 500, seed: seed, tokens: tokens)
    let first = 137, size = 300
    let ranged = whole.map { c -> PlanConflict in
      var r = c
      r.firstElement = first
      return r
    }
    let sliced = whole.map { c -> PlanConflict in
      var r = c
      r.values = Array(c.values[(first * c.arity)..<((first + size) * c.arity)])
      return r
    }
    let a = Plan(setSize: size, blockSize: 16, conflicts: ranged, owners: 2)
    let b = Plan(setSize: size, blockSize: 16, conflicts: sliced, owners: 2)
    #expect(a.blockColours == b.blockColours && a.colourCount == b.colourCount)
    #expect(a.checkInvariants().isEmpty, "\(a.checkInvariants())")
  }
}
