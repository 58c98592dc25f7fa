/// Writes an ``OP2Grid`` in OP2's airfoil grid format (`new_grid.dat`).
///
/// The output is what ``OP2GridReader`` and OP2-Common's `airfoil.cpp` read: a header line
/// `nnode ncell nedge nbedge`, then one line per node (`x y`), cell (4 node indices), edge
/// (`n1 n2 c1 c2`) and boundary edge (`n1 n2 c1 bound`), numbers separated by single spaces.
///
/// Coordinates are written with Swift's shortest round-trip representation, so reading the file
/// back (with ``OP2GridReader`` or C's `strtod`/`fscanf("%lf")`) gives bit-identical doubles,
/// unlike OP2's own generator, which prints 6 decimals.
public enum OP2GridWriter {
  /// Writes a grid file atomically.
  ///
  /// The text is built in memory and written to a temporary file in the destination's directory,
  /// which is then renamed over `path`: a reader never sees a half-written grid, and a failed
  /// write leaves any previous file untouched. Links, permissions and special files are handled
  /// as ``OutputFile`` describes.
  ///
  /// - Parameters:
  ///   - grid: The grid; its arrays must fit its counts.
  ///   - path: The file to create or replace.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for a negative count;
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when an array's length does not fit
  ///   its count; ``OP2Error/fileError(path:reason:)`` for a non-finite coordinate (the format
  ///   has no spelling for it that OP2 reads back) or when the file cannot be written.
  public static func write(_ grid: OP2Grid, to path: String) throws(OP2Error) {
    let text = try render(grid, path: path)
    try text.writeAtomically(to: path)
  }

  /// Builds the file's text; `path` only names the file in errors.
  static func render(_ grid: OP2Grid, path: String) throws(OP2Error) -> MeshTextBuffer {
    let counts = [
      ("nodeCount", grid.nodeCount), ("cellCount", grid.cellCount),
      ("edgeCount", grid.edgeCount), ("bedgeCount", grid.bedgeCount),
    ]
    for (name, value) in counts where value < 0 {
      throw OP2Error.invalidSize(object: "OP2Grid", what: name, value: value)
    }
    if let bad = grid.shapeMismatches.first {
      throw OP2Error.valueCountMismatch(object: "OP2Grid.\(bad.name)", expected: bad.expected, got: bad.got)
    }
    if let node = grid.x.firstIndex(where: { !$0.isFinite }) {
      throw OP2Error.fileError(
        path: path, reason: "coordinate \(node % 2) of node \(node / 2) is \(grid.x[node]), which cannot be written")
    }

    // About 22 bytes per node line and 24 per other line for OP2-sized grids; the buffer grows
    // if that is short.
    var buffer = MeshTextBuffer(
      capacity: 64 + 44 * grid.nodeCount + 28 * (grid.cellCount + grid.edgeCount + grid.bedgeCount))
    appendRow([grid.nodeCount, grid.cellCount, grid.edgeCount, grid.bedgeCount], to: &buffer)
    for n in 0..<grid.nodeCount {
      buffer.append(double: grid.x[2 * n])
      buffer.append(byte: 32)
      buffer.append(double: grid.x[2 * n + 1])
      buffer.append(byte: 10)
    }
    appendRows(grid.cellCount, to: &buffer, [(grid.cellNodes, 4)])
    appendRows(grid.edgeCount, to: &buffer, [(grid.edgeNodes, 2), (grid.edgeCells, 2)])
    appendRows(grid.bedgeCount, to: &buffer, [(grid.bedgeNodes, 2), (grid.bedgeCells, 1), (grid.bound, 1)])
    return buffer
  }

  private static func appendRow(_ values: [Int], to buffer: inout MeshTextBuffer) {
    for (k, value) in values.enumerated() {
      if k > 0 { buffer.append(byte: 32) }
      buffer.append(integer: value)
    }
    buffer.append(byte: 10)
  }

  /// Appends `rows` lines, each made of the next `width` values of every array in turn.
  private static func appendRows(_ rows: Int, to buffer: inout MeshTextBuffer, _ arrays: [([Int32], Int)]) {
    for row in 0..<rows {
      var first = true
      for (values, width) in arrays {
        for k in row * width..<(row + 1) * width {
          if !first { buffer.append(byte: 32) }
          first = false
          buffer.append(integer: Int(values[k]))
        }
      }
      buffer.append(byte: 10)
    }
  }
}
