import CPTScotch

// Every PT-Scotch call swift-op2 makes (compare swift-system's Syscalls.swift). This file and
// Sources/CPTScotch are the only places that see PT-Scotch's types and pointers.
//
// SCOTCH_Num is `int` (32 bits) in Debian's default build: the code below uses `SCOTCH_Num`
// throughout, checks at run time that the library agrees with the header (`SCOTCH_numSizeof`),
// and refuses graphs whose counts do not fit.

/// PT-Scotch's parallel graph partitioner (`SCOTCH_dgraphPart`) on the distributed graph itself:
/// no rank gathers more than its own block.
///
/// The blocks are handed to `SCOTCH_dgraphBuild` as they are (base 0, global neighbour numbers,
/// no weights), partitioned with a mapping strategy built for `parts` parts, and the parts come
/// back in the same local order. PT-Scotch keeps pointers to the arrays it is given, so they live
/// in memory allocated here until `SCOTCH_dgraphExit`.
///
/// Every call's status is agreed on by all ranks before the next call, so that a failure on one
/// rank ends the partition on every rank with the same error. PT-Scotch prints its own message on
/// standard error (libptscotcherr); the error names the call and its return code.
///
/// This is OP2-Common's `op_partition("PTSCOTCH", "KWAY", …)`.
enum PTScotch {
  /// The strategy flags of `SCOTCH_stratDgraphMapBuild`: `SCOTCH_STRATQUALITY` favours a small
  /// edge cut over speed; the load imbalance is bounded by ``imbalance``.
  ///
  /// Measured on a 60 × 50 grid and a 2000-vertex random geometric graph into 2–4 parts on 1–3
  /// ranks, `SCOTCH_STRATDEFAULT` gave the same parts as `SCOTCH_STRATQUALITY`;
  /// `SCOTCH_STRATBALANCE` gave exact balance but cuts up to 55 % larger at 5 % imbalance.
  static let strategyFlags = SCOTCH_Num(SCOTCH_STRATQUALITY)

  /// The largest load imbalance the strategy allows: part sizes at most 1 % above the average.
  ///
  /// Measured on the same graphs, 1 % cost no edge cut against 5 % (42–100 cut edges on the
  /// random graph either way) while the largest part came down from 4.7 % to 1.0 % above average.
  static let imbalance = 0.01

  /// The seed of the partition's own random generator (`SCOTCH_contextRandomSeed`).
  static let seed: SCOTCH_Num = 4321

