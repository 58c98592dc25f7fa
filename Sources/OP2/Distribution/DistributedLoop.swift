/// Runs a group of loops over its iteration set's elements on this rank, OP2's distributed
/// execution (`op_mpi_halo_exchanges`, `op_mpi_wait_all`, `op_mpi_reduce`):
///
/// 1. post a halo exchange for every Dat the group reads through a map (or directly, when the
///    exec halo runs) whose halo is stale — unless an earlier loop of the group writes it, which
///    fused loops only do element by element;
/// 2. run the core elements, which need no halo data, while the messages are in flight;
/// 3. wait, then run the other owned elements;
/// 4. if some loop writes through a map (or assembles a Mat), run the exec halo too: other ranks'
///    elements that write owned data, executed here redundantly, so that no contribution has to be
///    sent back;
/// 5. reduce Globals across ranks with `MPI_Allreduce` — from their values after the owned
///    elements, so the exec halo's redundant work is not counted twice;
/// 6. mark the halo of every Dat the group wrote stale.
///
/// A loop over a ``Subset`` of a distributed set runs over its iteration set, whose layout counts
/// the subset's elements in each of those ranges.
///
/// A set that is not distributed runs whole, as in one process.
package enum DistributedLoop {
  /// What a run spent on communication.
  package struct Traffic: Sendable {
    package var haloSeconds = 0.0
    package var haloBytes = 0
    package var exchanges = 0
  }

  /// Runs `group`, calling `execute` for each range of elements.
  package static func run(_ group: LoopGroup, execute: (Range<Int>) throws(OP2Error) -> Void) throws(OP2Error) -> Traffic {
    let set = group.set
    guard let distribution = set.distribution else {
      try execute(0..<set.size)
      return Traffic()
    }
    let layout = set.layout
    let args = group.arguments
    // A Subset's map to its superset is direct access: it needs no halo data.
    func indirect(_ arg: Arg) -> Bool { arg.map.map { !$0.isSubsetElements } ?? false }
    let runsExecHalo = args.contains { $0.matrix != nil || (indirect($0) && $0.access.writes) }
    var traffic = Traffic()

    // 1. Exchanges, in argument order (the same on every rank), the Dats of one set together.
    var stale: [any _ArgData] = []
    var scheduled = Swift.Set<ObjectIdentifier>()
    var written = Swift.Set<ObjectIdentifier>()
    // A run's repeats have the same arguments: each run once.
    for run in group.runs {
      let loop = run.loop
      for arg in loop.args where !arg.isGlobal && arg.matrix == nil {
        let id = ObjectIdentifier(arg.data)
        guard arg.access == .read || arg.access == .rw, indirect(arg) || runsExecHalo,
              !written.contains(id), !scheduled.contains(id), arg.data.halo?.isStale == true,
              arg.data.set?.distribution != nil else { continue }
        scheduled.insert(id)
        stale.append(arg.data)
      }
      for arg in loop.args where arg.access.writes { written.insert(ObjectIdentifier(arg.data)) }
    }
    // Halos are packed from, and unpacked into, host memory: values a device wrote come back
    // first, and the unpacked halo goes to the device copy (below).
    for d in stale { d.prepareHostStorage(writing: false) }
    var exchanges: [HaloExchange] = []
    var sets: [ObjectIdentifier] = []
    for d in stale where !sets.contains(ObjectIdentifier(d.set!)) {
      sets.append(ObjectIdentifier(d.set!))
      if let exchange = HaloExchange(stale.filter { $0.set === d.set }) { exchanges.append(exchange) }
    }

    // Globals reduced by the group: INC starts from zero here and adds the value it had.
    var reductions: [(target: any _DistributedReduction, access: Access, initial: [UInt8])] = []
    for arg in args where arg.isGlobal && arg.access != .read {
      guard let target = arg.data as? any _DistributedReduction,
            !reductions.contains(where: { $0.target === target }) else { continue }
      reductions.append((target, arg.access, target.beginReduction(arg.access)))
    }

    // 2–3. Core while messages fly, then the rest of the owned elements.
    if exchanges.isEmpty {
      try execute(0..<layout.owned)
    } else {
      let started = ContinuousClock.now
      let receives = distribution.communicator.requests(capacity: exchanges.count * max(1, distribution.imports.count))
      for (tag, exchange) in exchanges.enumerated() {
        exchange.post(receiving: receives, tag: Int32(tag))
        traffic.haloBytes += exchange.bytesSent
      }
      traffic.exchanges = stale.count
      var waited = ContinuousClock.now - started
      try execute(0..<layout.core)
      let waiting = ContinuousClock.now
      receives.wait()
      for exchange in exchanges { exchange.finish() }
      for d in stale { d.residence.hostDidWrite(d.storage, fromByte: d.set!.layout.owned * d.set!.entitiesPerElement * d.dim * d.elementSize) }
      waited += ContinuousClock.now - waiting
      traffic.haloSeconds = Double(waited / .nanoseconds(1)) / 1e9
      try execute(layout.core..<layout.owned)
    }

    // 4–5. Exec halo, outside the reductions.
    let owned = reductions.map { $0.target.snapshot() }
    if runsExecHalo { try execute(layout.owned..<layout.executed) }
    for (k, r) in reductions.enumerated() {
      r.target.finishReduction(r.access, owned: owned[k], initial: r.initial, on: distribution.communicator)
    }

    // 6. What the group wrote is stale in the halo.
    for arg in args where arg.access.writes { arg.data.halo?.markStale() }
    return traffic
  }
}

/// A Global reduced across ranks (INC, MIN, MAX).
package protocol _DistributedReduction: AnyObject {
  /// Prepares for a reduction with `access` and returns what finishing it needs: for INC the
  /// value before the loop (the Global then starts from zero), else nothing.
  func beginReduction(_ access: Access) -> [UInt8]
  /// The current value's bytes.
  func snapshot() -> [UInt8]
  /// Sets the Global to the reduction over all ranks of `owned` (this rank's value after its
  /// owned elements), plus `initial` for INC.
  func finishReduction(_ access: Access, owned: [UInt8], initial: [UInt8], on communicator: Communicator)
}

extension Global: _DistributedReduction {
  package func beginReduction(_ access: Access) -> [UInt8] {
    guard access == .inc else { return [] }
    let initial = snapshot()
    storage.zero()
    residence.hostDidOverwrite()
    return initial
  }

  package func snapshot() -> [UInt8] {
    prepareHostStorage(writing: false)
    return storage.loadBytes(offset: 0, count: dim * MemoryLayout<T>.stride)
  }

  package func finishReduction(_ access: Access, owned: [UInt8], initial: [UInt8], on communicator: Communicator) {
    storage.storeBytes(owned, offset: 0)
    residence.hostDidOverwrite()
    let op: Communicator.Reduction = access == .min ? .min : access == .max ? .max : .sum
    communicator.allreduceInPlace(storage, count: dim, typeCode: T.mpiTypeCode, op)
    guard access == .inc, !initial.isEmpty else { return }
    let total = storage.load(T.self, count: dim)
    let before = _UnsafeDatBuffer(byteCount: initial.count)
    before.storeBytes(initial, offset: 0)
    storage.store(zip(before.load(T.self, count: dim), total).map { $0 + $1 })
  }
}

extension OP2Scalar {
  /// The MPI datatype code of the C type (see `op2shim_mpi_type`).
  package static var mpiTypeCode: Int32 {
    switch cType {
    case "double": return 1
    case "float": return 2
    case "int": return 3
    default: return 4
    }
  }
}
