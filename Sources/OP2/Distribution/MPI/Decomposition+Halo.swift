extension Decomposition {
  /// The elements of one set that this rank's owned and exec-halo elements map to, as compact
  /// *slots*: each distinct global index gets a slot once, and map rows are kept as slot numbers,
  /// so that owners, halo classes and local indices are array lookups afterwards.
  struct Targets {
    var slotOf: [Int32: Int32] = [:]
    /// Global index and owning rank of each slot.
    var global: [Int32] = []
    var owner: [Int32] = []
    /// The slot's local index once numbered.
    var local: [Int32] = []

    /// The slot of global index `g`, made on first sight.
    mutating func slot(_ g: Int32) -> Int32 {
      if let known = slotOf[g] { return known }
      let s = Int32(global.count)
      slotOf[g] = s
      global.append(g)
      return s
    }
  }

  /// Builds OP2's halos from the owned elements and installs the distributed layout.
  ///
  /// For every set S, with all maps from S:
  /// - an owned element is *core* when every element it maps to is owned here too;
  /// - the *exec halo* of S here is the elements other ranks own that map to an element owned here
  ///   (they may write it, so this rank executes them too): each owner sends those elements and
  ///   their map rows to the ranks that need them;
  /// - the *non-exec halo* of a set T is every element that owned or exec-halo elements map to,
  ///   owned elsewhere and not already in T's exec halo.
  ///
  /// Local order is `[core | other owned | exec halo | non-exec halo]`, each part by global index
  /// (halo parts grouped by owner first). Maps are renumbered to local indices; the owners learn
  /// which of their elements each neighbour imports, and in which order (the export lists), and
  /// answer with the contiguous numbering of those elements (for PETSc).
  func buildHalos() {
    let me = Int32(rank)
    var targets = [Targets](repeating: Targets(), count: pieces.count)
    var ownedSlots = [[Int32]](repeating: [], count: maps.count)
    var execSlots = [[Int32]](repeating: [], count: maps.count)
    for (j, m) in maps.enumerated() {
      ownedSlots[j] = m.ownedRows.map { targets[m.to].slot($0) }
      m.ownedRows = []
    }
    lookUpOwners(&targets)

    // Exec halos and core elements.
    var core = [[Bool]](repeating: [], count: pieces.count)
    var execIDs = [[Int32]](repeating: [], count: pieces.count)
    var execOwners = [[Int32]](repeating: [], count: pieces.count)
    for p in pieces {
      core[p.index] = [Bool](repeating: true, count: p.owned.count)
      let outgoing = maps.indices.filter { maps[$0].from == p.index }
      guard !outgoing.isEmpty else { continue }
      var ids = [[Int32]](repeating: [], count: ranks)
      var rows = [[[Int32]]](repeating: [[Int32]](repeating: [], count: ranks), count: outgoing.count)
      var destinations: [Int32] = []
      for i in p.owned.indices {
        destinations.removeAll(keepingCapacity: true)
        for j in outgoing {
          let arity = maps[j].arity, owner = targets[maps[j].to].owner
          for k in 0..<arity {
            let o = owner[Int(ownedSlots[j][i * arity + k])]
            if o != me, !destinations.contains(o) { destinations.append(o) }
          }
        }
        guard !destinations.isEmpty else { continue }
        core[p.index][i] = false
        for q in destinations.map(Int.init) {
          ids[q].append(Int32(p.owned[i]))
          for (n, j) in outgoing.enumerated() {
            let arity = maps[j].arity, global = targets[maps[j].to].global
            for k in 0..<arity { rows[n][q].append(global[Int(ownedSlots[j][i * arity + k])]) }
          }
        }
      }
      for (q, list) in communicator.alltoall(ids).enumerated() {
        execIDs[p.index].append(contentsOf: list)
        execOwners[p.index].append(contentsOf: repeatElement(Int32(q), count: list.count))
      }
      for (n, j) in outgoing.enumerated() {
        execSlots[j] = communicator.alltoall(rows[n]).flatMap { $0 }.map { targets[maps[j].to].slot($0) }
      }
    }
    lookUpOwners(&targets)

    // Local numbering: owned (core first), exec halo, then the non-exec halo — the slots owned
    // elsewhere that are not exec-halo elements.
    var orders = [[Int]](repeating: [], count: pieces.count)
    /// The local index of each owned element, by its position in `owned` (ascending global index).
    var localOfOwned = [[Int32]](repeating: [], count: pieces.count)
    var layouts: [SetLayout] = []
    var nonexec = [[(owner: Int32, id: Int32)]](repeating: [], count: pieces.count)
    for p in pieces {
      let i = p.index
      let order = p.owned.indices.filter { core[i][$0] } + p.owned.indices.filter { !core[i][$0] }
      localOfOwned[i] = [Int32](repeating: 0, count: order.count)
      for (l, k) in order.enumerated() { localOfOwned[i][k] = Int32(l) }
      var t = targets[i]
      t.local = [Int32](repeating: -1, count: t.global.count)
      for s in t.global.indices where t.owner[s] == me {
        t.local[s] = localOfOwned[i][Self.position(of: Int(t.global[s]), in: p.owned)]
      }
      for (k, g) in execIDs[i].enumerated() {
        if let s = t.slotOf[g] { t.local[Int(s)] = Int32(order.count + k) }
      }
      let executed = order.count + execIDs[i].count
      nonexec[i] = t.global.indices.filter { t.local[$0] < 0 }.map { (t.owner[$0], t.global[$0]) }
      nonexec[i].sort { $0.owner != $1.owner ? $0.owner < $1.owner : $0.id < $1.id }
      for (k, entry) in nonexec[i].enumerated() { t.local[Int(t.slotOf[entry.id]!)] = Int32(executed + k) }
      targets[i] = t
      orders[i] = order
      layouts.append(SetLayout(core: core[i].reduce(0) { $0 + ($1 ? 1 : 0) }, owned: order.count, executed: executed,
                               total: executed + nonexec[i].count, global: p.block.globalSize))
    }

    // Halo lists and the contiguous numbering: each rank asks the owners for its halo elements.
    let ownedCounts = communicator.allgather(pieces.map(\.owned.count))
    var distributions: [_SetDistribution] = []
    for p in pieces {
      let i = p.index, layout = layouts[i]
      var requests = [[Int32]](repeating: [], count: ranks)
      var importLocals = [[Int32]](repeating: [], count: ranks)
      for (k, g) in execIDs[i].enumerated() {
        requests[Int(execOwners[i][k])].append(g)
        importLocals[Int(execOwners[i][k])].append(Int32(layout.owned + k))
      }
      for (k, entry) in nonexec[i].enumerated() {
        requests[Int(entry.owner)].append(entry.id)
        importLocals[Int(entry.owner)].append(Int32(layout.executed + k))
      }
      let offset = ownedCounts[..<rank].reduce(0) { $0 + $1[i] }
      var exports: [_SetDistribution.Neighbour] = []
      var answers = [[Int]](repeating: [], count: ranks)
      for (q, list) in communicator.alltoall(requests).enumerated() where !list.isEmpty {
        let elements = list.map { localOfOwned[i][Self.position(of: Int($0), in: p.owned)] }
        exports.append(.init(rank: q, elements: elements))
        answers[q] = elements.map { offset + Int($0) }
      }
      var haloNumbers = [Int](repeating: 0, count: layout.total - layout.owned)
      var imports: [_SetDistribution.Neighbour] = []
      for (q, numbers) in communicator.alltoall(answers).enumerated() where !numbers.isEmpty {
        imports.append(.init(rank: q, elements: importLocals[q]))
        for (k, n) in numbers.enumerated() { haloNumbers[Int(importLocals[q][k]) - layout.owned] = n }
      }
      var globalIndices = orders[i].map { p.owned[$0] }
      globalIndices += execIDs[i].map(Int.init)
      globalIndices += nonexec[i].map { Int($0.id) }
      distributions.append(_SetDistribution(communicator: communicator, globalIndices: globalIndices, exports: exports,
                                            imports: imports, numberingOffset: offset, haloNumbers: haloNumbers))
    }

    // Install: maps in local indices, Dats in local order with halo space, then the sets.
    for (j, m) in maps.enumerated() {
      let local = targets[m.to].local
      var rows = Self.permuteRows(ownedSlots[j], width: m.arity, order: orders[m.from])
      rows += execSlots[j]
      m.map.replaceValues(rows.map { local[Int($0)] })
    }
    for d in dats {
      let layout = layouts[d.set]
      let storage = _UnsafeDatBuffer(byteCount: layout.total * d.rowBytes)
      storage.storeBytes(Self.permuteRows(d.ownedBytes, width: d.rowBytes, order: orders[d.set]), offset: 0)
      d.dat.replaceStorage(storage)
    }
    for p in pieces { p.set.install(layout: layouts[p.index], distribution: distributions[p.index]) }
  }

  /// Asks the block owners which rank owns each slot that has no owner yet.
  private func lookUpOwners(_ targets: inout [Targets]) {
    for t in pieces {
      let known = targets[t.index].owner.count
      let keys = targets[t.index].global[known...].map(Int.init)
      targets[t.index].owner += t.block.fetch(t.blockPart, keys: keys, on: communicator)
    }
  }

  /// The position of `g` in the ascending array `sorted`, which holds it.
  static func position(of g: Int, in sorted: [Int]) -> Int {
    var low = 0, high = sorted.count - 1
    while low < high {
      let mid = (low + high) / 2
      if sorted[mid] < g { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
