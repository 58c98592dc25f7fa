/// Writes 2D meshes with cell and point data as VTK XML unstructured grids (`.vtu`), for viewing
/// results in ParaView or VisIt.
///
/// The file is ASCII so it can be inspected and diffed; points get `z = 0`, and all cells have
/// one type: quadrilaterals (`VTK_QUAD`, 4 nodes) or triangles (`VTK_TRIANGLE`, 3 nodes), with
/// nodes in counter-clockwise order as in ``OP2Grid``.
///
/// ```swift
/// try VTKWriter.write(
///   to: "flow.vtu", points: grid.x, cells: grid.cellNodes, nodesPerCell: 4,
///   cellData: [VTKWriter.Field(name: "q", components: 4, values: q)])
/// ```
///
/// OP2 has no output writer of its own; its airfoil example only prints residuals.
public enum VTKWriter {
  /// A named array of values with `components` numbers per cell or per point.
  public struct Field: Equatable, Sendable {
    /// The array's name as ParaView shows it.
    public var name: String
    /// Numbers per cell or point: 1 for a scalar, 2 or 3 for a vector, 4 for OP2's `q`.
    public var components: Int
    /// `components` values per cell (or point), entity after entity.
    public var values: [Double]

    /// Creates a field.
    ///
    /// - Parameters:
    ///   - name: The name shown by viewers.
    ///   - components: Numbers per entity; must be positive.
    ///   - values: `components` values per entity, entity after entity.
    public init(name: String, components: Int, values: [Double]) {
      self.name = name
      self.components = components
      self.values = values
    }
  }

  /// Writes a `.vtu` file atomically (to a temporary file that is then renamed over `path`).
  ///
  /// The file is written as ``OutputFile`` describes: through a symbolic link to its target,
  /// keeping an existing file's permissions; a character device or FIFO is written into.
  ///
  /// - Parameters:
  ///   - path: The file to create or replace; use the `.vtu` extension.
  ///   - points: Point coordinates, `x, y` per point (`x, y, z` with `spaceDimension: 3`).
  ///   - cells: Point indices, `nodesPerCell` per cell, 0-based.
  ///   - nodesPerCell: 3 for triangles, 4 for quadrilaterals, 6 for wedges (prisms: the bottom
  ///     triangle, then the top one above it, VTK's `VTK_WEDGE` ordering), 8 for hexahedra.
  ///   - spaceDimension: Coordinates per point: 2 (z = 0) or 3.
  ///   - cellData: Fields with values per cell.
  ///   - pointData: Fields with values per point.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for `nodesPerCell` other than 3, 4, 6
  ///   or 8, a `spaceDimension` other than 2 or 3, or a field with fewer than 1 component;
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `points`, `cells` or a
  ///   field's values have the wrong length;
  ///   ``OP2Error/mapValueOutOfRange(map:entry:value:targetSet:targetSize:)`` when a cell
  ///   refers to a point that does not exist; ``OP2Error/fileError(path:reason:)`` when the
  ///   file cannot be written.
  public static func write(
    to path: String, points: [Double], cells: [Int32], nodesPerCell: Int, spaceDimension: Int = 2,
    cellData: [Field] = [], pointData: [Field] = []
  ) throws(OP2Error) {
    let buffer = try render(
      points: points, cells: cells, nodesPerCell: nodesPerCell, spaceDimension: spaceDimension,
      cellData: cellData, pointData: pointData)
    try buffer.writeAtomically(to: path)
  }

