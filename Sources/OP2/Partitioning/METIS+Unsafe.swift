import CMETIS
import Foundation

// Every METIS call swift-op2 makes. METIS is a serial library: the graph is gathered on rank 0,
// partitioned there, and the parts are scattered back. This file and Sources/CMETIS are the only
// places that see METIS's types; idx_t is 32 bits in Debian's build (IDXTYPEWIDTH in metis.h).

/// METIS's multilevel k-way partitioner (`METIS_PartGraphKway`) for graphs that fit on one rank.
///
/// Rank 0 gathers the whole CSR graph — the blocks are consecutive in rank order, so the
/// neighbour numbers are already the gathered graph's vertex numbers — partitions it, and sends
/// each rank the parts of its block. Memory on rank 0 is O(vertices + edges) of the whole graph;
/// use ``GraphPartitioning/Method/ptscotch`` for graphs that do not fit there. METIS minimises the
/// edge cut with at most 3 % imbalance (its default `ufactor` of 30 for k-way), falling back to
/// recursive bisection on graphs too small for k-way to balance (see
/// ``partitionWhole(offsets:adjacency:parts:)``). Its seed is fixed, so the same graph gives the
/// same parts in every run.
///
/// This is OP2-Common's `op_partition("PARMETIS", "KWAY", …)` done serially: the same objective,
/// without ParMETIS's parallel coarsening.
package enum METIS {
  /// The seed of METIS's random number generator (`METIS_OPTION_SEED`): fixed for repeatable parts.
  static let seed: idx_t = 4321

  /// Serialises METIS calls within the process. METIS 5.1 keeps its random generator in global
  /// state: two partitions running on different threads at once gave different parts than each
  /// alone (measured with Swift Testing's parallel test cases).
  private static let lock = NSLock()

  /// The part, in `0..<parts`, of each local vertex of `graph`.
  ///
  /// Collective over `communicator`; `graph` must have passed
  /// ``DistributedGraph/validate(parts:method:communicator:)``.
  ///
  /// - Parameters:
  ///   - graph: This rank's block.
  ///   - parts: The number of parts, at least 2.
  ///   - summary: The result of validation (block bounds, total arc count).
  ///   - communicator: The ranks holding the blocks.
  /// - Throws: ``OP2Error/partitionerFailed(method:reason:)`` on every rank when the graph is too
  ///   large for `idx_t` or METIS reports an error.
  static func partition(_ graph: DistributedGraph, parts: Int, summary: DistributedGraph.Summary,
                        communicator: Communicator) throws(OP2Error) -> [Int32] {
    let limit = Int(op2shim_metis_idx_max())
    // Global values: every rank reaches the same verdict without communicating.
    guard graph.globalVertexCount <= limit, summary.globalArcCount <= limit else {
      throw .partitionerFailed(method: "METIS", reason: "the graph has \(graph.globalVertexCount) vertices and \(summary.globalArcCount) arcs; METIS's idx_t holds at most \(limit)")
    }
    let degrees = (0..<graph.localVertexCount).map { idx_t(graph.adjacencyOffsets[$0 + 1] - graph.adjacencyOffsets[$0]) }
    let gatheredDegrees = communicator.gather(degrees, root: 0)
    let gatheredAdjacency = communicator.gather(graph.adjacency.map { idx_t($0) }, root: 0)

    var problem: OP2Error?
    var partsByRank = [[Int32]]()
    if communicator.rank == 0 {
      var offsets: [idx_t] = [0]
      offsets.reserveCapacity(graph.globalVertexCount + 1)
      for d in gatheredDegrees.joined() { offsets.append(offsets.last! + d) }
      do {
        let all = try partitionWhole(offsets: offsets, adjacency: Array(gatheredAdjacency.joined()), parts: parts)
        var start = 0
        for block in gatheredDegrees {
          partsByRank.append(all[start..<(start + block.count)].map { Int32($0) })
          start += block.count
        }
      } catch {
        problem = error
      }
    }
    try communicator.agree(problem)
    return communicator.scatter(partsByRank, root: 0)
  }

  /// The largest part k-way may leave before recursive bisection is tried instead: METIS's own
  /// k-way tolerance of 3 % above the average (its default `ufactor` of 30), and never less than
  /// the average rounded up, which even a perfect partition needs.
  package static func largestAcceptedPart(vertices: Int, parts: Int) -> Int {
    let average = Double(vertices) / Double(parts)
    return max(Int(average.rounded(.up)), Int((1.03 * average).rounded(.down)))
  }

  /// METIS on a whole graph in CSR form (0-based), with a fixed seed.
  ///
  /// `METIS_PartGraphKway` first. Measured here, k-way balances real meshes to within its 3 %
  /// but not graphs of a few vertices per part (a 3-vertex path into 2 parts comes back as one
  /// part of 3); when its largest part exceeds ``largestAcceptedPart(vertices:parts:)``,
  /// `METIS_PartGraphRecursive` (tolerance 0.1 %) runs instead. With no more vertices than
  /// parts, vertex `i` is in part `i` and METIS is not called.
  ///
  /// Costs about O(edges · log parts) time and O(vertices + edges) memory on the calling rank.
  ///
  /// - Parameters:
  ///   - offsets: `vertices + 1` row offsets into `adjacency`.
  ///   - adjacency: The neighbours of each vertex: symmetric, no self loops, no repeats.
  ///   - parts: The number of parts, at least 1 (one part needs no METIS call: METIS divides by
  ///     zero on it).
  /// - Returns: The part of each vertex.
  /// - Throws: ``OP2Error/partitionerFailed(method:reason:)`` when METIS returns anything but
  ///   `METIS_OK`.
  ///
  /// `package` for `op2-bench scaling`, which partitions whole meshes in one process; its arrays
  /// are `Int32`, which is `idx_t` here (the C module stays internal to this file).
  package static func partitionWhole(offsets: [Int32], adjacency: [Int32], parts: Int) throws(OP2Error) -> [Int32] {
    let vertexCount = offsets.count - 1
    if parts <= 1 { return [idx_t](repeating: 0, count: vertexCount) }
    if vertexCount <= parts { return (0..<vertexCount).map { idx_t($0) } }
    let kway = try call("METIS_PartGraphKway", offsets: offsets, adjacency: adjacency, parts: parts)
    var sizes = [Int](repeating: 0, count: parts)
    for p in kway { sizes[Int(p)] += 1 }
    if sizes.max()! <= largestAcceptedPart(vertices: vertexCount, parts: parts) { return kway }
    return try call("METIS_PartGraphRecursive", offsets: offsets, adjacency: adjacency, parts: parts)
  }

  /// One call of `routine` (`METIS_PartGraphKway` or `METIS_PartGraphRecursive`) with default
  /// options but a fixed seed and 0-based numbering.
  private static func call(_ routine: String, offsets: [idx_t], adjacency: [idx_t], parts: Int) throws(OP2Error) -> [idx_t] {
    let vertexCount = offsets.count - 1
    var options = [idx_t](repeating: 0, count: Int(op2shim_metis_noptions()))
    METIS_SetDefaultOptions(&options)
    options[Int(op2shim_metis_option_seed())] = seed
    options[Int(op2shim_metis_option_numbering())] = 0
    var nvtxs = idx_t(vertexCount), ncon: idx_t = 1, nparts = idx_t(parts), edgeCut: idx_t = 0
    var xadj = offsets
    // METIS reads adjncy even for a graph without edges: give it one (unused) entry.
    var adjncy = adjacency.isEmpty ? [0] : adjacency
    var part = [idx_t](repeating: 0, count: vertexCount)
    let status = lock.withLock {
      routine == "METIS_PartGraphKway"
        ? METIS_PartGraphKway(&nvtxs, &ncon, &xadj, &adjncy, nil, nil, nil, &nparts, nil, nil, &options, &edgeCut, &part)
        : METIS_PartGraphRecursive(&nvtxs, &ncon, &xadj, &adjncy, nil, nil, nil, &nparts, nil, nil, &options, &edgeCut, &part)
    }
    guard status == op2shim_metis_ok() else {
      let name = switch status {
      case op2shim_metis_error_input(): "METIS_ERROR_INPUT"
      case op2shim_metis_error_memory(): "METIS_ERROR_MEMORY"
      default: "METIS_ERROR"
      }
      throw .partitionerFailed(method: "METIS", reason: "\(routine) returned \(name) (\(status)) for \(vertexCount) vertices into \(parts) parts")
    }
    return part
  }
}
