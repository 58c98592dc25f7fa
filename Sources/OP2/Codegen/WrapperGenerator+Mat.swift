/// Code generation for ``Mat`` arguments (``LoopSignature/ArgumentKind/matrix``).
///
/// A Mat argument's data pointer (`args[2i]`) is a launch block of three pointers — the insertion
/// function, its context and the column map's entries — and its map pointer (`args[2i+1]`) is the
/// row map, as for any indirect argument. Per element the wrapper declares a zeroed local
/// `double A_i[rowArity*rowDim][colArity*colDim]`, passes it to the kernel, and then calls
///
/// ```c
/// add(ctx, rowArity, &rowMap[n*rowArity], colArity, &colMap[n*colArity], &A_i[0][0]);
/// ```
///
/// which is `op2shim_mat_add` in the CPETSc shim (MatSetValues / MatSetValuesBlocked). The call
/// goes through a function pointer, so wrappers never link PETSc. Loops with Mat arguments are
/// never chunked (``ChunkPlan``): insertion is a call per element anyway.
extension WrapperGenerator {
  /// The C type of the insertion function.
  static let matrixAddType = "void (*)(void *, int, const int *, int, const int *, const double *)"

  /// Whether a loop has a Mat argument: its wrapper is `flatten`ed, because the compiler
  /// otherwise keeps an element-matrix kernel (loops of stores into `A`) out of line, and the call
  /// costs about 10 ns per element.
  static func flattensMatrixLoop(_ args: [LoopSignature.ArgumentDescriptor]) -> Bool {
    args.contains { $0.kind == .matrix }
  }

  /// Declarations at the top of the wrapper for matrix argument `i`.
  static func matrixDeclarations(_ w: inout CSourceWriter, index i: Int, _ a: LoopSignature.ArgumentDescriptor) {
    w.line("void *const *mb\(i) = (void *const *)args[\(2 * i)];")
    w.line("void (*add\(i))(void *, int, const int *, int, const int *, const double *) = (\(matrixAddType))mb\(i)[0];")
    w.line("void *ctx\(i) = mb\(i)[1];")
    w.line("const int *restrict mc\(i) = (const int *)mb\(i)[2];")
    if a.mapAlias == i { w.line("const int *restrict m\(i) = (const int *)args[\(2 * i + 1)];") }
  }

  /// For element `n`: the zeroed local element matrix (written to `w`), the kernel's actual
  /// argument, and the insertion call to emit after the kernel.
  static func matrixElement(_ w: inout CSourceWriter, index i: Int, _ a: LoopSignature.ArgumentDescriptor) -> (actual: String, after: String) {
    let rows = a.arity * a.dim, cols = a.colArity * a.colDim
    w.line("double A\(i)[\(rows)][\(cols)] = {{0}};")
    let call = "add\(i)(ctx\(i), \(a.arity), m\(a.mapAlias) + (size_t)n * \(a.arity), \(a.colArity), mc\(i) + (size_t)n * \(a.colArity), &A\(i)[0][0]);"
    return ("(void *)A\(i)", call)
  }
}