  /// Validates the input and builds the file's text.
  static func render(
    points: [Double], cells: [Int32], nodesPerCell: Int, spaceDimension: Int = 2, cellData: [Field], pointData: [Field]
  ) throws(OP2Error) -> MeshTextBuffer {
    let dimension = spaceDimension
    // VTK cell type numbers from vtkCellType.h.
    let cellType: Int
    switch nodesPerCell {
    case 3: cellType = 5  // VTK_TRIANGLE
    case 4: cellType = 9  // VTK_QUAD
    case 6: cellType = 13  // VTK_WEDGE
    case 8: cellType = 12  // VTK_HEXAHEDRON
    default: throw OP2Error.invalidSize(object: "VTKWriter", what: "nodesPerCell (3, 4, 6 or 8)", value: nodesPerCell)
    }
    guard dimension == 2 || dimension == 3 else {
      throw OP2Error.invalidSize(object: "VTKWriter", what: "spaceDimension (2 or 3)", value: dimension)
    }
    guard points.count % dimension == 0 else {
      throw OP2Error.valueCountMismatch(object: "VTK points", expected: (points.count / dimension + 1) * dimension, got: points.count)
    }
    let pointCount = points.count / dimension
    guard cells.count % nodesPerCell == 0 else {
      throw OP2Error.valueCountMismatch(
        object: "VTK cells", expected: (cells.count / nodesPerCell + 1) * nodesPerCell, got: cells.count)
    }
    let cellCount = cells.count / nodesPerCell
    if let bad = cells.firstIndex(where: { $0 < 0 || Int($0) >= pointCount }) {
      throw OP2Error.mapValueOutOfRange(
        map: "VTK cells", entry: bad / nodesPerCell, value: Int(cells[bad]), targetSet: "points",
        targetSize: pointCount)
    }
    for (fields, kind, count) in [(cellData, "cell", cellCount), (pointData, "point", pointCount)] {
      for field in fields {
        guard field.components >= 1 else {
          throw OP2Error.invalidSize(
            object: "VTK \(kind) field \"\(field.name)\"", what: "components (at least 1)", value: field.components)
        }
        guard field.values.count == field.components * count else {
          throw OP2Error.valueCountMismatch(
            object: "VTK \(kind) field \"\(field.name)\"", expected: field.components * count,
            got: field.values.count)
        }
      }
    }

    var out = MeshTextBuffer(capacity: 4096 + 24 * (points.count + cells.count))
    out.append(
      """
      <?xml version="1.0"?>
      <VTKFile type="UnstructuredGrid" version="0.1" byte_order="LittleEndian">
        <UnstructuredGrid>
          <Piece NumberOfPoints="\(pointCount)" NumberOfCells="\(cellCount)">
            <Points>
              <DataArray type="Float64" NumberOfComponents="3" format="ascii">

      """)
    for p in 0..<pointCount {
      out.append(double: points[dimension * p])
      out.append(byte: 32)
      out.append(double: points[dimension * p + 1])
      if dimension == 3 {
        out.append(byte: 32)
        out.append(double: points[3 * p + 2])
        out.append("\n")
      } else {
        out.append(" 0\n")
      }
    }
    out.append("        </DataArray>\n      </Points>\n      <Cells>\n")
    out.append("        <DataArray type=\"Int32\" Name=\"connectivity\" format=\"ascii\">\n")
    appendRows(cells.lazy.map { Int($0) }, width: nodesPerCell, to: &out)
    out.append("        </DataArray>\n        <DataArray type=\"Int32\" Name=\"offsets\" format=\"ascii\">\n")
    appendRows((0..<cellCount).lazy.map { ($0 + 1) * nodesPerCell }, width: 16, to: &out)
    out.append("        </DataArray>\n        <DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n")
    appendRows(repeatElement(cellType, count: cellCount), width: 32, to: &out)
    out.append("        </DataArray>\n      </Cells>\n")
    appendFields(cellData, section: "CellData", to: &out)
    appendFields(pointData, section: "PointData", to: &out)
    out.append("    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n")
    return out
  }

  /// Appends a `<CellData>` or `<PointData>` block; nothing when there are no fields.
  private static func appendFields(_ fields: [Field], section: String, to out: inout MeshTextBuffer) {
    guard !fields.isEmpty else { return }
    out.append("      <\(section)>\n")
    for field in fields {
      out.append(
        "        <DataArray type=\"Float64\" Name=\"\(xmlEscaped(field.name))\" "
          + "NumberOfComponents=\"\(field.components)\" format=\"ascii\">\n")
      for (k, value) in field.values.enumerated() {
        out.append(double: value)
        out.append(byte: (k + 1) % field.components == 0 ? 10 : 32)
      }
      out.append("        </DataArray>\n")
    }
    out.append("      </\(section)>\n")
  }

  /// Appends integers, `width` per line.
  private static func appendRows(
    _ values: some Sequence<Int>, width: Int, to out: inout MeshTextBuffer
  ) {
    var column = 0
    for value in values {
      if column > 0 { out.append(byte: 32) }
      out.append(integer: value)
      column += 1
      if column == width {
        out.append(byte: 10)
        column = 0
      }
    }
    if column > 0 { out.append(byte: 10) }
  }

  /// Escapes the characters that cannot appear inside an XML attribute value (the SVG writers'
  /// escaping).
  static func xmlEscaped(_ text: String) -> String { SVGText.escape(text) }
}
