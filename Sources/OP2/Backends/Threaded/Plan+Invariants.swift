// Plan self-check, the counterpart of OP2-Common's op_plan_check: recomputes what a correct plan must
// satisfy without reusing the colouring code, and says in words what is wrong.

extension Plan {
  /// Most violations listed one by one; the rest are counted in a final line.
  static let reportedViolationLimit = 50

  /// Checks the plan and returns one sentence per violation (empty when the plan is sound):
  ///
  /// - the blocks are non-empty, contiguous, in order and cover `0..<setSize`, so every element lies in
  ///   exactly one block;
  /// - every block has exactly one colour, in `0..<colourCount`, and appears once, in its own colour's
  ///   `blocks(ofColour:)` slice, which is ascending;
  /// - no two distinct blocks of one colour write the same target element through the written slots of
  ///   the conflict maps — also across two maps whose target sets have the same size, since they may
  ///   lead to one Dat.
  package func checkInvariants() -> [String] {
    var report = ViolationReport(limit: Plan.reportedViolationLimit)
    checkBlocks(&report)
    checkColours(&report)
    checkConflicts(&report)
    return report.lines
  }

  private func checkBlocks(_ report: inout ViolationReport) {
    let expected = setSize == 0 ? 0 : (setSize + blockSize - 1) / blockSize
    if blockCount != expected {
      report.add("plan has \(blockCount) blocks; \(setSize) elements in blocks of \(blockSize) need \(expected)")
    }
    var next = 0
    for b in 0..<blockCount {
      let range = blockRange(b)
      if range.isEmpty {
        report.add("block \(b) is empty (\(range))")
      } else if range.lowerBound != next {
        report.add("block \(b) covers \(range) but should start at element \(next)")
      }
      next = max(next, range.upperBound)
    }
    if next != setSize {
      report.add("blocks cover elements 0..<\(next), not the whole set 0..<\(setSize)")
    }
  }

  private func checkColours(_ report: inout ViolationReport) {
    if blockColours.count != blockCount {
      report.add("plan lists colours for \(blockColours.count) blocks but has \(blockCount) blocks")
    }
    if blockCount > 0 && colourCount == 0 {
      report.add("plan has \(blockCount) blocks but no colours")
    }
    for (b, c) in blockColours.enumerated() where c < 0 || c >= colourCount {
      report.add("block \(b) has colour \(c), outside 0..<\(colourCount)")
    }
    var listed = [Int](repeating: 0, count: blockCount)
    for c in 0..<colourCount {
      let blocks = blocks(ofColour: c)
      var previous = -1
      for b in blocks {
        if b <= previous {
          report.add("blocks of colour \(c) are not ascending: \(b) follows \(previous)")
        }
        previous = b
        guard b >= 0 && b < blockCount else {
          report.add("colour \(c) lists block \(b), outside 0..<\(blockCount)")
          continue
        }
        listed[b] += 1
        if b < blockColours.count && blockColours[b] != c {
          report.add("colour \(c) lists block \(b), whose colour is \(blockColours[b])")
        }
      }
    }
    for (b, n) in listed.enumerated() where n != 1 {
      report.add("block \(b) is listed under \(n) colours, not exactly one")
    }
  }

  private func checkConflicts(_ report: inout ViolationReport) {
    guard blockColours.count == blockCount, blockCount > 0 else { return }
    // Blocks in colour order (by a stable counting sort of blockColours, independent of blocks(ofColour:)).
    let order = (0..<blockCount).filter { blockColours[$0] >= 0 && blockColours[$0] < colourCount }
      .sorted { (blockColours[$0], $0) < (blockColours[$1], $1) }
    // Conflicts that may reach one Dat: same target-set size.
    var sizes: [Int] = []
    for conflict in conflicts where !sizes.contains(conflict.targetSize) { sizes.append(conflict.targetSize) }
    for size in sizes {
      let group = conflicts.enumerated().filter { $0.element.targetSize == size }
      if !checkEntries(group, &report) { continue }
      // writer[t]: last block that wrote t; writerColour[t]: its colour (-1: none yet).
      var writer = [Int](repeating: -1, count: size)
      var writerColour = [Int](repeating: -1, count: size)
      var reported = Swift.Set<[Int]>()
      let slotLists = group.map { $0.element.writtenSlots }
      for b in order {
        let colour = blockColours[b]
        for ((position, conflict), slots) in zip(group, slotLists) {
          for e in blockRange(b) {
            for s in slots {
              let t = Int(conflict.target(element: e, slot: s))
              // Blocks of one owner run one after another, so only different owners conflict.
              if writerColour[t] == colour && writer[t] != b && owner(ofBlock: writer[t]) != owner(ofBlock: b) {
                let other = writer[t]
                if reported.insert([min(b, other), max(b, other)]).inserted {
                  report.add(
                    "blocks \(other) and \(b) both have colour \(colour) and both write element \(t) "
                      + "of a target set of size \(size) (block \(b) through conflict \(position), "
                      + "element \(e), slot \(s))")
                }
              }
              writer[t] = b
              writerColour[t] = colour
            }
          }
        }
      }
    }
  }

  /// Reports map shapes or entries the conflict check cannot read; true when the group is readable.
  private func checkEntries(_ group: [(offset: Int, element: PlanConflict)], _ report: inout ViolationReport) -> Bool {
    var readable = true
    for (position, conflict) in group {
      guard conflict.arity > 0, conflict.values.count >= (conflict.firstElement + setSize) * conflict.arity else {
        report.add(
          "conflict \(position) has \(conflict.values.count) entries and arity \(conflict.arity); "
            + "\(conflict.firstElement + setSize) rows need \((conflict.firstElement + setSize) * max(conflict.arity, 1))")
        readable = false
        continue
      }
      let slots = conflict.writtenSlots
      if let s = slots.first(where: { $0 < 0 || $0 >= conflict.arity }) {
        report.add("conflict \(position) writes slot \(s), outside 0..<\(conflict.arity)")
        readable = false
        continue
      }
      for e in 0..<setSize {
        for s in slots {
          let t = conflict.target(element: e, slot: s)
          if t < 0 || Int(t) >= conflict.targetSize {
            report.add(
              "conflict \(position): element \(e), slot \(s) maps to \(t), outside 0..<\(conflict.targetSize)")
            readable = false
          }
        }
      }
    }
    return readable
  }
}

/// Collects violation sentences, listing the first `limit` and counting the rest.
private struct ViolationReport {
  let limit: Int
  var lines: [String] = []
  var omitted = 0 {
    didSet {
      let note = "… and \(omitted) more violations"
      if oldValue == 0 { lines.append(note) } else { lines[lines.count - 1] = note }
    }
  }

  init(limit: Int) { self.limit = limit }

  mutating func add(_ line: String) {
    if lines.count < limit { lines.append(line) } else { omitted += 1 }
  }
}
