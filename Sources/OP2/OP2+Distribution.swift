import Synchronization

extension OP2 {
  /// This process's rank in the MPI job: 0 without MPI (PyOP2's `op2.MPI.comm.rank`).
  public static var rank: Int { MPIEnvironment.world?.rank ?? 0 }

  /// The number of ranks in the MPI job: 1 without MPI (`mpirun -n N` gives N).
  public static var rankCount: Int { MPIEnvironment.world?.size ?? 1 }

  /// How loops are spread over processes: the distribution, independent of the node ``Backend``
  /// that runs each process's share (so `mpirun -n 2` with `.threaded(threads: 2)` is MPI × threads).
  public enum Distribution: Hashable, Sendable, CustomStringConvertible {
    /// One process runs every loop on the whole of every set.
    case singleProcess
    /// `ranks` MPI processes; loops over partitioned sets run on each rank's part, with halo
    /// exchanges and reductions across ranks (loops over sets not partitioned run replicated).
    case mpi(ranks: Int)

    public var description: String {
      switch self {
      case .singleProcess: return "single process"
      case .mpi(let ranks): return "MPI, \(ranks) ranks"
      }
    }
  }

  /// The distribution in effect: MPI when the process was started by `mpirun` with more than one
  /// rank, else a single process. Nothing to configure: a program runs unchanged under `mpirun`.
  public static var distribution: Distribution { rankCount > 1 ? .mpi(ranks: rankCount) : .singleProcess }

  /// The sum of `value` over all ranks, on every rank (`MPI_Allreduce`): `value` itself without
  /// MPI. Collective: every rank must call it. For a program's own totals (Globals reduced in
  /// loops are summed by the loops already).
  public static func sumOverRanks(_ value: Double) -> Double { MPIEnvironment.world?.allreduce(value, .sum) ?? value }

  /// The largest `value` over all ranks, on every rank; `value` itself without MPI. Collective.
  public static func maximumOverRanks(_ value: Double) -> Double { MPIEnvironment.world?.allreduce(value, .max) ?? value }

  /// How ``partition(primary:map:method:)`` splits the primary set among the ranks.
  public enum PartitionMethod: Sendable {
    /// The best available: PT-Scotch.
    case automatic
    /// PT-Scotch's parallel graph partitioner (`SCOTCH_dgraphPart`) on the primary set's graph
    /// (elements sharing a target of the primary map are adjacent); nothing is gathered on one rank.
    case ptscotch
    /// METIS k-way (`METIS_PartGraphKway`) on the same graph, gathered on rank 0: for meshes whose
    /// graph fits on one rank.
    case metis
    /// Recursive coordinate bisection, needing no library: each element's point is its
    /// coordinates (a Dat on the primary set) or the mean of its targets' (a Dat on the primary
    /// map's target set, such as node coordinates for cells).
    case geometric(coordinates: Dat<Double>)
    /// Each rank keeps its block of the primary set: the even split of a set declared whole, or
    /// the block it declared.
    case block
    /// The user's partition: the rank of each element of the primary set (every element of a set
    /// declared whole, this rank's block of a set declared in blocks).
    case given([Int])
  }

  /// Distributes every live Set, Map and Dat over the ranks, OP2's `op_partition`.
  ///
  /// Every rank calls it with the same arguments after declaring the same objects. The primary
  /// set is partitioned on its graph through `map` (or as `method` says); every other set follows
  /// it through the maps (an edge goes with its first cell, a node with the lowest-ranked cell that
  /// has it), elements move to their owners with their map rows and Dat values, halos are built
  /// (core, owned, exec halo, non-exec halo — see ``Set/coreSize``) and maps are renumbered to
  /// local indices. From then on loops over these sets run across the ranks, exchanging halos as
  /// needed; ``Set/size`` and ``Dat/data`` are this rank's owned part, ``Dat/gatheredData()`` the
  /// whole Dat in the declared numbering. Globals are the same on every rank before and after.
  ///
  /// ```swift
  /// // Every rank declares the whole mesh (or its block: Set(globalSize:localSize:name:))...
  /// let cells = Set(size: grid.cellCount, name: "cells")
  /// let pcell = try Map(from: cells, to: nodes, arity: 4, values: grid.cellNodes, name: "pcell")
  /// // ...then:
  /// try OP2.partition(primary: cells, map: pcell)
  /// ```
  ///
  /// Without MPI, or on one rank, nothing moves: the call only checks its input (and queued
  /// loops stay queued). Declare Sparsities and Mats after partitioning (they are built on the
  /// local layout). On several ranks queued loops run first. The call is collective: every rank reaches the same result or throws the same
  /// error.
  ///
  /// - Throws: ``OP2Error/invalidPartitionInput(rank:reason:)`` for a map that does not start from
  ///   `primary`, a partition array of the wrong length or with ranks out of range, blocks that do
  ///   not add up to their set's global size, or ranks that declared different objects;
  ///   ``OP2Error/partitionAfterMatrices(sparsity:)``; ``OP2Error/partitionerFailed(method:reason:)``.
  public static func partition(primary: Set, map: Map, method: PartitionMethod = .automatic) throws(OP2Error) {
    guard let world = MPIEnvironment.world, world.size > 1 else {
      // Nothing moves, so queued loops may stay queued (running every runtime's queue here
      // would also run other threads' queues behind their backs).
      try checkSingleRankPartition(primary: primary, map: map, method: method)
      return
    }
    // Data moves between ranks: every queued loop runs on the old layout first.
    Runtime.flushEverywhere()
    let decomposition = try Decomposition(primary: primary, map: map, method: method, communicator: world.duplicate())
    try decomposition.run()
    ReplicationNotice.partitioned.store(true, ordering: .relaxed)
    ThreadedExecutor.plans.removeAll()
  }

  /// The checks of a partition on one rank, where nothing moves.
  private static func checkSingleRankPartition(primary: Set, map: Map, method: PartitionMethod) throws(OP2Error) {
    guard map.from === primary else {
      throw .invalidPartitionInput(rank: 0, reason: "map \(map.name) does not start from the primary set \(primary.name) (it maps \(map.from.name) → \(map.to.name))")
    }
    if case .given(let parts) = method {
      guard parts.count == primary.size else {
        throw .invalidPartitionInput(rank: 0, reason: "the partition array has \(parts.count) entries but set \(primary.name) has \(primary.size)")
      }
      if let bad = parts.firstIndex(where: { $0 != 0 }) {
        throw .invalidPartitionInput(rank: 0, reason: "partition entry \(bad) is \(parts[bad]), outside 0..<1 ranks")
      }
    }
  }
}


/// Says once, on rank 0, that a program started by `mpirun` runs loops on every rank over whole
/// sets because it never partitioned them.
package enum ReplicationNotice {
  static let partitioned = Atomic<Bool>(false)
  private static let said = Atomic<Bool>(false)

  package static func check(_ loop: ParLoop) {
    guard MPIEnvironment.launched, !loop.set.isDistributed, !partitioned.load(ordering: .relaxed),
          let world = MPIEnvironment.world, world.size > 1, !said.exchange(true, ordering: .relaxed) else { return }
    if world.rank == 0 {
      print("swift-op2: \(world.size) MPI ranks, but nothing is partitioned: every rank runs every loop on the whole mesh "
            + "(replicated). Call OP2.partition(primary:map:) to distribute the mesh.")
    }
  }
}
