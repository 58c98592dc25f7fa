/// The two-level plan of a loop that writes through maps on a device (OP2-Common's `op_plan`
/// for CUDA, PyOP2's `Plan` with `_thrcol`): blocks of `blockSize` consecutive elements are
/// work-groups; blocks are coloured (reusing the threaded backend's ``Plan``, without owners) so
/// that blocks of one colour never write the same element, and run one launch per colour; the
/// elements inside a block are coloured too, and a work-group applies its writes colour by
/// colour, with a barrier between colours.
///
/// An element's colour is the lowest colour that no earlier element of its block writing one of
/// its targets has (greedy colouring, as OP2's `op_plan` colours threads), for any number of
/// repeated targets.
package struct OpenCLPlan {
  /// Work-group (block) size.
  package let blockSize: Int
  /// Number of blocks.
  package let blockCount: Int
  /// Block indices grouped by colour.
  package let blocksByColour: [Int32]
  /// `blocksByColour[colourOffsets[c] ..< colourOffsets[c + 1]]` are the blocks of colour `c`.
  package let colourOffsets: [Int]
  /// Each element's colour inside its block.
  package let elementColours: [Int32]
  /// Each block's number of element colours.
  package let blockColourCounts: [Int32]
  /// The most element colours of any block.
  package let maxElementColours: Int
  package let constructionTime: Double

  package init(setSize: Int, blockSize: Int, conflicts: [PlanConflict]) {
    let started = ContinuousClock.now
    let blocks = Plan(setSize: setSize, blockSize: blockSize, conflicts: conflicts, owners: nil)
    self.blockSize = blockSize
    blockCount = blocks.blockCount
    var order: [Int32] = []
    var offsets = [0]
    for c in 0..<blocks.colourCount {
      order += blocks.blocks(ofColour: c).map { Int32($0) }
      offsets.append(order.count)
    }
    blocksByColour = order
    colourOffsets = offsets

    // Element colours. Maps onto sets of equal size may lead to one Dat (as in Plan): they share
    // a level table.
    var sizes: [Int] = []
    for c in conflicts where !sizes.contains(c.targetSize) { sizes.append(c.targetSize) }
    // Per target: a bitmask of the colours (below 64) its writers in this block have, and one
    // more than the highest colour at or above 64 (only a target written by more than 64
    // elements of a block needs those).
    var masks = sizes.map { [UInt64](repeating: 0, count: $0) }
    var levels = sizes.map { [Int32](repeating: 0, count: $0) }
    let targets = conflicts.map { c in (table: sizes.firstIndex(of: c.targetSize)!, conflict: c, slots: c.writtenSlots) }
    var colours = [Int32](repeating: 0, count: setSize)
    var counts = [Int32](repeating: 0, count: blocks.blockCount)
    var touched: [(Int, Int)] = []
    for b in 0..<blocks.blockCount {
      var most: Int32 = 0
      for e in blocks.blockRange(b) {
        var used: UInt64 = 0
        var level: Int32 = 64
        for t in targets {
          for s in t.slots {
            let target = Int(t.conflict.target(element: e, slot: s))
            used |= masks[t.table][target]
            level = max(level, levels[t.table][target])
          }
        }
        // The lowest colour none of its targets has, else one above every overflow colour.
        let colour = used != .max ? Int32((~used).trailingZeroBitCount) : level
        for t in targets {
          for s in t.slots {
            let target = Int(t.conflict.target(element: e, slot: s))
            if masks[t.table][target] == 0 && levels[t.table][target] == 0 { touched.append((t.table, target)) }
            if colour < 64 { masks[t.table][target] |= 1 << UInt64(colour) } else { levels[t.table][target] = colour + 1 }
          }
        }
        colours[e] = colour
        most = max(most, colour + 1)
      }
      counts[b] = most
      for (table, target) in touched { masks[table][target] = 0; levels[table][target] = 0 }
      touched.removeAll(keepingCapacity: true)
    }
    elementColours = colours
    blockColourCounts = counts
    maxElementColours = Int(counts.max() ?? 0)
    constructionTime = Double((ContinuousClock.now - started) / .nanoseconds(1)) / 1e9
  }

  package var colourCount: Int { colourOffsets.count - 1 }

  /// Checks the plan: every element's colour is below its block's count, and no two elements of
  /// one block with the same colour, nor two blocks of the same colour, write one target.
  package func violations(conflicts: [PlanConflict], setSize: Int) -> [String] {
    var found: [String] = []
    var blockColour = [Int](repeating: -1, count: blockCount)
    for c in 0..<colourCount { for b in blocksByColour[colourOffsets[c]..<colourOffsets[c + 1]] { blockColour[Int(b)] = c } }
    var writers: [String: [(block: Int, element: Int)]] = [:]
    for e in 0..<setSize {
      let b = e / blockSize
      if elementColours[e] >= blockColourCounts[b] { found.append("element \(e): colour \(elementColours[e]) ≥ block \(b)'s \(blockColourCounts[b])") }
      for c in conflicts {
        for s in c.writtenSlots {
          let key = "\(c.targetSize):\(c.target(element: e, slot: s))"
          for w in writers[key, default: []] where w.element != e {
            if w.block == b, elementColours[w.element] == elementColours[e] {
              found.append("elements \(w.element) and \(e) of block \(b) share colour \(elementColours[e]) and target \(key)")
            }
            if w.block != b, blockColour[w.block] == blockColour[b] {
              found.append("blocks \(w.block) and \(b) share colour \(blockColour[b]) and target \(key)")
            }
          }
          writers[key, default: []].append((b, e))
        }
      }
    }
    return found
  }
}
