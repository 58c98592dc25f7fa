extension Dat {
  /// The whole Dat in the declared (global) numbering, on every rank: element `g`'s values at
  /// `g * dim ..< (g + 1) * dim` (on an ``ExtrudedSet``, column `g`'s `layers × dim` values at
  /// `g * layers * dim ..< (g + 1) * layers * dim`).
  ///
  /// Collective on a distributed set or a set declared in blocks: every rank must call it. On a
  /// set that every rank holds whole (no MPI, or not partitioned) it is ``data``. Runs the queued
  /// loops that write the Dat first. PyOP2 reaches the same with a `Vec` scatter to zero;
  /// OP2 with `op_fetch_data_hdf5`.
  public func gatheredData() -> [T] {
    guard let communicator = gatherCommunicator else { return data }
    let (indices, values) = ownedWithIndices()
    return assemble(indices: communicator.allgather(indices), values: communicator.allgather(values))
  }

  /// The whole Dat in the declared numbering on rank `root`, and `[]` on the other ranks.
  /// Collective like ``gatheredData()``.
  /// - Throws: ``OP2Error/invalidRank(operation:rank:rankCount:)`` when `root` is not a rank.
  public func gatheredData(root: Int) throws(OP2Error) -> [T] {
    guard (0..<OP2.rankCount).contains(root) else {
      throw .invalidRank(operation: "Dat \(name).gatheredData", rank: root, rankCount: OP2.rankCount)
    }
    guard let communicator = gatherCommunicator else { return data }
    let (indices, values) = ownedWithIndices()
    let allIndices = communicator.gather(indices, root: root), allValues = communicator.gather(values, root: root)
    return communicator.rank == root ? assemble(indices: allIndices, values: allValues) : []
  }

  /// Replaces every value from the whole array in the declared numbering, given on `root` (other
  /// ranks' `values` are ignored): each rank keeps its own elements. Collective like
  /// ``gatheredData()``; on a set held whole it is ``setData(_:)``.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)`` (on every rank) when `root`'s
  ///   array has the wrong length; ``OP2Error/invalidRank(operation:rank:rankCount:)``.
  public func scatterData(_ values: [T], root: Int = 0) throws(OP2Error) {
    guard (0..<OP2.rankCount).contains(root) else {
      throw .invalidRank(operation: "Dat \(name).scatterData", rank: root, rankCount: OP2.rankCount)
    }
    guard let communicator = gatherCommunicator else { return try setData(values) }
    let width = self.width
    let expected = dataSet.set.globalSize * width
    let count = communicator.broadcast([values.count], root: root)[0]
    guard count == expected else {
      throw .valueCountMismatch(object: "Dat \"\(name)\" on \(dataSet) (scattered from rank \(root))", expected: expected, got: count)
    }
    let whole = communicator.broadcast(communicator.rank == root ? values : [], root: root)
    let indices = Array(dataSet.set.globalIndices.prefix(dataSet.set.size))
    var mine = [T]()
    mine.reserveCapacity(indices.count * width)
    for g in indices { mine.append(contentsOf: whole[(g * width)..<((g + 1) * width)]) }
    try setData(mine)
  }

  /// The communicator of a set spread over ranks; nil when this rank holds the whole set.
  private var gatherCommunicator: Communicator? {
    let set = dataSet.set
    if let distribution = set.distribution { return distribution.communicator }
    return set.layout.declaredInBlocks ? MPIEnvironment.world : nil
  }

  /// This rank's owned values with their global indices (for blocks not partitioned yet, the
  /// block in rank order: indices are then positions in the gathered order).
  private func ownedWithIndices() -> ([Int], [T]) {
    let set = dataSet.set
    if set.distribution != nil { return (Array(set.globalIndices.prefix(set.size)), data) }
    return ([], data)
  }

  private func assemble(indices: [[Int]], values: [[T]]) -> [T] {
    let set = dataSet.set
    guard set.distribution != nil else { return values.flatMap { $0 } }  // blocks, in rank order
    let width = self.width
    var whole = [T](repeating: 0, count: set.globalSize * width)
    for (list, rows) in zip(indices, values) {
      for (k, g) in list.enumerated() {
        for c in 0..<width { whole[g * width + c] = rows[k * width + c] }
      }
    }
    return whole
  }

  /// Values per element: `dim`, times `layers` on an ``ExtrudedSet`` (whose elements are columns).
  private var width: Int { dataSet.set.entitiesPerElement * dim }
}

extension Dat {
  /// This rank's values: its owned elements' (``data``), or every local element's, halo
  /// included (`set.totalSize * dim` values, in local order: see ``Set/globalIndices``).
  ///
  /// With `includingHalo`, a stale halo is refreshed first by an exchange with the neighbouring
  /// ranks, so the call is then collective: every rank must make it. Runs the queued loops that
  /// write the Dat first.
  public func localData(includingHalo: Bool = false) -> [T] {
    guard includingHalo, dataSet.set.distribution != nil else { return data }
    Runtime.current.prepareHostAccess(to: self, writing: false)
    if haloState.isStale, let exchange = HaloExchange([self]) {
      let receives = dataSet.set.distribution!.communicator.requests()
      exchange.post(receiving: receives, tag: 0)
      receives.wait()
      exchange.finish()
    }
    return storage.load(T.self, count: dataSet.storedCount)
  }
}
