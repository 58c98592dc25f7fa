/// The argument vector of a wrapper call: two pointers per loop argument (data, map).
///
/// The vector lives in memory this object allocates, so calling never mutates Swift state and
/// several threads may each call through their own `LaunchArguments` at once. The pointers come
/// from storage owned by the loop's Dats, Globals and Maps, which `loop` keeps alive.
package final class LaunchArguments: @unchecked Sendable {
  private let pointers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
  private let count: Int
  private let loop: ParLoop
  /// Buffers this vector points into besides the loop's own (per-thread reduction slots).
  private var retained: [_UnsafeDatBuffer] = []

  package init(_ loop: ParLoop) {
    self.loop = loop
    // A loop over an extruded set passes its extrusion block as one more pointer.
    count = loop.args.count * 2 + (loop.extrusionBlock == nil ? 0 : 1)
    pointers = .allocate(capacity: max(count, 1))
    if let block = loop.extrusionBlock { (pointers + 2 * loop.args.count).initialize(to: block.baseAddress) }
    for (i, arg) in loop.args.enumerated() {
      // A Mat argument points at its launch block (insertion function, context, column map).
      (pointers + 2 * i).initialize(to: arg.matrix?.block.baseAddress ?? arg.data.storage.baseAddress)
      (pointers + 2 * i + 1).initialize(to: arg.map?.storage.baseAddress)
    }
  }

  deinit { pointers.deallocate() }

  /// Calls `loop`'s wrapper once for the elements in `range`, with an argument vector on the
  /// stack (no allocation: the sequential backend's path for a loop that runs alone).
  package static func call(_ loop: ParLoop, _ wrapper: CompiledWrapper, range: Range<Int>) {
    call(loop, wrapper, range: range, tile: .max, repeats: 1)
  }

  /// Calls `loop`'s wrapper `repeats` times on each tile of at most `tile` elements of `range`,
  /// tile after tile, with one argument vector on the stack (a fused run of one loop repeated).
  package static func call(_ loop: ParLoop, _ wrapper: CompiledWrapper, range: Range<Int>, tile: Int, repeats: Int) {
    guard !range.isEmpty else { return }
    let args = loop.args
    // A loop over an extruded set passes its extrusion block as one more pointer, as above.
    let block = loop.extrusionBlock
    withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: args.count * 2 + 1) { vector in
      let pointers = vector.baseAddress!
      (pointers + 2 * args.count).initialize(to: block?.baseAddress)
      for i in args.indices {
        let arg = args[i]
        (pointers + 2 * i).initialize(to: arg.matrix?.block.baseAddress ?? arg.data.storage.baseAddress)
        (pointers + 2 * i + 1).initialize(to: arg.map?.storage.baseAddress)
      }
      // The loop (so its Dats, Maps and Globals) outlives the call: `args` holds them.
      withExtendedLifetime((args, block)) {
        if repeats == 1, tile >= range.count {
          wrapper.function(Int32(range.lowerBound), Int32(range.upperBound), pointers)
          return
        }
        LoopGroup.forEachTile(of: range, tile: tile) { part in
          for _ in 0..<repeats { wrapper.function(Int32(part.lowerBound), Int32(part.upperBound), pointers) }
        }
      }
    }
  }

  /// Points argument `position`'s data at `buffer` instead (a per-thread reduction slot).
  package func redirect(argument position: Int, to buffer: _UnsafeDatBuffer) {
    retained.append(buffer)
    pointers[2 * position] = buffer.baseAddress
  }

  /// Calls the wrapper for every element `schedule` puts in `tile`: once per range of
  /// consecutive elements, then once through the element-list entry point for the others.
  package func call(_ wrapper: CompiledWrapper, schedule: TilePlan.LoopSchedule, tile: Int) {
    for r in schedule.ranges[schedule.rangeStarts[tile]..<schedule.rangeStarts[tile + 1]] {
      wrapper.function(r.lowerBound, r.upperBound, pointers)
    }
    let first = schedule.listStarts[tile], end = schedule.listStarts[tile + 1]
    guard first < end else { return }
    guard let list = wrapper.listFunction else {
      preconditionFailure("a tiled loop's wrapper has no element-list entry point")
    }
    schedule.list.withUnsafeBufferPointer { elements in
      list(elements.baseAddress, Int32(first), Int32(end), pointers)
    }
  }

  /// Calls the wrapper for the elements in `range`.
  package func call(_ wrapper: CompiledWrapper, range: Range<Int>) {
    guard !range.isEmpty else { return }
    wrapper.function(Int32(range.lowerBound), Int32(range.upperBound), pointers)
  }
}

extension CompiledWrapper {
  /// Passes the run-time Consts' argument buffer (``ConstLayout/pack(_:)``) to the wrapper.
  package func setConstValues(_ bytes: [UInt8]) {
    guard let setConsts else { return }
    bytes.withUnsafeBytes { setConsts($0.baseAddress) }
  }

  /// Passes the values `loop`'s run-time Consts have now, if it uses any.
  package func passConsts(of loop: ParLoop) {
    if !loop.consts.isEmpty { setConstValues(ConstLayout.pack(loop.consts)) }
  }
}
