/// Everything the generated wrapper depends on, and nothing else: the in-process cache key of a
/// compiled loop. Two loops with equal signatures share one compiled wrapper, whatever sets,
/// sizes or data objects they run on.
package struct LoopSignature: Hashable, Sendable {
  /// `matrix`: a ``Mat`` assembled from element matrices (`arity`/`dim` are the rows',
  /// `colArity`/`colDim` the columns').
  package enum ArgumentKind: UInt8, Hashable, Sendable { case direct, mapSlot, wholeMap, global, matrix }

  package struct ArgumentDescriptor: Hashable, Sendable {
    package var kind: ArgumentKind
    package var cType: String
    package var dim: Int
    package var arity: Int
    /// The map slot, or -1.
    package var index: Int
    package var access: Access
    /// Index of the first argument with the same data object (itself if none): arguments that
    /// share data share one base pointer, so `restrict` stays truthful.
    package var dataAlias: Int
    /// Index of the first argument with the same map (itself if none).
    package var mapAlias: Int
    /// A matrix argument's column map arity and values per column node (0 otherwise).
    package var colArity: Int = 0
    package var colDim: Int = 0
  }

  package var kernelHash: String
  package var kernelName: String
  /// C declarations of the folded Consts the kernel uses, with their current values.
  package var constDeclarations: String
  /// The run-time Consts the kernel uses, in the order of their argument buffer (see ``ConstLayout``).
  package var runtimeConsts: [ConstDescriptor] = []
  package var arguments: [ArgumentDescriptor]
  /// How a loop over an ``ExtrudedSet`` walks its columns; nil for every other loop (whose
  /// wrapper is generated exactly as before extrusion existed).
  package var extrusion: Extrusion? = nil

  /// The layer walk of a loop over an ``ExtrudedSet``: part of the cache key, so that regions and
  /// the layer argument never share a wrapper with each other or with a plain loop.
  package struct Extrusion: Hashable, Sendable {
    /// The layers visited per column: a region of cells or facets, or every entity layer
    /// (`0..<layers`, Dat algebra over a Dat on an extruded set).
    package enum Layers: Hashable, Sendable {
      case region(IterationRegion)
      case entities
    }
    package var layers: Layers
    /// Whether the kernel takes the layer as a last `int` parameter.
    package var passLayer: Bool
    /// Whether map arguments see two cells (the layer's and the one above).
    package var facets: Bool { layers == .region(.onInteriorFacets) }

    /// The layers `k` visited in a column of `layers` entity layers.
    package func layerRange(layers count: Int) -> Range<Int> {
      switch layers {
      case .region(let region): return region.layerRange(layers: count)
      case .entities: return 0..<count
      }
    }

    /// Where each argument's layer offsets start in the extrusion block (after its three header
    /// ints: layers, first and end layer): `rows[i]` for an argument that owns its map (map slot,
    /// whole map, Mat rows), `cols[i]` for a Mat's column map; and the block's length.
    package static func offsetPositions(_ args: [ArgumentDescriptor]) -> (rows: [Int: Int], cols: [Int: Int], count: Int) {
      var rows: [Int: Int] = [:], cols: [Int: Int] = [:]
      var next = 3
      for (i, a) in args.enumerated() {
        switch a.kind {
        case .mapSlot, .wholeMap, .matrix:
          if a.mapAlias == i { rows[i] = next; next += a.arity }
          if a.kind == .matrix { cols[i] = next; next += a.colArity }
        case .direct, .global:
          break
        }
      }
      return (rows, cols, next)
    }
  }
}
