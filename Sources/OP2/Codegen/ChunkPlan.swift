/// Whether, and how wide, a loop's wrapper runs in chunks of elements.
///
/// A chunk of `W` elements gathers its indirect READ data into per-lane local arrays, runs the
/// kernel over the lanes in a loop that reads only local arrays and direct Dat entries (which
/// `gcc` and `clang` vectorize: the kernel's `sqrt`s and divisions run `W`-wide instead of one at
/// a time — airfoil's `adt_calc` runs 2.8× faster), then adds the per-lane INC buffers back in
/// element order. Every element does the same arithmetic as in the plain element loop, so results
/// are the same bit for bit (given `-ffp-contract=off`, which keeps the compiler from fusing
/// multiply-adds differently in the vector and scalar code — clang honours it; gcc 12 still fuses
/// some add/subtract pairs of products in vector code, see the Vectorized indirect loops article).
///
/// Chunking is chosen only where it keeps sequential semantics and can pay:
/// - some argument is indirect (a map slot or a whole map) and READ or INC — direct-only loops stay
///   plain, the compiler vectorizes those itself where it can;
/// - no indirect WRITE or RW (a repeated map entry inside a chunk would be written out of order);
/// - no Global reduction (INC, MIN, MAX): vectorizing the accumulator would reorder the sum;
/// - a Dat accessed through a map is either only read in the loop, or only incremented through
///   maps: staging reads all of a chunk's inputs before any of its outputs are written, which is
///   only the sequential order when nothing the loop reads is also written by it;
/// - the staging arrays fit comfortably on the stack.
package enum ChunkPlan {
  /// Elements per chunk when the staging arrays are small.
  static let preferredWidth = 16
  /// The most bytes of staging arrays one chunk may use.
  static let stagingLimit = 32 * 1024

  /// The chunk width for a loop with these arguments, or nil for the plain element loop.
  package static func width(for args: [LoopSignature.ArgumentDescriptor]) -> Int? {
    var indirectReadOrInc = false
    var bytesPerLane = 0
    for a in args {
      switch a.kind {
      case .global:
        if a.access != .read { return nil }
      case .direct:
        if a.access.isMinMax { return nil }  // staged through a local the chunk body lacks
      case .matrix:
        return nil  // one insertion call per element: nothing to vectorize
      case .mapSlot, .wholeMap:
        guard a.access == .read || a.access == .inc else { return nil }
        indirectReadOrInc = true
        bytesPerLane += (a.kind == .wholeMap ? a.arity : 1) * a.dim * 16  // 16: the largest C scalar we may stage
      }
    }
    guard indirectReadOrInc else { return nil }
    // Every Dat reached through a map: all its arguments READ, or all indirect INC.
    for a in args where a.kind == .mapSlot || a.kind == .wholeMap {
      let group = args.filter { $0.kind != .global && $0.dataAlias == a.dataAlias }
      let allRead = group.allSatisfy { $0.access == .read }
      let allIndirectInc = group.allSatisfy { $0.access == .inc && $0.kind != .direct }
      guard allRead || allIndirectInc else { return nil }
    }
    var width = preferredWidth
    while width > 4, width * bytesPerLane > stagingLimit { width /= 2 }
    return width * bytesPerLane <= stagingLimit ? width : nil
  }
}
