import Foundation

/// Generates the OpenCL C program of a loop: the user's C99 kernel, inlined into a `__kernel`
/// that runs one work-item per element.
///
/// ```c
/// __kernel void op2_<hash>(const int start, const int end, [plan arrays,] data and map buffers,
///                          Const buffers, [__local reduction scratch])
/// ```
///
/// **Address spaces.** The user's kernel is plain C: its pointer parameters are in the private
/// address space. Every argument is therefore staged through private arrays — gathered from
/// `__global` memory before the call, written back after it — so the kernel needs no address
/// space qualifiers and runs on any OpenCL 1.2 device; after inlining, the compiler keeps the
/// arrays in registers. Whole-map arguments get an array of private pointers (`T *v[arity]`).
///
/// **Indirect writes.** A loop that writes through a map runs on a ``OpenCLPlan``: blocks of the
/// set are work-groups, blocks of one colour run in one launch, and the elements of a block are
/// coloured too (OP2's two-level colouring). INC loops compute every element at once into
/// private increments, then apply them colour by colour between work-group barriers; loops with
/// an indirect WRITE or RW run the whole element (gather, kernel, scatter) colour by colour.
///
/// **Local staging** (``OpenCLStaging/local``, `generate(..., staging: true)`): the Dats that
/// ``stageable(_:)`` finds live in `__local` buffers `s<k>` for the block. The work-group loads
/// them through the plan's per-block lists (`op2_ind_sizes`, `op2_ind_offs`, `op2_ind_map`; see
/// ``OpenCLStagingTables``), elements reach them through `op2_loc<r>` instead of the map, and
/// after the colours the work-group writes each distinct element back once.
///
/// **Reductions.** Each work-item reduces into a private accumulator; a work-group combines its
/// items in `__local` memory (a tree, so the work-group size is a power of two) and writes one
/// partial; a one-work-item kernel `op2_combine_<i>` then folds the partials, in order, into the
/// Global's device buffer — on the device, so the Global comes back only when the host reads it.
///
/// **Consts** live in `__constant` buffers passed to every launch: the kernel function gets one
/// extra parameter per Const it uses (`__constant double *op2c_gam`) and `#define gam
/// (op2c_gam[0])` makes the name work in its body, so a new value is a buffer write, never a
/// rebuild. Consts are therefore visible in the kernel function itself; helper functions that
/// use a Const must receive it as an argument.
///
/// What a kernel may not do on a device (see the OpenCL article): call the C library beyond
/// OpenCL C's built-in maths (`sqrt`, `fabs`, `fmin`... exist; `printf` exists in OpenCL 1.2,
/// `malloc`, `memcpy` and file I/O do not), include headers, keep `static` mutable state, or
/// recurse.
package enum OpenCLGenerator {
  /// How a loop runs.
  package enum Schedule: Hashable, Sendable {
    /// One work-item per element, no plan: nothing is written through a map.
    case direct
    /// On a plan: INC, MIN or MAX through maps only; the updates are applied colour by colour.
    case colouredIncrements
    /// On a plan: some indirect WRITE or RW; whole elements run colour by colour.
    case colouredElements
  }

  /// A Const the kernel uses.
  package struct ConstParameter: Hashable, Sendable {
    package var name: String
    package var cType: String
    package var dim: Int
  }

  /// A Dat whose block data a staged program keeps in `__local` memory: the buffer `d<alias>`,
  /// staged in `s<k>`, reached through the maps in ``maps``.
  package struct StagedData: Hashable, Sendable {
    /// The first argument with this Dat (its buffer's name).
    package var alias: Int
    package var access: Access
    package var cType: String
    package var dim: Int
    /// The maps that reach it, each with the slots the loop uses; the local indices of map
    /// `r` (numbered across all staged Dats) are the kernel's parameter `op2_loc<r>`.
    package var maps: [StagedMap]
  }

  /// One map through which a staged Dat is reached.
  package struct StagedMap: Hashable, Sendable {
    /// The first argument with this Dat and map (the one whose map the executor reads).
    package var argument: Int
    package var mapAlias: Int
    package var arity: Int
    package var slots: [Int]
  }

  package struct Output: Sendable {
    package var source: String
    package var kernelName: String
    package var schedule: Schedule
    /// The Dats kept in local memory (empty: the global-memory variant).
    package var staged: [StagedData] = []
    /// Argument positions of reduced Globals, each with its combine kernel's name.
    package var reductions: [(position: Int, kernel: String)]
  }

  /// Globals of at most this many values start a reduction from a value passed with the combine
  /// kernel's launch, so that a host store (`rms.value = [0]`) needs no buffer transfer.
  package static let initialValueLimit = 4

  package static func schedule(for args: [LoopSignature.ArgumentDescriptor]) -> Schedule {
    let indirectWrites = args.filter { ($0.kind == .mapSlot || $0.kind == .wholeMap) && $0.access.writes }
    if indirectWrites.isEmpty { return .direct }
    return indirectWrites.allSatisfy { $0.access == .inc || $0.access.isMinMax } ? .colouredIncrements : .colouredElements
  }

  /// The Dats a loop on a plan can keep in local memory: those whose every argument goes through
  /// a map with one access mode (a Dat read through a map and incremented through another, or
  /// also accessed directly, stays in global memory). Empty for loops without a plan.
  package static func stageable(_ args: [LoopSignature.ArgumentDescriptor]) -> [StagedData] {
    guard schedule(for: args) != .direct else { return [] }
    var found: [StagedData] = []
    for (i, a) in args.enumerated() where a.dataAlias == i && a.kind != .global && a.kind != .matrix {
      let uses = args.indices.filter { args[$0].kind != .global && args[$0].kind != .matrix && args[$0].dataAlias == i }
      guard uses.allSatisfy({ (args[$0].kind == .mapSlot || args[$0].kind == .wholeMap) && args[$0].access == a.access }) else { continue }
      var maps: [StagedMap] = []
      for j in uses {
        let b = args[j]
        let slots = b.kind == .wholeMap ? Array(0..<b.arity) : [b.index]
        if let m = maps.firstIndex(where: { $0.mapAlias == b.mapAlias }) {
          maps[m].slots = Array(Swift.Set(maps[m].slots + slots)).sorted()
        } else {
          maps.append(StagedMap(argument: j, mapAlias: b.mapAlias, arity: b.arity, slots: slots))
        }
      }
      found.append(StagedData(alias: i, access: a.access, cType: a.cType, dim: a.dim, maps: maps))
    }
    return found
  }

  /// - Parameter staging: generate the local-memory variant (``OpenCLStaging/local``) for the
  ///   Dats ``stageable(_:)`` finds; without any, the program is the global-memory one.
  package static func generate(signature: LoopSignature, kernelCode: String, consts: [ConstParameter], doublePrecision: Bool,
                               staging: Bool = false) -> Output {
    let args = signature.arguments
    let schedule = schedule(for: args)
    let staged = staging ? stageable(args) : []
    let name = "op2_" + String(StableHash.hex(of: "\(signature.kernelHash)|\(args)|\(consts)|\(signature.constDeclarations)"
                                             + (staged.isEmpty ? "" : "|local")).prefix(16))
    var w = CSourceWriter()
    w.line("/* Generated by swift-op2 (OpenCL) for kernel \(signature.kernelName). */")
    if doublePrecision { w.line("#pragma OPENCL EXTENSION cl_khr_fp64 : enable") }
    // As the host wrappers (-ffp-contract=off): no fused multiply-adds, so results match.
    w.line("#pragma OPENCL FP_CONTRACT OFF")
    // Consts folded at compile time (`static const double gam = 1.4;`) live in constant memory.
    for line in signature.constDeclarations.split(separator: "\n") where line.hasPrefix("static const ") {
      w.line("__constant " + line.dropFirst("static const ".count))
    }
    for c in consts {
      w.line(c.dim == 1 ? "#define \(c.name) (op2c_\(c.name)[0])" : "#define \(c.name) op2c_\(c.name)")
    }
    w.line("#line 1 \"\(signature.kernelName).c\"")
    w.verbatim(injectConstParameters(constantTables(kernelCode), function: signature.kernelName, consts: consts))
    w.resetLineDirective(file: "\(signature.kernelName)_opencl.cl")
    for c in consts { w.line("#undef \(c.name)") }

    var parameters = ["const int start", "const int end"]
    if schedule != .direct {
      parameters += ["__global const int *restrict op2_blocks", "const int op2_block_offset",
                     "__global const int *restrict op2_colour", "__global const int *restrict op2_colours"]
    }
    if !staged.isEmpty {
      parameters += ["__global const int *restrict op2_ind_sizes", "__global const int *restrict op2_ind_offs",
                     "__global const int *restrict op2_ind_map"]
      let reaches = staged.reduce(0) { $0 + $1.maps.count }
      parameters += (0..<reaches).map { "__global const int *restrict op2_loc\($0)" }
    }
    var reductions: [(Int, String)] = []
    for (i, a) in args.enumerated() {
      switch a.kind {
      case .global:
        parameters.append("__global \(a.cType) *restrict g\(i)")
        if a.access != .read {
          parameters.append("__global \(a.cType) *restrict p\(i)")
          reductions.append((i, "\(name)_combine\(i)"))
        }
      case .matrix:
        preconditionFailure("kernel \(signature.kernelName): loops that assemble a Mat run on the host")
      default:
        if a.dataAlias == i { parameters.append("__global \(a.cType) *restrict d\(i)") }
        if a.kind != .direct, a.mapAlias == i { parameters.append("__global const int *restrict m\(i)") }
      }
    }
    for c in consts { parameters.append("__constant \(c.cType) *restrict op2c_\(c.name)") }
    for (i, _) in reductions { parameters.append("__local \(args[i].cType) *op2_scratch\(i)") }
    for (k, t) in staged.enumerated() { parameters.append("__local \(t.cType) *restrict s\(k)") }

    w.block("__kernel void \(name)(\(parameters.joined(separator: ", ")))") { w in
      w.line("const int op2_lid = get_local_id(0);")
      if schedule == .direct {
        w.line("const int op2_group = get_group_id(0);")
        w.line("const int n = start + (int)get_global_id(0);")
      } else {
        w.line("const int op2_group = op2_blocks[op2_block_offset + get_group_id(0)];")
        w.line("const int n = start + op2_group * (int)get_local_size(0) + op2_lid;")
      }
      w.line("const int op2_active = n < end;")
      for (i, a) in args.enumerated() where a.kind == .global {
        if a.access == .read {
          w.line("\(a.cType) gs\(i)[\(a.dim)];")
          w.line("for (int d = 0; d < \(a.dim); d++) gs\(i)[d] = g\(i)[d];")
        } else {
          w.line("\(a.cType) r\(i)[\(a.dim)];")
          w.line("for (int d = 0; d < \(a.dim); d++) r\(i)[d] = \(identity(a.cType, a.access));")
        }
      }
      let element = elementParts(signature: signature, consts: consts, staged: staged)
      if !staged.isEmpty { stageIn(&w, staged) }
      let fence = staged.isEmpty ? "CLK_GLOBAL_MEM_FENCE" : "CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE"
      switch schedule {
      case .direct:
        for line in element.declarations { w.line(line) }
        w.block("if (op2_active)") { w in
          for line in element.gather + [element.call] + element.scatter + element.increments { w.line(line) }
        }
      case .colouredIncrements:
        for line in element.declarations { w.line(line) }
        w.block("if (op2_active)") { w in
          for line in element.gather + [element.call] + element.scatter { w.line(line) }
        }
        w.block("for (int op2_c = 0; op2_c < op2_colours[op2_group]; op2_c++)") { w in
          w.block("if (op2_active && op2_colour[n - start] == op2_c)") { w in
            for line in element.increments { w.line(line) }
          }
          w.line("barrier(\(fence));")
        }
      case .colouredElements:
        w.block("for (int op2_c = 0; op2_c < op2_colours[op2_group]; op2_c++)") { w in
          w.block("if (op2_active && op2_colour[n - start] == op2_c)") { w in
            for line in element.declarations + element.gather + [element.call] + element.scatter + element.increments { w.line(line) }
          }
          w.line("barrier(\(fence));")
        }
      }
      if !staged.isEmpty { writeBack(&w, staged) }
      for (i, _) in reductions { workGroupReduction(&w, index: i, args[i]) }
    }
    for (i, kernel) in reductions { combineKernel(&w, name: kernel, index: i, args[i]) }
    return Output(source: w.text, kernelName: name, schedule: schedule, staged: staged, reductions: reductions)
  }

  /// The statements of one element: private declarations, the gather, the call, the write-back
  /// of direct and indirect WRITE/RW data, and the INC additions through maps.
  private static func elementParts(signature: LoopSignature, consts: [ConstParameter], staged: [StagedData] = [])
    -> (declarations: [String], gather: [String], call: String, scatter: [String], increments: [String]) {
    var declarations: [String] = [], gather: [String] = [], scatter: [String] = [], increments: [String] = []
    var actuals = consts.map { "op2c_\($0.name)" }
    // Staged Dats: their local buffer and, per map, the number of its local-index table.
    var local: [Int: (buffer: Int, reaches: [Int: Int])] = [:]
    var reach = 0
    for (k, t) in staged.enumerated() {
      var reaches: [Int: Int] = [:]
      for m in t.maps { reaches[m.mapAlias] = reach; reach += 1 }
      local[t.alias] = (k, reaches)
    }
    for (i, a) in signature.arguments.enumerated() {
      let m = "m\(a.mapAlias)", dim = a.dim
      let staging = a.kind == .mapSlot || a.kind == .wholeMap ? local[a.dataAlias] : nil
      let d = staging.map { "s\($0.buffer)" } ?? "d\(a.dataAlias)"
      func row(_ slot: Int) -> String {
        if let staging {
          return "(size_t)op2_loc\(staging.reaches[a.mapAlias]!)[(size_t)(n - start) * \(a.arity) + \(slot)] * \(dim)"
        }
        return "(size_t)\(m)[(size_t)n * \(a.arity) + \(slot)] * \(dim)"
      }
      /// Stages one map slot's values in the private array `local`: set to the identity and
      /// combined back for INC, MIN and MAX, gathered (and written back for WRITE/RW) otherwise.
      func stage(_ local: String, row: String) {
        if a.access == .inc || a.access.isMinMax {
          gather.append("for (int d = 0; d < \(dim); d++) \(local)[d] = \(identity(a.cType, a.access));")
          increments.append(update(target: "\(d)[\(row) + d]", value: "\(local)[d]", a))
        } else {
          gather.append("for (int d = 0; d < \(dim); d++) \(local)[d] = \(d)[\(row) + d];")
          if a.access.writes { scatter.append("for (int d = 0; d < \(dim); d++) \(d)[\(row) + d] = \(local)[d];") }
        }
      }
      switch a.kind {
      case .global:
        actuals.append(a.access == .read ? "gs\(i)" : "r\(i)")
      case .direct where a.access.isMinMax:
        declarations.append("\(a.cType) a\(i)[\(dim)];")
        gather.append("for (int d = 0; d < \(dim); d++) a\(i)[d] = \(identity(a.cType, a.access));")
        scatter.append("for (int d = 0; d < \(dim); d++) { \(a.cType) x = \(d)[(size_t)n * \(dim) + d], y = a\(i)[d]; \(d)[(size_t)n * \(dim) + d] = \(combine("x", "y", a.access)); }")
        actuals.append("a\(i)")
      case .direct:
        declarations.append("\(a.cType) a\(i)[\(dim)];")
        gather.append("for (int d = 0; d < \(dim); d++) a\(i)[d] = \(d)[(size_t)n * \(dim) + d];")
        if a.access.writes { scatter.append("for (int d = 0; d < \(dim); d++) \(d)[(size_t)n * \(dim) + d] = a\(i)[d];") }
        actuals.append("a\(i)")
      case .mapSlot:
        declarations.append("\(a.cType) a\(i)[\(dim)];")
        stage("a\(i)", row: row(a.index))
        actuals.append("a\(i)")
      case .wholeMap:
        declarations.append("\(a.cType) a\(i)[\(a.arity)][\(dim)];")
        declarations.append("\(a.cType) *v\(i)[\(a.arity)] = {\((0..<a.arity).map { "a\(i)[\($0)]" }.joined(separator: ", "))};")
        for k in 0..<a.arity { stage("a\(i)[\(k)]", row: row(k)) }
        actuals.append("v\(i)")
      case .matrix:
        preconditionFailure("kernel \(signature.kernelName): loops that assemble a Mat run on the host")
      }
    }
    return (declarations, gather, "\(signature.kernelName)(\(actuals.joined(separator: ", ")));", scatter, increments)
  }

  /// A work-group's loads of its block's staged data: READ, RW and WRITE values from global
  /// memory (WRITE too, so that a kernel that writes part of a value leaves the rest as it was),
  /// INC zeros, MIN/MAX the identity; then a barrier.
  private static func stageIn(_ w: inout CSourceWriter, _ staged: [StagedData]) {
    for (k, t) in staged.enumerated() {
      w.line("const int op2_size\(k) = op2_ind_sizes[op2_group * \(staged.count) + \(k)];")
      w.line("__global const int *restrict op2_map\(k) = op2_ind_map + op2_ind_offs[op2_group * \(staged.count) + \(k)];")
      w.block("for (int e = op2_lid; e < op2_size\(k) * \(t.dim); e += (int)get_local_size(0))") { w in
        if t.access == .inc || t.access.isMinMax {
          w.line("s\(k)[e] = \(identity(t.cType, t.access));")
        } else {
          w.line("const int u = e / \(t.dim), d = e - u * \(t.dim);")
          w.line("s\(k)[e] = d\(t.alias)[(size_t)op2_map\(k)[u] * \(t.dim) + d];")
        }
      }
    }
    w.line("barrier(CLK_LOCAL_MEM_FENCE);")
  }

  /// After a barrier, the work-group writes each distinct staged element it changed back once:
  /// adds INC, combines MIN/MAX, stores RW and WRITE.
  private static func writeBack(_ w: inout CSourceWriter, _ staged: [StagedData]) {
    w.line("barrier(CLK_LOCAL_MEM_FENCE);")
    for (k, t) in staged.enumerated() where t.access.writes {
      w.block("for (int e = op2_lid; e < op2_size\(k) * \(t.dim); e += (int)get_local_size(0))") { w in
        w.line("const int u = e / \(t.dim), d = e - u * \(t.dim);")
        let target = "d\(t.alias)[(size_t)op2_map\(k)[u] * \(t.dim) + d]"
        switch t.access {
        case .inc: w.line("\(target) += s\(k)[e];")
        case .min, .max: w.line("{ \(t.cType) x = \(target), y = s\(k)[e]; \(target) = \(combine("x", "y", t.access)); }")
        default: w.line("\(target) = s\(k)[e];")
        }
      }
    }
  }

  /// The loop over `dim` that adds `value` to `target` (INC) or keeps the smaller (MIN) or larger
  /// (MAX) of the two.
  private static func update(target: String, value: String, _ a: LoopSignature.ArgumentDescriptor) -> String {
    if a.access == .inc { return "for (int d = 0; d < \(a.dim); d++) \(target) += \(value);" }
    return "for (int d = 0; d < \(a.dim); d++) { \(a.cType) x = \(target), y = \(value); \(target) = \(combine("x", "y", a.access)); }"
  }

  /// The work-group's tree reduction of `r<i>` into partial `p<i>[group]`.
  private static func workGroupReduction(_ w: inout CSourceWriter, index i: Int, _ a: LoopSignature.ArgumentDescriptor) {
    let dim = a.dim
    w.line("for (int d = 0; d < \(dim); d++) op2_scratch\(i)[op2_lid * \(dim) + d] = r\(i)[d];")
    w.line("barrier(CLK_LOCAL_MEM_FENCE);")
    w.block("for (int s = (int)get_local_size(0) / 2; s > 0; s >>= 1)") { w in
      w.block("if (op2_lid < s)") { w in
        w.block("for (int d = 0; d < \(dim); d++)") { w in
          w.line("\(a.cType) x = op2_scratch\(i)[op2_lid * \(dim) + d], y = op2_scratch\(i)[(op2_lid + s) * \(dim) + d];")
          w.line("op2_scratch\(i)[op2_lid * \(dim) + d] = \(combine("x", "y", a.access));")
        }
      }
      w.line("barrier(CLK_LOCAL_MEM_FENCE);")
    }
    w.line("if (op2_lid == 0) for (int d = 0; d < \(dim); d++) p\(i)[op2_group * \(dim) + d] = op2_scratch\(i)[d];")
  }

  /// `op2_combine<i>`: one work-item folds `count` partials, in order, into the Global — from
  /// its device value, or from the initial values passed by value when `use_initial` is set.
  private static func combineKernel(_ w: inout CSourceWriter, name: String, index i: Int, _ a: LoopSignature.ArgumentDescriptor) {
    let byValue = a.dim <= initialValueLimit
    var parameters = ["__global \(a.cType) *g", "__global const \(a.cType) *p", "const int count", "const int use_initial"]
    if byValue { parameters += (0..<a.dim).map { "const \(a.cType) initial\($0)" } }
    w.block("__kernel void \(name)(\(parameters.joined(separator: ", ")))") { w in
      if byValue {
        w.line("const \(a.cType) initial[\(a.dim)] = {\((0..<a.dim).map { "initial\($0)" }.joined(separator: ", "))};")
      }
      w.block("for (int d = 0; d < \(a.dim); d++)") { w in
        w.line("\(a.cType) x = \(byValue ? "use_initial ? initial[d] : g[d]" : "g[d]");")
        w.line("for (int k = 0; k < count; k++) { \(a.cType) y = p[k * \(a.dim) + d]; x = \(combine("x", "y", a.access)); }")
        w.line("g[d] = x;")
      }
    }
  }

  /// The reduction of `x` and `y`, as the host backends combine per-thread slots (`Swift.min`,
  /// `Swift.max`).
  private static func combine(_ x: String, _ y: String, _ access: Access) -> String {
    switch access {
    case .min: return "(\(y) < \(x) ? \(y) : \(x))"
    case .max: return "(\(y) >= \(x) ? \(y) : \(x))"
    default: return "\(x) + \(y)"
    }
  }

  /// The identity of a reduction in OpenCL C: 0, or the largest (smallest) value of the type.
  private static func identity(_ cType: String, _ access: Access) -> String {
    guard access != .inc else { return "0" }
    let minimum = access == .max
    switch cType {
    case "double", "float": return minimum ? "-INFINITY" : "INFINITY"
    case "int": return minimum ? "INT_MIN" : "INT_MAX"
    default: return minimum ? "LONG_MIN" : "LONG_MAX"
    }
  }

  /// The user's code with its file-scope tables (`static const double w[7] = {...};`, a line that
  /// starts outside any braces) in `__constant` memory, where OpenCL C allows program-scope data.
  /// The kernel reads them by indexing (`w[q]`, `qp[q][i]`); a plain pointer into one
  /// (`const double *l = qp[q];`) does not build, since it would point at private memory.
  package static func constantTables(_ code: String) -> String {
    var depth = 0
    var lines: [Substring] = []
    for line in code.split(separator: "\n", omittingEmptySubsequences: false) {
      var out = line
      if depth == 0 {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.hasPrefix("static const ") {
          out = line[..<trimmed.startIndex] + "__constant " + trimmed.dropFirst("static const ".count)
        }
      }
      for c in line.utf8 {
        if c == UInt8(ascii: "{") { depth += 1 } else if c == UInt8(ascii: "}") { depth = max(depth - 1, 0) }
      }
      lines.append(out)
    }
    return lines.joined(separator: "\n")
  }

  /// The user's code with `__constant T *op2c_<name>` parameters first in every declaration of
  /// the kernel function (`void name(`).
  package static func injectConstParameters(_ code: String, function: String, consts: [ConstParameter]) -> String {
    guard !consts.isEmpty else { return code }
    let extra = consts.map { "__constant \($0.cType) *restrict op2c_\($0.name)" }.joined(separator: ", ")
    let escaped = NSRegularExpression.escapedPattern(for: function)
    guard let pattern = try? NSRegularExpression(pattern: "\\bvoid\\s+\(escaped)\\s*\\(\\s*(void\\s*\\))?") else { return code }
    let text = code as NSString
    var result = ""
    var last = 0
    for match in pattern.matches(in: code, range: NSRange(location: 0, length: text.length)) {
      let whole = match.range
      result += text.substring(with: NSRange(location: last, length: whole.location - last))
      let matched = text.substring(with: whole)
      if match.range(at: 1).location != NSNotFound {
        // `void f(void)`: the Consts are the only parameters.
        let open = matched.firstIndex(of: "(")!
        result += String(matched[...open]) + extra + ")"
      } else {
        // Does the list continue with parameters, or close at once?
        let after = whole.location + whole.length
        let closes = after < text.length && text.substring(with: NSRange(location: after, length: 1)) == ")"
        result += matched + extra + (closes ? "" : ", ")
      }
      last = whole.location + whole.length
    }
    result += text.substring(from: last)
    return result
  }
}
