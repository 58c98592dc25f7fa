/// Where a device loop on a plan keeps its blocks' indirect data (`OP2_OPENCL_STAGING`).
///
/// - `global`: every element reads and updates the Dats through the map in global memory
///   (increments applied colour by colour inside the block).
/// - `local`: OP2-Common's CUDA/OpenCL scheme. The plan lists each block's distinct indirect
///   elements per Dat; a work-group loads READ, RW and WRITE values into `__local` memory at the
///   start of the block (INC starts from zero, MIN/MAX from the identity), the elements work on
///   the local copies through per-element local indices (INC colour by colour), and the block
///   writes each distinct element back once (adding INC, combining MIN/MAX).
/// - `auto` (the default): `local` on devices with dedicated local memory
///   (`CL_DEVICE_LOCAL_MEM_TYPE` is `CL_LOCAL`, as on GPUs), `global` where local memory is
///   ordinary memory (`CL_GLOBAL`, as PoCL's CPU device), where the copies only cost time.
///
/// With `local` or `auto`, a loop whose staged data does not fit the device's
/// `CL_DEVICE_LOCAL_MEM_SIZE` runs with smaller blocks (halved, down to 32 elements), and with
/// `global` when even those do not fit; the timing report's notes say which. Only Dats whose
/// every argument in the loop goes through a map with one access mode are staged; the rest of the
/// loop's data stays in global memory. Direct loops and loops that only read through maps run
/// without a plan and are never staged.
public enum OpenCLStaging: String, Hashable, Sendable, CaseIterable {
  case local, global, auto

  /// Parses `OP2_OPENCL_STAGING` (`local`, `global` or `auto`; unset or empty: `nil`).
  /// - Throws: ``OP2Error/invalidConfiguration(variable:value:expected:)`` for any other value.
  package static func fromEnvironment(_ value: String?, source: String = "OP2_OPENCL_STAGING") throws(OP2Error) -> OpenCLStaging? {
    try Setting.choice(source, value, allCases.map(\.rawValue)).flatMap(OpenCLStaging.init(rawValue:))
  }
}

/// The per-block tables of a staged loop (OP2's `ind_map`, `loc_map`, `ind_sizes`, `ind_offs`):
/// for each block and staged Dat, the distinct elements its elements reach through the maps, in
/// order of first use, and for each element and map slot that element's position in that list.
package struct OpenCLStagingTables: Sendable {
  /// One map through which a staged Dat is reached, and the slots the loop uses.
  package struct Reach: Sendable {
    package var values: [Int32]
    package var arity: Int
    package var targetSize: Int
    package var slots: [Int]
    package init(values: [Int32], arity: Int, targetSize: Int, slots: [Int]) {
      self.values = values
      self.arity = arity
      self.targetSize = targetSize
      self.slots = slots
    }
  }

  package let blockSize: Int
  package let blockCount: Int
  /// Number of staged Dats.
  package let datCount: Int
  /// `sizes[b * datCount + k]`: distinct elements of staged Dat `k` in block `b` (`ind_sizes`).
  package let sizes: [Int32]
  /// `offsets[b * datCount + k]`: where that block's list starts in ``elements`` (`ind_offs`).
  package let offsets: [Int32]
  /// The lists, concatenated: indices into the Dat's set (`ind_map`).
  package let elements: [Int32]
  /// Per reach (the Dats' reaches in order): for element `e` of the plan and slot `s`,
  /// `localIndices[r][e * arity + s]` is the position of its target in its block's list, or -1
  /// for a slot the loop does not use (`loc_map`).
  package let localIndices: [[Int32]]
  /// Per staged Dat: the longest list of any block (what local memory must hold).
  package let maxSizes: [Int]

  /// - Parameters:
  ///   - dats: per staged Dat, the maps that reach it.
  ///   - firstElement: the map row of the plan's element 0.
  package init(setSize: Int, blockSize: Int, dats: [[Reach]], firstElement: Int = 0) {
    self.blockSize = blockSize
    blockCount = (setSize + blockSize - 1) / blockSize
    datCount = dats.count
    var sizes = [Int32](repeating: 0, count: blockCount * dats.count)
    var offsets = [Int32](repeating: 0, count: blockCount * dats.count)
    var elements: [Int32] = []
    var local = dats.flatMap { $0.map { [Int32](repeating: -1, count: setSize * $0.arity) } }
    var maxSizes = [Int](repeating: 0, count: dats.count)
    var references = 0
    // Per Dat, each target's position in the current block's list (-1: not listed yet).
    var position = dats.map { [Int32](repeating: -1, count: $0.map(\.targetSize).max() ?? 0) }
    for b in 0..<blockCount {
      let range = (b * blockSize)..<min(setSize, (b + 1) * blockSize)
      var reach = 0
      for (k, maps) in dats.enumerated() {
        let start = elements.count
        offsets[b * dats.count + k] = Int32(start)
        for m in maps {
          for e in range {
            for s in m.slots {
              let target = Int(m.values[(firstElement + e) * m.arity + s])
              if position[k][target] < 0 {
                position[k][target] = Int32(elements.count - start)
                elements.append(Int32(target))
              }
              local[reach][e * m.arity + s] = position[k][target]
              references += 1
            }
          }
          reach += 1
        }
        let count = elements.count - start
        sizes[b * dats.count + k] = Int32(count)
        maxSizes[k] = max(maxSizes[k], count)
        for t in elements[start...] { position[k][Int(t)] = -1 }
      }
    }
    self.sizes = sizes
    self.offsets = offsets
    self.elements = elements
    localIndices = local
    self.maxSizes = maxSizes
    self.references = references
  }

  /// Accesses through the maps per distinct staged element a block loads: how many global
  /// accesses staging saves per load (1: none).
  package var reuse: Double { elements.isEmpty ? 0 : Double(references) / Double(elements.count) }

  /// Accesses through the maps of all elements (each used slot of each element, per Dat).
  package let references: Int

  /// Bytes of local memory a work-group needs for Dats of `bytesPerElement` (dim × size) each.
  package func localBytes(bytesPerElement: [Int]) -> Int {
    zip(maxSizes, bytesPerElement).reduce(0) { $0 + $1.0 * $1.1 }
  }
}
