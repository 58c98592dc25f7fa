// The colouring's hot loops, over raw mask and map buffers (kept apart from Plan.swift so that
// pointer code lives only in files named *Unsafe*).

extension Plan {
  /// Traps unless every written entry lies in the target set.
  static func validate(_ conflict: PlanConflict, rows: [Int32], slots: [Int], setSize: Int) {
    let arity = conflict.arity
    let size = UInt32(clamping: conflict.targetSize)
    let bad: Int? = rows.withUnsafeBufferPointer { v in
      if slots.count == arity {
        for i in 0..<(setSize * arity) where UInt32(bitPattern: v[i]) >= size { return i }
      } else {
        for e in 0..<setSize {
          for s in slots where UInt32(bitPattern: v[e * arity + s]) >= size { return e * arity + s }
        }
      }
      return nil
    }
    if let bad {
      preconditionFailure(
        "Plan: map entry \(bad) is \(rows[bad]), outside the target set of size \(conflict.targetSize)")
    }
  }

  /// Greedy block colouring in rounds of 64 colours (OP2's scheme), optionally by owner.
  ///
  /// Without owners, `other[t]` holds the colours of the current round already taken by some block
  /// that writes target `t`; each pending block ORs the masks of its targets, takes the lowest free
  /// colour and marks its targets. With owners, a block only avoids the colours that *other* owners
  /// took (its own owner runs its blocks in order). Blocks are visited in ascending order, so
  /// owners come in ascending order too, and per target it is enough to remember the last owner
  /// that wrote it (`last[t]`), its colours (`lastMask[t]`) and everyone else's (`other[t]`): the
  /// colouring is exactly the one-mask-per-owner colouring, in memory independent of the thread
  /// count. A block that finds all 64 colours taken waits for the next round, which starts from
  /// clean masks.
  static func colour(
    setSize: Int, blockSize: Int, blockCount: Int, accesses: [Access], maskSize: Int, owners: Int?
  ) -> (colours: [Int], count: Int) {
    guard blockCount > 0 else { return ([], 0) }
    guard !accesses.isEmpty else { return (Array(repeating: 0, count: blockCount), 1) }
    var colours = [Int](repeating: -1, count: blockCount)
    var other = [UInt64](repeating: 0, count: maskSize)
    var lastMask = [UInt64](repeating: 0, count: owners == nil ? 0 : maskSize)
    var last = [Int32](repeating: -1, count: owners == nil ? 0 : maskSize)
    var pending = Array(0..<blockCount)
    var waiting: [Int] = []
    var base = 0
    var count = 0
    other.withUnsafeMutableBufferPointer { other in
      lastMask.withUnsafeMutableBufferPointer { lastMask in
        last.withUnsafeMutableBufferPointer { last in
          while !pending.isEmpty {
            waiting.removeAll(keepingCapacity: true)
            for b in pending {
              let lower = b * blockSize
              let upper = min(lower + blockSize, setSize)
              var taken: UInt64 = 0
              if let owners {
                let mine = Int32(owner(ofBlock: b, owners: owners, blockCount: blockCount))
                forEachTarget(accesses, lower, upper) { t in
                  taken |= other[t] | (last[t] == mine ? 0 : lastMask[t])
                }
                if taken == .max { waiting.append(b); continue }
                let bit = (~taken).trailingZeroBitCount
                let flag: UInt64 = 1 &<< UInt64(bit)
                forEachTarget(accesses, lower, upper) { t in
                  if last[t] == mine {
                    lastMask[t] |= flag
                  } else {
                    other[t] |= lastMask[t]
                    last[t] = mine
                    lastMask[t] = flag
                  }
                }
                colours[b] = base + bit
                count = max(count, base + bit + 1)
              } else {
                forEachTarget(accesses, lower, upper) { t in taken |= other[t] }
                if taken == .max { waiting.append(b); continue }
                let bit = (~taken).trailingZeroBitCount
                let flag: UInt64 = 1 &<< UInt64(bit)
                forEachTarget(accesses, lower, upper) { t in other[t] |= flag }
                colours[b] = base + bit
                count = max(count, base + bit + 1)
              }
            }
            swap(&pending, &waiting)
            base += 64
            if !pending.isEmpty {
              other.update(repeating: 0)
              lastMask.update(repeating: 0)
              last.update(repeating: -1)
            }
          }
        }
      }
    }
    return (colours, count)
  }

  /// Calls `body` with the mask index of every target that elements `lower..<upper` write
  /// through each access.
  @inline(__always)
  static func forEachTarget(_ accesses: [Access], _ lower: Int, _ upper: Int, _ body: (Int) -> Void) {
    for access in accesses {
      let arity = access.arity
      let offset = access.maskOffset
      access.values.withUnsafeBufferPointer { v in
        if access.slots.count == arity {
          for i in (lower * arity)..<(upper * arity) { body(offset + Int(v[i])) }
        } else {
          access.slots.withUnsafeBufferPointer { slots in
            for e in lower..<upper {
              let row = e * arity
              for s in slots { body(offset + Int(v[row + s])) }
            }
          }
        }
      }
    }
  }
}