  /// The part, in `0..<parts`, of each local vertex of `graph`.
  ///
  /// Collective over `communicator`; `graph` must have passed
  /// ``DistributedGraph/validate(parts:method:communicator:)``. The partition runs in a Scotch
  /// context of its own (`SCOTCH_contextBindDgraph`), deterministic and with a fixed seed, so the
  /// same graph on the same number of ranks gives the same parts.
  ///
  /// Costs about O(edges / ranks · log parts) time per rank and a few copies of the local block.
  ///
  /// - Parameters:
  ///   - graph: This rank's block.
  ///   - parts: The number of parts, at least 2.
  ///   - summary: The result of validation (block bounds, total arc count).
  ///   - communicator: The ranks holding the blocks; PT-Scotch runs on it.
  /// - Throws: ``OP2Error/partitionerFailed(method:reason:)`` on every rank when the library does
  ///   not match its header, the graph is too large for `SCOTCH_Num`, or a PT-Scotch call fails.
  static func partition(_ graph: DistributedGraph, parts: Int, summary: DistributedGraph.Summary,
                        communicator: Communicator) throws(OP2Error) -> [Int32] {
    // Library facts and global counts: every rank reaches the same verdict without communicating.
    guard SCOTCH_numSizeof() == op2shim_ptscotch_num_size() else {
      throw .partitionerFailed(method: "PT-Scotch", reason: "the library's SCOTCH_Num has \(SCOTCH_numSizeof()) bytes but its header says \(op2shim_ptscotch_num_size()); install matching libptscotch-dev")
    }
    let limit = Int(op2shim_ptscotch_num_max())
    guard graph.globalVertexCount <= limit, summary.globalArcCount <= limit else {
      throw .partitionerFailed(method: "PT-Scotch", reason: "the graph has \(graph.globalVertexCount) vertices and \(summary.globalArcCount) arcs; SCOTCH_Num holds at most \(limit)")
    }
    let n = graph.localVertexCount, arcs = graph.adjacency.count

    // PT-Scotch keeps these pointers until SCOTCH_dgraphExit; they are freed after it (defer order).
    let vertices = UnsafeMutableBufferPointer<SCOTCH_Num>.allocate(capacity: n + 1)
    defer { vertices.deallocate() }
    for (i, offset) in graph.adjacencyOffsets.enumerated() { vertices.initializeElement(at: i, to: SCOTCH_Num(offset)) }
    // One entry at least, so that a block without edges still passes a valid pointer.
    let edges = UnsafeMutableBufferPointer<SCOTCH_Num>.allocate(capacity: max(arcs, 1))
    defer { edges.deallocate() }
    edges.initialize(repeating: 0)
    for (i, neighbour) in graph.adjacency.enumerated() { edges[i] = SCOTCH_Num(neighbour) }
    let result = UnsafeMutableBufferPointer<SCOTCH_Num>.allocate(capacity: max(n, 1))
    defer { result.deallocate() }
    result.initialize(repeating: 0)

    let dgraph = UnsafeMutablePointer<SCOTCH_Dgraph>.allocate(capacity: 1)
    defer { dgraph.deallocate() }
    let initialized = SCOTCH_dgraphInit(dgraph, communicator._handle)
    defer { if initialized == 0 { SCOTCH_dgraphExit(dgraph) } }
    try check(initialized, "SCOTCH_dgraphInit", communicator)

    let built = SCOTCH_dgraphBuild(dgraph, 0, SCOTCH_Num(n), SCOTCH_Num(n), vertices.baseAddress, nil, nil, nil,
                                   SCOTCH_Num(arcs), SCOTCH_Num(arcs), edges.baseAddress, nil, nil)
    try check(built, "SCOTCH_dgraphBuild", communicator)

    // A context of its own makes the run repeatable: deterministic threads, and a random
    // generator cloned from the default one and re-seeded, so other users of Scotch's default
    // generator (or an earlier partition) change nothing.
    let context = UnsafeMutablePointer<SCOTCH_Context>.allocate(capacity: 1)
    defer { context.deallocate() }
    let contextInitialized = SCOTCH_contextInit(context)
    defer { if contextInitialized == 0 { SCOTCH_contextExit(context) } }
    try check(contextInitialized, "SCOTCH_contextInit", communicator)
    // One thread per rank: ranks already fill the cores, and Scotch's threads call MPI
    // concurrently (legal only because MPI is started with MPI_THREAD_MULTIPLE).
    var configured = SCOTCH_contextThreadSpawn(context, 1, nil)
    if configured == 0 { configured = SCOTCH_contextOptionSetNum(context, SCOTCH_OPTIONNUMDETERMINISTIC, 1) }
    if configured == 0 { configured = SCOTCH_contextOptionSetNum(context, SCOTCH_OPTIONNUMRANDOMFIXEDSEED, 1) }
    if configured == 0 { configured = SCOTCH_contextRandomClone(context) }
    if configured == 0 { SCOTCH_contextRandomSeed(context, seed) }
    try check(configured, "SCOTCH_contextThreadSpawn/SCOTCH_contextOptionSetNum/SCOTCH_contextRandomClone", communicator)
    let bound = UnsafeMutablePointer<SCOTCH_Dgraph>.allocate(capacity: 1)
    defer { bound.deallocate() }
    let wasBound = SCOTCH_contextBindDgraph(context, dgraph, bound)
    defer { if wasBound == 0 { SCOTCH_dgraphExit(bound) } }
    try check(wasBound, "SCOTCH_contextBindDgraph", communicator)

    let strategy = UnsafeMutablePointer<SCOTCH_Strat>.allocate(capacity: 1)
    defer { strategy.deallocate() }
    let strategyInitialized = SCOTCH_stratInit(strategy)
    defer { if strategyInitialized == 0 { SCOTCH_stratExit(strategy) } }
    try check(strategyInitialized, "SCOTCH_stratInit", communicator)
    let strategyBuilt = SCOTCH_stratDgraphMapBuild(strategy, strategyFlags, SCOTCH_Num(communicator.size),
                                                   SCOTCH_Num(parts), imbalance)
    try check(strategyBuilt, "SCOTCH_stratDgraphMapBuild", communicator)

    let parted = SCOTCH_dgraphPart(bound, SCOTCH_Num(parts), strategy, result.baseAddress)
    try check(parted, "SCOTCH_dgraphPart", communicator)
    return result.prefix(n).map { Int32($0) }
  }

  /// Agrees on a PT-Scotch call's status across the ranks: throws on every rank when it failed
  /// on any (the lowest failing rank's error).
  private static func check(_ status: Int32, _ call: String, _ communicator: Communicator) throws(OP2Error) {
    try communicator.agree(status == 0 ? nil : .partitionerFailed(
      method: "PT-Scotch",
      reason: "\(call) returned \(status) on rank \(communicator.rank) (PT-Scotch printed its message on standard error)"))
  }
}
