/// Code generation for loops over an ``ExtrudedSet`` (``LoopSignature/extrusion``).
///
/// The range `start..<end` counts columns. The wrapper reads the extrusion block passed as the
/// extra last launch pointer (`args[2N]`: layers `L`, the first and end layer `k0`, `k1`, then the
/// maps' offsets), and for each column reads each map's row once into a local, then walks the
/// layers:
///
/// ```c
/// for (int n = start; n < end; n++) {
///   int op2_r1[6]; for (int j = 0; j < 6; j++) op2_r1[j] = m1[(size_t)n * 6 + j];  // once per column
///   for (int op2_k = op2_k0; op2_k < op2_k1; op2_k++) {
///     double *v1[6] = {d1 + (size_t)(op2_r1[0] + op2_k * op2_o1[0]) * 3, ...};    // layer k's entities
///     kernel(d0 + ((size_t)n * op2_L + op2_k) * 1, (void *)v1, op2_k);           // direct: entity (n, k)
///   }
/// }
/// ```
///
/// The wrapper's own names start with `op2_` (kernels are often called `k`).
///
/// On interior facets a map argument has `2 × arity` slots: slot `s` is base slot `s % arity` at
/// layer `k + s / arity`. Staging (INC buffers, MIN/MAX locals, Globals) is the element loop's.
extension WrapperGenerator {
  static func extrudedColumns(_ w: inout CSourceWriter, signature: LoopSignature, extrusion: LoopSignature.Extrusion) {
    let args = signature.arguments
    let positions = LoopSignature.Extrusion.offsetPositions(args)
    w.line("const int *restrict op2_ext = (const int *)args[\(2 * args.count)];")
    w.line("const int op2_L = op2_ext[0], op2_k0 = op2_ext[1], op2_k1 = op2_ext[2];")
    w.line("(void)op2_L;")
    w.block("for (int n = start; n < end; n++)") { w in
      for (i, a) in args.enumerated() {
        if let p = positions.rows[i] {
          w.line("int op2_r\(i)[\(a.arity)];")
          w.line("for (int j = 0; j < \(a.arity); j++) op2_r\(i)[j] = m\(i)[(size_t)n * \(a.arity) + j];")
          w.line("const int *op2_o\(i) = op2_ext + \(p);")
        }
        if let p = positions.cols[i] {
          w.line("int op2_rc\(i)[\(a.colArity)];")
          w.line("for (int j = 0; j < \(a.colArity); j++) op2_rc\(i)[j] = mc\(i)[(size_t)n * \(a.colArity) + j];")
          w.line("const int *op2_oc\(i) = op2_ext + \(p);")
        }
      }
      w.block("for (int op2_k = op2_k0; op2_k < op2_k1; op2_k++)") { w in
        extrudedElement(&w, signature: signature, facets: extrusion.facets, passLayer: extrusion.passLayer)
      }
    }
  }

  /// Entity of slot `s` (of `arity` base slots) through the row `r`/offsets `o` named by `alias`.
  private static func entity(row: String, offsets: String, slot s: Int, arity: Int) -> String {
    let j = s % arity, up = s / arity
    return "(\(row)[\(j)] + \(up == 0 ? "op2_k" : "(op2_k + \(up))") * \(offsets)[\(j)])"
  }

  /// One layer `k` of column `n`: the element loop's staging with extruded indices.
  private static func extrudedElement(_ w: inout CSourceWriter, signature: LoopSignature, facets: Bool, passLayer: Bool) {
    let factor = facets ? 2 : 1
    let addressing = ElementAddressing(
      direct: { a in "d\(a.dataAlias) + ((size_t)n * op2_L + op2_k) * \(a.dim)" },
      slot: { a, s in
        "d\(a.dataAlias) + (size_t)\(entity(row: "op2_r\(a.mapAlias)", offsets: "op2_o\(a.mapAlias)", slot: s, arity: a.arity)) * \(a.dim)"
      },
      slotCount: { $0.arity * factor },
      matrix: { w, i, a in
        let rowSlots = a.arity * factor, colSlots = a.colArity * factor
        let rows = (0..<rowSlots).map { entity(row: "op2_r\(a.mapAlias)", offsets: "op2_o\(a.mapAlias)", slot: $0, arity: a.arity) }
        let cols = (0..<colSlots).map { entity(row: "op2_rc\(i)", offsets: "op2_oc\(i)", slot: $0, arity: a.colArity) }
        w.line("const int ri\(i)[\(rowSlots)] = {\(rows.joined(separator: ", "))};")
        w.line("const int ci\(i)[\(colSlots)] = {\(cols.joined(separator: ", "))};")
        w.line("double A\(i)[\(rowSlots * a.dim)][\(colSlots * a.colDim)] = {{0}};")
        return ("(void *)A\(i)", "add\(i)(ctx\(i), \(rowSlots), ri\(i), \(colSlots), ci\(i), &A\(i)[0][0]);")
      },
      trailing: passLayer ? ["op2_k"] : [])
    elementBody(&w, signature: signature, addressing: addressing)
  }
}
