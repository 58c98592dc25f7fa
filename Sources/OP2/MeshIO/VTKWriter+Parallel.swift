import Foundation

extension VTKWriter {
  /// Writes one piece per rank and a parallel file (`.pvtu`) that lists them, for ParaView:
  /// collective under MPI.
  ///
  /// Each rank writes its own part of the mesh — typically its owned cells, with the points they
  /// use (owned and halo nodes, in local numbering) — as `<name>_<rank>.vtu` beside `path`, and
  /// rank 0 writes `path` (`<name>.pvtu`) naming every piece and declaring the fields. Nothing is
  /// gathered on one rank. Without MPI it writes one piece and the `.pvtu`.
  ///
  /// ```swift
  /// let owned = Array(pcell.values.prefix(cells.size * 4))        // owned cells, local node indices
  /// try VTKWriter.writeParallel(to: "flow.pvtu", points: x.localData(includingHalo: true), cells: owned,
  ///                             nodesPerCell: 4, cellData: [.init(name: "q", components: 4, values: q.data)])
  /// ```
  ///
  /// - Throws: as ``write(to:points:cells:nodesPerCell:spaceDimension:cellData:pointData:)``, on every rank when
  ///   any rank's piece is invalid or cannot be written (the error of the lowest such rank).
  public static func writeParallel(
    to path: String, points: [Double], cells: [Int32], nodesPerCell: Int,
    cellData: [Field] = [], pointData: [Field] = []
  ) throws(OP2Error) {
    let world = MPIEnvironment.world
    let rank = world?.rank ?? 0, ranks = world?.size ?? 1
    let url = URL(fileURLWithPath: path)
    let stem = url.deletingPathExtension().lastPathComponent
    let folder = url.deletingLastPathComponent()
    let pieceName = { (r: Int) in "\(stem)_\(r).vtu" }
    var failure: OP2Error?
    do {
      try write(to: folder.appendingPathComponent(pieceName(rank)).path, points: points, cells: cells,
                nodesPerCell: nodesPerCell, cellData: cellData, pointData: pointData)
    } catch {
      failure = error
    }
    if let world { try ErrorAgreement.agree(failure, on: world) } else if let failure { throw failure }
    if rank == 0 {
      failure = nil
      var text = """
        <?xml version="1.0"?>
        <VTKFile type="PUnstructuredGrid" version="0.1" byte_order="LittleEndian">
          <PUnstructuredGrid GhostLevel="0">
            <PPoints>
              <PDataArray type="Float64" NumberOfComponents="3"/>
            </PPoints>

        """
      for (fields, section) in [(cellData, "PCellData"), (pointData, "PPointData")] where !fields.isEmpty {
        text += "    <\(section)>\n"
        for f in fields {
          text += "      <PDataArray type=\"Float64\" Name=\"\(xmlEscaped(f.name))\" NumberOfComponents=\"\(f.components)\"/>\n"
        }
        text += "    </\(section)>\n"
      }
      for r in 0..<ranks { text += "    <Piece Source=\"\(xmlEscaped(pieceName(r)))\"/>\n" }
      text += "  </PUnstructuredGrid>\n</VTKFile>\n"
      do { try OutputFile.write(text, to: path) } catch { failure = error }
    }
    if let world { try ErrorAgreement.agree(failure, on: world) } else if let failure { throw failure }
  }
}
