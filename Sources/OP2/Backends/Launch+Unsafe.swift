/// The argument vector of a wrapper call: two pointers per loop argument (data, map).
///
/// Pointers come from storage owned by the loop's Dats, Globals and Maps, which the `ParLoop`
/// keeps alive for the duration of the call.
package struct LaunchArguments {
  private var pointers: [UnsafeMutableRawPointer?]
  private let loop: ParLoop

  package init(_ loop: ParLoop) {
    self.loop = loop
    pointers = []
    pointers.reserveCapacity(loop.args.count * 2)
    for arg in loop.args {
      pointers.append(arg.data.storage.baseAddress)
      pointers.append(arg.map?.storage.baseAddress)
    }
  }

  /// Points argument `position`'s data at `buffer` instead (a per-thread reduction slot).
  package mutating func redirect(argument position: Int, to buffer: _UnsafeDatBuffer) {
    pointers[2 * position] = buffer.baseAddress
  }

  /// Calls the wrapper for the elements in `range`.
  package mutating func call(_ wrapper: CompiledWrapper, range: Range<Int>) {
    guard !range.isEmpty else { return }
    withExtendedLifetime(loop) {
      pointers.withUnsafeMutableBufferPointer { buffer in
        wrapper.function(Int32(range.lowerBound), Int32(range.upperBound), buffer.baseAddress)
      }
    }
  }
}
