extension Decomposition {
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
    var owners = [[Int: Int32]](repeating: [:], count: pieces.count)
    lookUpOwners(maps.map { ($0.to, $0.ownedRows) }, into: &owners)

    // Exec halos and core elements.
    var core = [[Bool]](repeating: [], count: pieces.count)
    var execIDs = [[Int]](repeating: [], count: pieces.count)
    var execOwners = [[Int32]](repeating: [], count: pieces.count)
    for p in pieces {
      core[p.index] = [Bool](repeating: true, count: p.owned.count)
      guard !p.outgoing.isEmpty else { continue }
      var ids = [[Int]](repeating: [], count: ranks)
      var rows = [[[Int32]]](repeating: [[Int32]](repeating: [], count: ranks), count: p.outgoing.count)
      var destinations: [Int32] = []
      for (i, g) in p.owned.enumerated() {
        destinations.removeAll(keepingCapacity: true)
        for m in p.outgoing {
          let owner = owners[m.to]
          for k in 0..<m.arity {
            let o = owner[Int(m.ownedRows[i * m.arity + k])]!
            if o != me, !destinations.contains(o) { destinations.append(o) }
          }
        }
        guard !destinations.isEmpty else { continue }
        core[p.index][i] = false
        for q in destinations.map(Int.init) {
          ids[q].append(g)
          for (j, m) in p.outgoing.enumerated() { rows[j][q].append(contentsOf: m.ownedRows[(i * m.arity)..<((i + 1) * m.arity)]) }
        }
      }
      for (q, list) in communicator.alltoall(ids).enumerated() {
        execIDs[p.index].append(contentsOf: list)
        execOwners[p.index].append(contentsOf: repeatElement(Int32(q), count: list.count))
      }
      for (j, m) in p.outgoing.enumerated() { m.execRows = communicator.alltoall(rows[j]).flatMap { $0 } }
    }
    lookUpOwners(maps.map { ($0.to, $0.execRows) }, into: &owners)

    // Non-exec halos: what owned and exec elements map to, owned elsewhere, not in the exec halo.
    var nonexec = [[(owner: Int32, id: Int)]](repeating: [], count: pieces.count)
    for t in pieces {
      let exec = Swift.Set(execIDs[t.index])
      var seen = Swift.Set<Int>()
      for m in maps where m.to == t.index {
        for rows in [m.ownedRows, m.execRows] {
          for v in rows {
            let g = Int(v)
            let o = owners[t.index][g]!
            if o != me, !exec.contains(g), seen.insert(g).inserted { nonexec[t.index].append((o, g)) }
          }
        }
      }
      nonexec[t.index].sort { $0.owner != $1.owner ? $0.owner < $1.owner : $0.id < $1.id }
    }

    // Local numbering.
    var orders = [[Int]](repeating: [], count: pieces.count)
    var locals = [[Int: Int32]](repeating: [:], count: pieces.count)
    var layouts: [SetLayout] = []
    for p in pieces {
      let order = p.owned.indices.filter { core[p.index][$0] } + p.owned.indices.filter { !core[p.index][$0] }
      let coreCount = core[p.index].reduce(0) { $0 + ($1 ? 1 : 0) }
      var local = [Int: Int32](minimumCapacity: order.count + execIDs[p.index].count + nonexec[p.index].count)
      for (l, i) in order.enumerated() { local[p.owned[i]] = Int32(l) }
      var next = order.count
      for g in execIDs[p.index] { local[g] = Int32(next); next += 1 }
      let executed = next
      for (_, g) in nonexec[p.index] { local[g] = Int32(next); next += 1 }
      orders[p.index] = order
      locals[p.index] = local
      layouts.append(SetLayout(core: coreCount, owned: order.count, executed: executed, total: next,
                               global: p.block.globalSize))
    }

    // Halo lists and the contiguous numbering: each rank asks the owners for its halo elements.
    let ownedCounts = communicator.allgather(pieces.map(\.owned.count))
    var distributions: [_SetDistribution] = []
    for p in pieces {
      let i = p.index, layout = layouts[i]
      var requests = [[Int]](repeating: [], count: ranks)
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
      let asked = communicator.alltoall(requests)
      var exports: [_SetDistribution.Neighbour] = []
      var answers = [[Int]](repeating: [], count: ranks)
      for (q, list) in asked.enumerated() where !list.isEmpty {
        let elements = list.map { locals[i][$0]! }
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
      globalIndices += execIDs[i]
      globalIndices += nonexec[i].map(\.id)
      distributions.append(_SetDistribution(communicator: communicator, globalIndices: globalIndices, exports: exports,
                                            imports: imports, numberingOffset: offset, haloNumbers: haloNumbers))
    }

    // Install: maps in local indices, Dats in local order with halo space, then the sets.
    for m in maps {
      let local = locals[m.to]
      var rows = Self.permuteRows(m.ownedRows, width: m.arity, order: orders[m.from])
      rows += m.execRows
      m.map.replaceValues(rows.map { local[Int($0)]! })
    }
    for d in dats {
      let layout = layouts[d.set]
      let storage = _UnsafeDatBuffer(byteCount: layout.total * d.rowBytes)
      storage.storeBytes(Self.permuteRows(d.ownedBytes, width: d.rowBytes, order: orders[d.set]), offset: 0)
      d.dat.replaceStorage(storage)
    }
    for p in pieces { p.set.install(layout: layouts[p.index], distribution: distributions[p.index]) }
  }

  /// Adds, for every global index in the rows that `owners[set]` does not know yet, the rank that
  /// owns it (asked of the index's block owner, which knows the part of its block).
  private func lookUpOwners(_ rows: [(set: Int, rows: [Int32])], into owners: inout [[Int: Int32]]) {
    for t in pieces {
      var keys = Swift.Set<Int>()
      for (set, list) in rows where set == t.index {
        for v in list where owners[set][Int(v)] == nil { keys.insert(Int(v)) }
      }
      let ordered = keys.sorted()
      let parts = t.block.fetch(t.blockPart, keys: ordered, on: communicator)
      for (g, o) in zip(ordered, parts) { owners[t.index][g] = o }
    }
  }
}
