/// OP2's decomposition of a whole mesh into any number of parts, counted in one process: the part
/// of every element, derived from the primary set's parts by the rules of ``Decomposition``, and
/// per part the core, owned, exec-halo and non-exec-halo sizes of every set and how many elements
/// each part imports from each other part — what `OP2.partition(primary:map:)` would build on
/// that many ranks, without MPI and without moving any data. `op2-bench scaling` uses it to
/// predict scaling past the cores at hand.
///
/// The definitions are OP2's, as ``Decomposition/buildHalos()`` applies them. For a set S, with
/// every map from S, on part r:
/// - an owned element is *core* when every element it maps to is owned by r;
/// - the *exec halo* of S is the elements owned elsewhere that map to an element owned by r;
/// - the *non-exec halo* of a set T is the elements of T that r's owned or exec-halo elements (of
///   any set) map to, owned elsewhere and not in T's exec halo.
/// Part r imports its exec and non-exec halo from their owners in every halo exchange.
///
/// Parts are derived in rounds, as ``Decomposition`` does: a set with a map to a set partitioned
/// before the round follows the first such map's slot 0 (edges follow their first cell);
/// otherwise a set that a partitioned set maps to takes the lowest part among the elements mapping
/// to it (nodes take the lowest part of their cells), or, for an element nothing maps to, the part
/// whose even block holds it; sets connected to nothing keep their even blocks.
///
/// Costs O(map entries) time plus a sort of the halo entries, and O(map entries + halo entries)
/// memory: flat arrays throughout, no per-element collections. (A 7.2-million-cell airfoil grid
/// takes about 2 s for any part count, a fraction of METIS's time on its graph.)
///
/// ```swift
/// let graph = DecompositionCensus.adjacency(of: grid.cellNodes, arity: 4, sourceCount: grid.cellCount,
///                                           targetCount: grid.nodeCount)
/// let cellParts = try METIS.partitionWhole(offsets: graph.offsets, adjacency: graph.adjacency, parts: 64)
/// let census = DecompositionCensus(sets: sets, maps: maps, primary: 3, primaryParts: cellParts, parts: 64)
/// print(census.counts[3].exec.max()!)  // the largest exec halo of cells
/// ```
package struct DecompositionCensus: Sendable {
  /// A set: its name and global size.
  package struct SetDescription: Sendable {
    package var name: String
    package var size: Int
    package init(name: String, size: Int) {
      self.name = name
      self.size = size
    }
  }

  /// A map between two of the sets (indices into `sets`), `arity` global target indices per
  /// source element.
  package struct MapDescription: Sendable {
    package var name: String
    package var from: Int
    package var to: Int
    package var arity: Int
    package var values: [Int32]
    package init(name: String, from: Int, to: Int, arity: Int, values: [Int32]) {
      self.name = name
      self.from = from
      self.to = to
      self.arity = arity
      self.values = values
    }
  }

  /// One set's sizes on each part (each array has `parts` entries).
  package struct SetCounts: Sendable, Equatable {
    package var owned: [Int]
    package var core: [Int]
    package var exec: [Int]
    package var nonExec: [Int]
    package init(owned: [Int], core: [Int], exec: [Int], nonExec: [Int]) {
      self.owned = owned
      self.core = core
      self.exec = exec
      self.nonExec = nonExec
    }
  }

  /// `elements` elements of a set that part `importer` receives from part `owner` in each halo
  /// exchange (its exec and non-exec halo owned there).
  package struct Import: Sendable, Equatable {
    package var importer: Int
    package var owner: Int
    package var elements: Int
    package init(importer: Int, owner: Int, elements: Int) {
      self.importer = importer
      self.owner = owner
      self.elements = elements
    }
  }

  /// The number of parts.
  package let parts: Int
  /// The sets, in declaration order.
  package let sets: [SetDescription]
  /// The part of every element, per set.
  package private(set) var elementParts: [[Int32]]
  /// Per set, its sizes on each part.
  package private(set) var counts: [SetCounts] = []
  /// Per set, what each part imports from each other part, ordered by importer, then owner.
  package private(set) var imports: [[Import]] = []

  /// Derives every set's parts from `primaryParts` and counts the halos.
  ///
  /// - Parameters:
  ///   - sets: The sets, in declaration order (the order decides nothing but the rounds' order,
  ///     as in ``Decomposition``).
  ///   - maps: The maps, in declaration order: a set follows the *first* map that qualifies.
  ///   - primary: The index of the primary set in `sets`.
  ///   - primaryParts: The part of each element of the primary set, in `0..<parts`.
  ///   - parts: The number of parts, at least 1.
  ///
  /// Traps when a map's values or `primaryParts` are out of range.
  package init(sets: [SetDescription], maps: [MapDescription], primary: Int, primaryParts: [Int32], parts: Int) {
    precondition(parts >= 1, "DecompositionCensus: \(parts) parts")
    precondition(primaryParts.count == sets[primary].size,
                 "DecompositionCensus: \(primaryParts.count) parts for the \(sets[primary].size) elements of \(sets[primary].name)")
    precondition(primaryParts.allSatisfy { $0 >= 0 && Int($0) < parts }, "DecompositionCensus: a part outside 0..<\(parts)")
    for m in maps {
      precondition(m.values.count == m.arity * sets[m.from].size && m.values.allSatisfy { $0 >= 0 && Int($0) < sets[m.to].size },
                   "DecompositionCensus: map \(m.name) does not fit sets \(sets[m.from].name) → \(sets[m.to].name)")
    }
    self.parts = parts
    self.sets = sets
    elementParts = [[Int32]](repeating: [], count: sets.count)
    elementParts[primary] = primaryParts
    deriveParts(maps: maps, primary: primary)
    countHalos(maps: maps)
  }

  // MARK: Parts

  /// ``Decomposition``'s `deriveParts`, on whole arrays.
  private mutating func deriveParts(maps: [MapDescription], primary: Int) {
    var partitioned = sets.indices.map { $0 == primary }
    while true {
      let known = partitioned
      var progress = false
      for s in sets.indices where !partitioned[s] {
        if let m = maps.first(where: { $0.from == s && known[$0.to] }) {
          let target = elementParts[m.to]
          elementParts[s] = (0..<sets[s].size).map { target[Int(m.values[$0 * m.arity])] }
        } else if let m = maps.first(where: { $0.to == s && known[$0.from] }) {
          let source = elementParts[m.from]
          var result = evenBlocks(of: s)
          var seen = [Bool](repeating: false, count: sets[s].size)
          for (k, t) in m.values.enumerated() {
            let target = Int(t), part = source[k / m.arity]
            if !seen[target] || part < result[target] { result[target] = part; seen[target] = true }
          }
          elementParts[s] = result
        } else {
          continue
        }
        partitioned[s] = true
        progress = true
      }
      if !progress { break }
    }
    for s in sets.indices where !partitioned[s] { elementParts[s] = evenBlocks(of: s) }
  }

  /// The rank whose even block holds each element (``BlockDirectory/init(evenSplitOf:ranks:rank:)``).
  private func evenBlocks(of s: Int) -> [Int32] {
    let size = sets[s].size
    var out = [Int32](repeating: 0, count: size)
    for r in 0..<parts {
      for g in (size * r / parts)..<(size * (r + 1) / parts) { out[g] = Int32(r) }
    }
    return out
  }

  // MARK: Halos

  private mutating func countHalos(maps: [MapDescription]) {
    let outgoing = sets.indices.map { s in maps.filter { $0.from == s } }
    counts = sets.indices.map { s in
      var owned = [Int](repeating: 0, count: parts)
      for p in elementParts[s] { owned[Int(p)] += 1 }
      let zero = [Int](repeating: 0, count: parts)
      return SetCounts(owned: owned, core: zero, exec: zero, nonExec: zero)
    }
    // Keys importer << 32 | owner, one per imported element, per set; and keys part << 32 |
    // element for the non-exec candidates, per target set, deduplicated afterwards.
    var importKeys = [[UInt64]](repeating: [], count: sets.count)
    var candidates = [[UInt64]](repeating: [], count: sets.count)
    for s in sets.indices {
      let own = elementParts[s], out = outgoing[s], size = sets[s].size
      guard !out.isEmpty else {
        counts[s].core = counts[s].owned
        continue
      }
      // Every map from s side by side, `width` slots per element: the target and its part, and
      // each slot's target set. Flat local arrays keep the element loop free of reference counting.
      let width = out.reduce(0) { $0 + $1.arity }
      var targets = [Int32](repeating: 0, count: size * width), targetParts = targets
      var slotSets: [Int] = []
      for m in out {
        let first = slotSets.count, values = m.values, parts = elementParts[m.to]
        for e in 0..<size {
          for k in 0..<m.arity {
            let t = values[e * m.arity + k]
            targets[e * width + first + k] = t
            targetParts[e * width + first + k] = parts[Int(t)]
          }
        }
        slotSets += repeatElement(m.to, count: m.arity)
      }
      var core = counts[s].core, exec = counts[s].exec
      // executing[0] is the owner; the rest are the parts whose exec halo holds the element.
      var executing: [Int32] = []
      executing.reserveCapacity(width + 1)
      for e in 0..<size {
        let pe = own[e]
        executing.removeAll(keepingCapacity: true)
        executing.append(pe)
        for j in (e * width)..<((e + 1) * width) where !executing.contains(targetParts[j]) { executing.append(targetParts[j]) }
        if executing.count == 1 {
          core[Int(pe)] += 1
          continue  // every target is owned by pe, which alone executes e
        }
        for q in executing.dropFirst() {
          exec[Int(q)] += 1
          importKeys[s].append(UInt64(q) << 32 | UInt64(pe))
        }
        // Targets that a part executing e reads but neither owns nor has in its exec halo.
        for j in 0..<width {
          let t = Int(targets[e * width + j]), pt = targetParts[e * width + j], to = slotSets[j]
          for r in executing where r != pt && !Self.maps(t, of: to, toPart: r, outgoing: outgoing, elementParts: elementParts) {
            candidates[to].append(UInt64(r) << 32 | UInt64(t))
          }
        }
      }
      counts[s].core = core
      counts[s].exec = exec
    }
    for t in sets.indices {
      candidates[t].sort()
      var last = UInt64.max
      for key in candidates[t] where key != last {
        last = key
        let r = Int(key >> 32), element = Int(key & 0xFFFF_FFFF)
        counts[t].nonExec[r] += 1
        importKeys[t].append(UInt64(r) << 32 | UInt64(elementParts[t][element]))
      }
      candidates[t] = []
    }
    imports = importKeys.map { keys in
      var sorted = keys
      sorted.sort()
      var out: [Import] = []
      var i = 0
      while i < sorted.count {
        var j = i + 1
        while j < sorted.count, sorted[j] == sorted[i] { j += 1 }
        out.append(Import(importer: Int(sorted[i] >> 32), owner: Int(sorted[i] & 0xFFFF_FFFF), elements: j - i))
        i = j
      }
      return out
    }
  }

  /// Whether element `t` of set `s` maps to an element of part `r` (then, owned elsewhere, it is
  /// in `r`'s exec halo of `s`).
  private static func maps(_ t: Int, of s: Int, toPart r: Int32, outgoing: [[MapDescription]], elementParts: [[Int32]]) -> Bool {
    for m in outgoing[s] {
      let target = elementParts[m.to]
      for k in 0..<m.arity where target[Int(m.values[t * m.arity + k])] == r { return true }
    }
    return false
  }

  // MARK: Exchanges

  /// Per part, the elements of set `s` it sends in one halo exchange (what the others import
  /// from it).
  package func exported(_ s: Int) -> [Int] {
    var out = [Int](repeating: 0, count: parts)
    for i in imports[s] { out[i.owner] += i.elements }
    return out
  }

  /// Per part, the elements of set `s` it receives in one halo exchange (its whole halo).
  package func imported(_ s: Int) -> [Int] {
    var out = [Int](repeating: 0, count: parts)
    for i in imports[s] { out[i.importer] += i.elements }
    return out
  }

  /// Per part, the parts it sends to in one halo exchange of set `s` (one message each).
  package func exportNeighbours(_ s: Int) -> [Int] {
    var out = [Int](repeating: 0, count: parts)
    for i in imports[s] { out[i.owner] += 1 }
    return out
  }

  /// Per part, the parts it exchanges anything with in a halo exchange of set `s`, sending or
  /// receiving.
  package func neighbours(_ s: Int) -> [Int] {
    // Both directions of each pair, sorted, counted once.
    var pairs: [UInt64] = []
    pairs.reserveCapacity(2 * imports[s].count)
    for i in imports[s] {
      pairs.append(UInt64(i.importer) << 32 | UInt64(i.owner))
      pairs.append(UInt64(i.owner) << 32 | UInt64(i.importer))
    }
    pairs.sort()
    var out = [Int](repeating: 0, count: parts)
    var last = UInt64.max
    for p in pairs where p != last {
      last = p
      out[Int(p >> 32)] += 1
    }
    return out
  }

  // MARK: The primary graph

  /// The primary set's graph in METIS's CSR form, as ``Decomposition`` builds it: two elements
  /// are adjacent when `values` (a map from them, `arity` targets each) sends them to a common
  /// target (cells sharing a node); each neighbour list is ascending, without the element itself
  /// or repeats.
  ///
  /// Two passes over an inverse map (target → sources), the first counting, so the adjacency is
  /// allocated once. Traps when it has more than `Int32.max` entries.
  package static func adjacency(of values: [Int32], arity: Int, sourceCount: Int, targetCount: Int)
    -> (offsets: [Int32], adjacency: [Int32]) {
    precondition(values.count == arity * sourceCount, "DecompositionCensus.adjacency: \(values.count) values for \(sourceCount) × \(arity)")
    // The inverse map in CSR form.
    var start = [Int](repeating: 0, count: targetCount + 1)
    for t in values { start[Int(t) + 1] += 1 }
    for i in 0..<targetCount { start[i + 1] += start[i] }
    var fill = start
    var sources = [Int32](repeating: 0, count: values.count)
    for (k, t) in values.enumerated() {
      sources[fill[Int(t)]] = Int32(k / arity)
      fill[Int(t)] += 1
    }
    var scratch: [Int32] = []
    func neighbours(of e: Int, _ body: (Int32) -> Void) {
      scratch.removeAll(keepingCapacity: true)
      for k in 0..<arity {
        let t = Int(values[e * arity + k])
        for j in start[t]..<start[t + 1] where sources[j] != Int32(e) { scratch.append(sources[j]) }
      }
      scratch.sort()
      var last: Int32 = -1
      for v in scratch where v != last {
        body(v)
        last = v
      }
    }
    var offsets = [Int32](repeating: 0, count: sourceCount + 1)
    var total = 0
    for e in 0..<sourceCount {
      neighbours(of: e) { _ in total += 1 }
      precondition(total <= Int(Int32.max), "DecompositionCensus.adjacency: more than \(Int32.max) adjacency entries")
      offsets[e + 1] = Int32(total)
    }
    var adjacency = [Int32](repeating: 0, count: total)
    var next = 0
    for e in 0..<sourceCount {
      neighbours(of: e) { v in
        adjacency[next] = v
        next += 1
      }
    }
    return (offsets, adjacency)
  }
}
