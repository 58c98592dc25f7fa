import Synchronization

/// A named constant visible in every kernel as a C global of the same name.
///
/// By default the value is passed to the generated code at run time: the wrapper declares
/// `static double gam;` and each launch copies the current values in (for OpenCL, an argument
/// buffer), so setting ``value`` every time step compiles nothing. Declared with
/// `foldedAtCompileTime: true`, the value is compiled into the wrapper instead
/// (`static const double gam = 1.4;`), so the C compiler can fold it; then each distinct value
/// compiles (and caches) its own wrapper — choose it only for values that rarely change and where
/// folding is measured to matter. A Const lives until it is deallocated; kernels compiled after
/// that no longer see it.
///
/// ```swift
/// let gam = try Const<Double>(name: "gam", dim: 1, value: [1.4])
/// let qinf = try Const<Double>(name: "qinf", dim: 4, value: [1, 0.47, 0, 2.6])
/// let dt = try Const<Double>(name: "dt", value: 0.1)
/// dt.value = [0.05]                // no recompilation; queued loops keep 0.1
/// ```
///
/// The corresponding PyOP2 class is `op2.Const`; in OP2, `op_decl_const`.
public final class Const<T: OP2Scalar>: _ConstValue, CustomStringConvertible, @unchecked Sendable {
  /// The C name.
  public let name: String
  /// Number of values: 1 declares a scalar, more an array.
  public let dim: Int
  /// Whether the value is compiled into the wrappers (each new value compiles anew) rather than
  /// passed at run time.
  public let isFoldedAtCompileTime: Bool
  /// The value most recently set from Swift.
  private let current: Mutex<[T]>
  /// The value loops see: a set value is stored here behind the queued loops that use the Const.
  package let storage: _UnsafeDatBuffer

  /// Declares a constant.
  /// - Parameters:
  ///   - name: The C name; not a C keyword or a name the standard headers define (`M_PI`).
  ///   - dim: Number of values (1 for a scalar).
  ///   - value: `dim` values.
  ///   - foldedAtCompileTime: Compile the value into the wrappers (see the type's discussion).
  /// - Throws: ``OP2Error/invalidIdentifier(object:name:)`` when `name` is not a C identifier,
  ///   ``OP2Error/reservedName(object:name:)`` when C or its headers use it, ``OP2Error/invalidSize(object:what:value:)`` for `dim < 1`,
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `value.count != dim`,
  ///   ``OP2Error/duplicateConst(name:)`` when a live Const already has this name.
  public init(name: String, dim: Int, value: [T], foldedAtCompileTime: Bool = false) throws(OP2Error) {
    guard CIdentifier.isValid(name) else { throw .invalidIdentifier(object: "Const", name: name) }
    guard !CIdentifier.isReserved(name) else { throw .reservedName(object: "Const", name: name) }
    guard dim >= 1 else { throw .invalidSize(object: "Const \"\(name)\"", what: "dim (at least 1)", value: dim) }
    guard value.count == dim else { throw .valueCountMismatch(object: "Const \"\(name)\"", expected: dim, got: value.count) }
    self.name = name
    self.dim = dim
    self.isFoldedAtCompileTime = foldedAtCompileTime
    current = Mutex(value)
    storage = _UnsafeDatBuffer(byteCount: dim * MemoryLayout<T>.stride)
    storage.store(value)
    let declaration = foldedAtCompileTime ? Self.declaration(name: name, dim: dim, value: value) : nil
    try ConstRegistry.shared.register(self, foldedDeclaration: declaration)
  }

  /// Declares a scalar constant.
  public convenience init(name: String, value: T, foldedAtCompileTime: Bool = false) throws(OP2Error) {
    try self.init(name: name, dim: 1, value: [value], foldedAtCompileTime: foldedAtCompileTime)
  }

  deinit { ConstRegistry.shared.unregister(name: name) }

  /// The values. Setting one affects the loops recorded afterwards; loops already queued keep
  /// the value they were recorded with (the store is queued behind them, nothing is forced).
  /// A run-time Const compiles nothing anew; a folded one compiles the next loops that use it.
  /// - Precondition: a new value has `dim` elements; ``setValue(_:)`` throws instead.
  public var value: [T] {
    get { current.withLock { $0 } }
    set {
      do { try setValue(newValue) } catch { fatalError(error.description) }
    }
  }

  /// Replaces the values; see ``value``.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)``; the Const is unchanged then.
  public func setValue(_ newValue: [T]) throws(OP2Error) {
    guard newValue.count == dim else { throw .valueCountMismatch(object: "Const \"\(name)\"", expected: dim, got: newValue.count) }
    current.withLock { $0 = newValue }
    if isFoldedAtCompileTime {
      ConstRegistry.shared.update(name: name, foldedDeclaration: Self.declaration(name: name, dim: dim, value: newValue))
    }
    let storage = self.storage
    Runtime.current.hostStore(into: self) { storage.store(newValue) }
  }

  static func declaration(name: String, dim: Int, value: [T]) -> String {
    if dim == 1 { return "static const \(T.cType) \(name) = \(value[0].cLiteral);" }
    return "static const \(T.cType) \(name)[\(dim)] = {\(value.map(\.cLiteral).joined(separator: ", "))};"
  }

