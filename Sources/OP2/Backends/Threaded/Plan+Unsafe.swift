// The colouring's hot loops, over raw mask and map buffers (kept apart from Plan.swift so that
// pointer code lives only in files named *Unsafe*).

extension Plan {
  /// Traps unless every written entry lies in the target set.
  static func validate(_ conflict: PlanConflict, slots: [Int], setSize: Int) {
    let arity = conflict.arity
    let size = UInt32(clamping: conflict.targetSize)
    let bad: Int? = conflict.values.withUnsafeBufferPointer { v in
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
        "Plan: map entry \(bad) is \(conflict.values[bad]), outside the target set of size \(conflict.targetSize)")
    }
  }

  /// Greedy block colouring in rounds of 64 colours (OP2's scheme).
  ///
  /// `masks[t]` holds the colours of the current round already taken by some block that writes target `t`.
  /// Each pending block ORs the masks of its targets, takes the lowest free colour and marks its targets;
  /// a block that finds all 64 colours taken waits for the next round, which starts from clean masks.
  static func colour(
    setSize: Int, blockSize: Int, blockCount: Int, accesses: [Access], maskSize: Int, owners: Int?
  ) -> (colours: [Int], count: Int) {
    guard blockCount > 0 else { return ([], 0) }
    guard !accesses.isEmpty else { return (Array(repeating: 0, count: blockCount), 1) }
    if let owners {
      return colourByOwner(setSize: setSize, blockSize: blockSize, blockCount: blockCount,
                           accesses: accesses, maskSize: maskSize, owners: owners)
    }
    var colours = [Int](repeating: -1, count: blockCount)
    var masks = [UInt64](repeating: 0, count: maskSize)
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
          var taken: UInt64 = 0
          for access in accesses {
            taken |= gather(access, lower, upper, maskBase)
            if taken == .max { break }
          }
          if taken == .max {
            waiting.append(b)
            continue
          }
          let bit = (~taken).trailingZeroBitCount
          for access in accesses { scatter(access, lower, upper, maskBase, 1 &<< UInt64(bit)) }
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

  /// Greedy colouring where only blocks of different owners must differ: one mask array per owner;
  /// a block takes the lowest colour that no *other* owner has marked on any of its targets.
  static func colourByOwner(
    setSize: Int, blockSize: Int, blockCount: Int, accesses: [Access], maskSize: Int, owners: Int
  ) -> (colours: [Int], count: Int) {
    var colours = [Int](repeating: -1, count: blockCount)
    var masks = [UInt64](repeating: 0, count: maskSize * owners)
    var pending = Array(0..<blockCount)
    var waiting: [Int] = []
    var base = 0
    var count = 0
    masks.withUnsafeMutableBufferPointer { m in
      while !pending.isEmpty {
        waiting.removeAll(keepingCapacity: true)
        for b in pending {
          let lower = b * blockSize
          let upper = min(lower + blockSize, setSize)
          let mine = owner(ofBlock: b, owners: owners, blockCount: blockCount)
          var taken: UInt64 = 0
          for other in 0..<owners where other != mine {
            for access in accesses { taken |= gather(access, lower, upper, m.baseAddress! + other * maskSize) }
          }
          if taken == .max {
            waiting.append(b)
            continue
          }
          let bit = (~taken).trailingZeroBitCount
          for access in accesses { scatter(access, lower, upper, m.baseAddress! + mine * maskSize, 1 &<< UInt64(bit)) }
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
