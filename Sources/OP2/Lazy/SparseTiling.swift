import Foundation
import Synchronization

/// Cross-loop sparse tiling: a chain of queued loops, indirect ones included, run tile by tile
/// so that the data one loop writes is still in cache when the next loop reads it.
///
/// Turn it on with ``OP2/Configuration/tiling`` or `OP2_TILING=1` (off by default); the tile size
/// is ``OP2/Configuration/tileSize`` (`OP2_TILE_SIZE`, elements of the chain's first loop).
///
/// When the lazy queue runs, consecutive loops of one runtime that may be tiled (see
/// ``mayTile(_:)``) form a chain of up to ``maxChainLength`` loops; a chain of two or more loops of
/// which at least one reaches data through a map runs tiled, anything else runs as before (fused
/// where ``LoopGroup`` allows). A host store into a Global (`rms.value = [0]`) moves ahead of the
/// queued loops that do not use that Global, so it does not cut a chain it has nothing to do with.
///
/// The inspector (``TilePlan``) cuts the first loop's set into tiles of `tileSize` consecutive
/// elements, then assigns every element of every later loop to a tile, loop by loop, so that each
/// access it makes to an entry of a Dat that the chain writes comes after every conflicting
/// earlier access (read after write, write after read, write after write; INC counts as a
/// write): an element goes to the latest tile among those of the accesses it depends on. Tiles
/// run in order, every loop of the chain on a tile before the next tile, each loop's elements in
/// a tile in increasing order. So every dependence of the untiled program is kept: results are
/// those of the untiled run except for the order in which increments to one entry are added (an
/// element of a later index may run in an earlier tile) and the order of Global reductions —
/// the last bits of INC sums may differ.
///
/// On several threads (the threaded backend) tiles get two colours, alternating along the first
/// loop's set; the tiles of a colour run in parallel, colour after colour. An element may then
/// only join a tile whose colour comes after the colour of every other tile it depends on; one
/// that depends on two tiles of the last colour goes to a remainder that runs on one thread after
/// every tile (correct whatever the mesh: the colouring affects speed only).
///
/// Plans are cached by the chain's shape — its loops' sets, maps and the pattern of Dats they
/// share — and rebuilt when a map's values are replaced. Loops that run on lists of elements use
/// the wrapper's element-list entry point (generated when tiling is on).
///
/// The corresponding work is SLOPE's loop chains in PyOP2/Firedrake (`loop_chain(name,
/// tile_size=...)`, never merged into PyOP2) after Strout's full sparse tiling; OP2-Common has none.
public enum SparseTiling {
  /// Elements of a chain's first loop per tile unless configured.
  public static let defaultTileSize = 8192
  /// The most loops (repeats included) one tiled chain holds.
  public static let maxChainLength = 16

  /// Parses `OP2_TILE_SIZE` (a positive integer; unset or empty: `nil`).
  package static func tileSize(fromEnvironment value: String?) throws(OP2Error) -> Int? {
    try Setting.positiveInteger("OP2_TILE_SIZE", value)
  }

  /// Whether `loop` may be part of a tiled chain: a plain loop (not over an extruded or a
  /// distributed set, no Mat argument) whose Globals are read or reduced (INC, MIN, MAX), never
  /// written.
  package static func mayTile(_ loop: ParLoop) -> Bool {
    guard loop.extrusionBlock == nil, !(loop.set is ExtrudedSet), !loop.set.isDistributed, !loop.assemblesMatrices else {
      return false
    }
    return loop.args.allSatisfy { !$0.isGlobal || $0.access == .read || $0.access == .inc || $0.access.isMinMax }
  }

  /// Whether `loop` reaches any Dat through a map.
  static func isIndirect(_ loop: ParLoop) -> Bool { loop.args.contains { !$0.isGlobal && $0.map != nil } }
}

/// A chain of loops the lazy queue runs tiled: each loop (a repeat as one more entry) with its
/// wrapper, in program order.
package struct TiledChain {
  package struct Entry {
    package let loop: ParLoop
    package let wrapper: CompiledWrapper
  }
  package private(set) var entries: [Entry] = []
  /// Globals the chain reduces into, and Globals it reads.
  private var reduced: [ObjectIdentifier] = []
  private var read: [ObjectIdentifier] = []
  /// The Dats the chain writes and their entries in all (the inspector numbers them with `Int32`).
  private var written: [ObjectIdentifier] = []
  private var writtenEntries = 0

  package init() {}

  package var count: Int { entries.count }
  package var loops: [ParLoop] { entries.map(\.loop) }
  /// Whether running tiled can pay: two loops or more, one of them indirect.
  package var isWorthTiling: Bool { entries.count >= 2 && entries.contains { SparseTiling.isIndirect($0.loop) } }
  /// The name in timing reports: the kernels joined by `+`, marked as tiled.
  package var name: String { entries.map(\.loop.kernel.name).joined(separator: "+") + " (tiled)" }

  /// Adds `loop` run `repeats` times if the chain may hold it: room for every repeat, a wrapper
  /// with an element-list entry point, no Global that one loop reduces into and another uses
  /// (a Global's value inside a chain would depend on the tile order), and fewer than 2³¹ entries
  /// of written Dats in all (the inspector numbers them in 32 bits). Returns whether it did.
  package mutating func append(_ loop: ParLoop, wrapper: CompiledWrapper, repeats: Int) -> Bool {
    guard wrapper.listFunction != nil, SparseTiling.mayTile(loop), entries.count + repeats <= SparseTiling.maxChainLength else {
      return false
    }
    var newlyWritten: [ObjectIdentifier] = []
    var total = writtenEntries
    for arg in loop.args where !arg.isGlobal && arg.access.writes {
      let id = ObjectIdentifier(arg.data)
      guard !written.contains(id), !newlyWritten.contains(id) else { continue }
      newlyWritten.append(id)
      total += arg.data.set?.totalEntityCount ?? 0
    }
    guard total < Int(Int32.max) else { return false }
    var reduces: [ObjectIdentifier] = []
    var reads: [ObjectIdentifier] = []
    for arg in loop.args where arg.isGlobal {
      let id = ObjectIdentifier(arg.data)
      if arg.access == .read { reads.append(id) } else { reduces.append(id) }
    }
    // A reduction repeated would also use its own result: one loop per reduced Global, used once.
    if !reduces.isEmpty, repeats > 1 { return false }
    for id in reduces where reduced.contains(id) || read.contains(id) { return false }
    for id in reads where reduced.contains(id) { return false }
    if Swift.Set(reduces).count != reduces.count || reduces.contains(where: reads.contains) { return false }
    reduced += reduces
    read += reads
    written += newlyWritten
    writtenEntries = total
    for _ in 0..<repeats { entries.append(Entry(loop: loop, wrapper: wrapper)) }
    return true
  }
}
