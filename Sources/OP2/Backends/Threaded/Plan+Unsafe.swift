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
  /// Without owners, `masks[t]` holds the colours of the current round already taken by some block
  /// that writes target `t`; each pending block ORs the masks of its targets, takes the lowest free
  /// colour and marks its targets. With owners there is one mask array per owner, and a block only
  /// avoids the colours that *other* owners marked (its own owner runs its blocks in order). A block
  /// that finds all 64 colours taken waits for the next round, which starts from clean masks.
  static func colour(
    setSize: Int, blockSize: Int, blockCount: Int, accesses: [Access], maskSize: Int, owners: Int?
  ) -> (colours: [Int], count: Int) {
    guard blockCount > 0 else { return ([], 0) }
    guard !accesses.isEmpty else { return (Array(repeating: 0, count: blockCount), 1) }
    let arrays = owners ?? 1
    var colours = [Int](repeating: -1, count: blockCount)
    var masks = [UInt64](repeating: 0, count: maskSize * arrays)
    var pending = Array(0..<blockCount)
    var waiting: [Int] = []
    var base = 0
    var count = 0
    masks.withUnsafeMutableBufferPointer { m in
      let maskBase = m.baseAddress!
      while !pending.isEmpty {
        waiting.removeAll(keepingCapacity: true)
        for b in pending {
          let lower = b * blockSize
          let upper = min(lower + blockSize, setSize)
          let mine = owners.map { owner(ofBlock: b, owners: $0, blockCount: blockCount) } ?? 0
          var taken: UInt64 = 0
          for array in 0..<arrays where owners == nil || array != mine {
            for access in accesses { taken |= gather(access, lower, upper, maskBase + array * maskSize) }
          }
          if taken == .max {
            waiting.append(b)
            continue
          }
          let bit = (~taken).trailingZeroBitCount
          for access in accesses { scatter(access, lower, upper, maskBase + mine * maskSize, 1 &<< UInt64(bit)) }
          colours[b] = base + bit
          count = max(count, base + bit + 1)
        }
        swap(&pending, &waiting)
        base += 64
        if !pending.isEmpty { m.update(repeating: 0) }
      }
    }
    return (colours, count)
  }

  /// The OR of the masks of every target that elements `lower..<upper` write through `access`.
  @inline(__always)
  static func gather(_ access: Access, _ lower: Int, _ upper: Int, _ maskBase: UnsafeMutablePointer<UInt64>)
    -> UInt64
  {
    let arity = access.arity
    let masks = maskBase + access.maskOffset
    return access.values.withUnsafeBufferPointer { v in
      var taken: UInt64 = 0
      if access.slots.count == arity {
        for i in (lower * arity)..<(upper * arity) { taken |= masks[Int(v[i])] }
      } else {
        access.slots.withUnsafeBufferPointer { slots in
          for e in lower..<upper {
            let row = e * arity
            for s in slots { taken |= masks[Int(v[row + s])] }
          }
        }
      }
      return taken
    }
  }

  /// Sets `flag` in the mask of every target that elements `lower..<upper` write through `access`.
  @inline(__always)
  static func scatter(
    _ access: Access, _ lower: Int, _ upper: Int, _ maskBase: UnsafeMutablePointer<UInt64>, _ flag: UInt64
  ) {
    let arity = access.arity
    let masks = maskBase + access.maskOffset
    access.values.withUnsafeBufferPointer { v in
      if access.slots.count == arity {
        for i in (lower * arity)..<(upper * arity) { masks[Int(v[i])] |= flag }
      } else {
        access.slots.withUnsafeBufferPointer { slots in
          for e in lower..<upper {
            let row = e * arity
            for s in slots { masks[Int(v[row + s])] |= flag }
          }
        }
      }
    }
  }
}
