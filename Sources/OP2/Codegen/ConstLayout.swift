/// A run-time ``Const`` as the generated code sees it.
package struct ConstDescriptor: Hashable, Sendable {
  package var name: String
  package var cType: String
  package var dim: Int
  package var elementSize: Int
  package var byteCount: Int { dim * elementSize }
}

/// Where each run-time Const of a loop sits in the argument buffer a launch passes to the
/// generated code: the Consts in declaration order, each at an 8-byte-aligned offset.
///
/// The host target copies the buffer into the wrapper's `static` variables once per launch
/// (`void <wrapper>_consts(const char *values)`); a device target can pass the same bytes as a
/// constant-memory argument. The buffer depends only on values, never on the compiled code, so a
/// new value compiles nothing.
package enum ConstLayout {
  /// The offset of each Const and the buffer's size.
  package static func offsets(of consts: [ConstDescriptor]) -> (offsets: [Int], byteCount: Int) {
    var offsets: [Int] = []
    var end = 0
    for c in consts {
      let start = (end + 7) & ~7
      offsets.append(start)
      end = start + c.byteCount
    }
    return (offsets, end)
  }

  /// The buffer of the Consts' current (loop-side) values.
  package static func pack(_ consts: [any _ConstValue]) -> [UInt8] {
    let (offsets, size) = offsets(of: consts.map(\.descriptor))
    var bytes = [UInt8](repeating: 0, count: size)
    for (c, offset) in zip(consts, offsets) {
      let value = c.storage.loadBytes(offset: 0, count: c.descriptor.byteCount)
      bytes.replaceSubrange(offset..<(offset + value.count), with: value)
    }
    return bytes
  }

  /// C: a `static` variable per Const and the entry point that fills them from a buffer.
  package static func hostDeclarations(_ consts: [ConstDescriptor], setter: String) -> String {
    let (offsets, _) = offsets(of: consts)
    var lines = consts.map { c in c.dim == 1 ? "static \(c.cType) \(c.name);" : "static \(c.cType) \(c.name)[\(c.dim)];" }
    lines.append("__attribute__((visibility(\"default\"))) void \(setter)(const char *values) {")
    for (c, offset) in zip(consts, offsets) {
      lines.append("  memcpy(\(c.dim == 1 ? "&" : "")\(c.name), values + \(offset), \(c.byteCount));")
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }
}