  package var descriptor: ConstDescriptor {
    ConstDescriptor(name: name, cType: T.cType, dim: dim, elementSize: MemoryLayout<T>.stride)
  }

  public var description: String { "Const<\(T.self)>(\"\(name)\", dim: \(dim))" }
}

/// A Const seen without its element type: what a launch copies into the wrapper.
package protocol _ConstValue: AnyObject, Sendable {
  var descriptor: ConstDescriptor { get }
  var storage: _UnsafeDatBuffer { get }
}

/// The live Consts by name, in declaration order: the compile-time declarations of folded ones,
/// and the run-time ones themselves.
package final class ConstRegistry: Sendable {
  package static let shared = ConstRegistry()
  private struct Weak { weak var object: (any _ConstValue)? }
  private struct State {
    var order: [String] = []
    var folded: [String: String] = [:]
    var runtime: [String: Weak] = [:]
  }
  private let state = Mutex(State())

  func register(_ const: any _ConstValue, foldedDeclaration: String?) throws(OP2Error) {
    let name = const.descriptor.name
    let ok = state.withLock { s -> Bool in
      if s.order.contains(name) { return false }
      s.order.append(name)
      if let foldedDeclaration { s.folded[name] = foldedDeclaration } else { s.runtime[name] = Weak(object: const) }
      return true
    }
    LoopPlanEpoch.advance()
    if !ok { throw .duplicateConst(name: name) }
  }

  func update(name: String, foldedDeclaration: String) {
    state.withLock { s in s.folded[name] = foldedDeclaration }
    LoopPlanEpoch.advance()
  }

  func unregister(name: String) {
    state.withLock { s in
      s.order.removeAll { $0 == name }
      s.folded[name] = nil
      s.runtime[name] = nil
    }
    LoopPlanEpoch.advance()
  }

  /// The Consts whose names occur in `identifiers`, in declaration order: the C declarations of
  /// the folded ones, one per line, and the run-time ones. Only these go into a kernel's wrapper,
  /// so unrelated Consts never force a recompilation.
  package func uses(_ identifiers: Swift.Set<String>) -> (foldedDeclarations: String, runtime: [any _ConstValue]) {
    state.withLock { s in
      var lines: [String] = []
      var runtime: [any _ConstValue] = []
      for name in s.order where identifiers.contains(name) {
        if let d = s.folded[name] { lines.append(d) }
        if let c = s.runtime[name]?.object { runtime.append(c) }
      }
      return (lines.joined(separator: "\n"), runtime)
    }
  }
}

/// C identifier checks.
package enum CIdentifier {
  package static func isValid(_ name: String) -> Bool {
    guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
    return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= 48 && $0 <= 57) }
  }

  /// Whether `name` is a C keyword, a name the generated code's headers (`math.h`, `stdlib.h`,
  /// `string.h`, `stdint.h`, `stddef.h`) define as a macro or function, or reserved for the
  /// implementation (`_` and an upper-case letter, or two underscores).
  package static func isReserved(_ name: String) -> Bool {
    if keywords.contains(name) || headerNames.contains(name) { return true }
    let bytes = Array(name.utf8)
    if bytes.count >= 2, bytes[0] == UInt8(ascii: "_"), bytes[1] == UInt8(ascii: "_") || (bytes[1] >= 65 && bytes[1] <= 90) { return true }
    // <stdint.h> macros (INT32_MAX, UINT8_C, …) and <math.h>'s M_* and FP_* constants.
    return name.hasPrefix("M_") || name.hasPrefix("FP_") || (name.hasPrefix("INT") || name.hasPrefix("UINT")) && (name.hasSuffix("_MAX") || name.hasSuffix("_MIN") || name.hasSuffix("_C"))
  }

  private static let keywords: Swift.Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "bool", "true", "false", "alignas", "alignof", "nullptr", "static_assert",
    "thread_local", "typeof", "typeof_unqual", "constexpr",
  ]

  private static let headerNames: Swift.Set<String> = [
    "NULL", "EOF", "HUGE_VAL", "HUGE_VALF", "INFINITY", "NAN", "EXIT_SUCCESS", "EXIT_FAILURE",
    "RAND_MAX", "MB_CUR_MAX", "SIZE_MAX", "PTRDIFF_MAX", "PTRDIFF_MIN", "INTPTR_MAX", "INTPTR_MIN",
    "UINTPTR_MAX", "INTMAX_MAX", "INTMAX_MIN", "UINTMAX_MAX", "MATH_ERRNO", "MATH_ERREXCEPT",
    "math_errhandling", "errno", "assert", "offsetof", "isnan", "isinf", "isfinite", "signbit",
    "fpclassify", "isnormal", "sin", "cos", "tan", "sqrt", "exp", "log", "pow", "fabs", "abs",
    "floor", "ceil", "fmin", "fmax", "round", "atan", "atan2", "asin", "acos", "sinh", "cosh",
    "tanh", "log10", "log2", "cbrt", "hypot", "fmod", "memcpy", "memset", "malloc", "free", "size_t",
    "ptrdiff_t", "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "intptr_t", "uintptr_t", "wchar_t",
  ]
  private static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
}
