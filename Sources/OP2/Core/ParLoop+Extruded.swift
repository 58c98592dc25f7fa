/// Validation and launch data of loops over an ``ExtrudedSet``.
extension ParLoop {
  /// The layer walk of a loop over `set`, or nil for a set that is not extruded (which must then
  /// ask for neither a region nor the layer).
  static func extrusion(of set: Set, layers: LoopSignature.Extrusion.Layers?, passLayer: Bool,
                        kernel: String) throws(OP2Error) -> LoopSignature.Extrusion? {
    guard let extruded = set as? ExtrudedSet else {
      if case .region(let region)? = layers {
        throw .notExtruded(operation: "parLoop \"\(kernel)\" with iterate: .\(region.rawValue)", set: set.name)
      }
      if layers != nil || passLayer {
        throw .notExtruded(operation: "parLoop \"\(kernel)\" with passLayer: true", set: set.name)
      }
      return nil
    }
    guard extruded.followsBase else {
      throw .unsupportedOnExtrudedSet(set: extruded.name, reason: "parLoop \"\(kernel)\": its base \(extruded.base.name) was partitioned after the extruded set was made; extrude the base after OP2.partition")
    }
    return .init(layers: layers ?? .region(.all), passLayer: passLayer)
  }

  /// What an argument of an extruded loop may not be: direct on interior facets (a facet has two
  /// cells; reach them through a map, as in PyOP2).
  static func validateExtruded(_ arg: Arg, at: OP2Error.ArgumentLocation, facets: Bool) throws(OP2Error) {
    if facets, !arg.isGlobal, arg.map == nil {
      throw .unsupportedArgument(at, reason: "a loop over interior facets reaches the cells on either side through a Map with offsets; direct Dat arguments are not allowed there")
    }
  }

  /// The extrusion block of a validated loop: layers, the layer range, each map's offsets.
  static func extrusionBlock(_ args: [Arg], descriptors: [LoopSignature.ArgumentDescriptor], set: ExtrudedSet,
                             extrusion: LoopSignature.Extrusion) -> _UnsafeDatBuffer {
    let positions = LoopSignature.Extrusion.offsetPositions(descriptors)
    let range = extrusion.layerRange(layers: set.layers)
    var block = [Int32](repeating: 0, count: positions.count)
    block[0] = Int32(set.layers)
    block[1] = Int32(range.lowerBound)
    block[2] = Int32(max(range.lowerBound, range.upperBound))
    func place(_ map: Map, at start: Int) {
      if let offsets = map.layerOffsets { block.replaceSubrange(start..<(start + offsets.count), with: offsets) }
    }
    for (i, arg) in args.enumerated() {
      let matrix = arg.matrix
      if let start = positions.rows[i] { place(matrix?.rowMap ?? arg.map!, at: start) }
      if let start = positions.cols[i], let matrix { place(matrix.colMap, at: start) }
    }
    let buffer = _UnsafeDatBuffer(byteCount: block.count * 4)
    buffer.store(block)
    return buffer
  }
}
