import Synchronization

/// A named constant visible in every kernel as a C global of the same name.
///
/// The value is compiled into the generated code (`static const double gam = 1.4;`), so the
/// compiler can fold it; changing ``value`` later makes the next loops compile anew (each
/// distinct value is cached on disk like any other wrapper). A Const lives until it is
/// deallocated; kernels compiled after that no longer see it.
///
/// ```swift
/// let gam = try Const<Double>(name: "gam", dim: 1, value: [1.4])
/// let qinf = try Const<Double>(name: "qinf", dim: 4, value: [1, 0.47, 0, 2.6])
/// ```
///
/// The corresponding PyOP2 class is `op2.Const`; in OP2, `op_decl_const`.
public final class Const<T: OP2Scalar>: CustomStringConvertible, @unchecked Sendable {
  /// The C name.
  public let name: String
  /// Number of values: 1 declares a scalar, more an array.
  public let dim: Int
  private let current: Mutex<[T]>

  /// Declares a constant.
  /// - Throws: ``OP2Error/invalidIdentifier(object:name:)`` when `name` is not a C identifier,
  ///   ``OP2Error/invalidSize(object:what:value:)`` for `dim < 1`,
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `value.count != dim`,
  ///   ``OP2Error/duplicateConst(name:)`` when a live Const already has this name.
  public init(name: String, dim: Int, value: [T]) throws(OP2Error) {
    guard CIdentifier.isValid(name) else { throw .invalidIdentifier(object: "Const", name: name) }
    guard dim >= 1 else { throw .invalidSize(object: "Const \"\(name)\"", what: "dim (at least 1)", value: dim) }
    guard value.count == dim else { throw .valueCountMismatch(object: "Const \"\(name)\"", expected: dim, got: value.count) }
    self.name = name
    self.dim = dim
    current = Mutex(value)
    try ConstRegistry.shared.register(name: name, declaration: Self.declaration(name: name, dim: dim, value: value))
  }

  /// Declares a scalar constant.
  public convenience init(name: String, value: T) throws(OP2Error) {
    try self.init(name: name, dim: 1, value: [value])
  }

  deinit { ConstRegistry.shared.unregister(name: name) }

  /// The values. Setting one runs pending loops first (they were recorded with the old value)
  /// and makes later loops compile with the new one.
  /// - Precondition: a new value has `dim` elements.
  public var value: [T] {
    get { current.withLock { $0 } }
    set {
      precondition(newValue.count == dim, "Const \(name): expected \(dim) values, got \(newValue.count)")
      Runtime.flushEverywhere()
      current.withLock { $0 = newValue }
      ConstRegistry.shared.update(name: name, declaration: Self.declaration(name: name, dim: dim, value: newValue))
    }
  }

  static func declaration(name: String, dim: Int, value: [T]) -> String {
    if dim == 1 { return "static const \(T.cType) \(name) = \(value[0].cLiteral);" }
    return "static const \(T.cType) \(name)[\(dim)] = {\(value.map(\.cLiteral).joined(separator: ", "))};"
  }

  public var description: String { "Const<\(T.self)>(\"\(name)\", dim: \(dim))" }
}

/// The live Consts' C declarations, in declaration order, with a generation number that changes
/// whenever the set of declarations does (it is part of every loop's cache key).
package final class ConstRegistry: Sendable {
  package static let shared = ConstRegistry()
  private struct State { var order: [String] = []; var declarations: [String: String] = [:]; var generation = 0 }
  private let state = Mutex(State())

  func register(name: String, declaration: String) throws(OP2Error) {
    let ok = state.withLock { s -> Bool in
      if s.declarations[name] != nil { return false }
      s.order.append(name)
      s.declarations[name] = declaration
      s.generation += 1
      return true
    }
    if !ok { throw .duplicateConst(name: name) }
  }

  func update(name: String, declaration: String) {
    state.withLock { s in s.declarations[name] = declaration; s.generation += 1 }
  }

  func unregister(name: String) {
    state.withLock { s in
      s.order.removeAll { $0 == name }
      s.declarations[name] = nil
      s.generation += 1
    }
  }

  /// The declarations of the live Consts whose names occur in `identifiers`, one per line, in
  /// declaration order. Only these go into a kernel's wrapper, so unrelated Consts never force a
  /// recompilation.
  package func declarations(usedBy identifiers: Swift.Set<String>) -> String {
    state.withLock { s in
      var lines: [String] = []
      for name in s.order where identifiers.contains(name) {
        if let d = s.declarations[name] { lines.append(d) }
      }
      return lines.joined(separator: "\n")
    }
  }

  package var generation: Int { state.withLock { $0.generation } }
}

/// C identifier checks.
package enum CIdentifier {
  package static func isValid(_ name: String) -> Bool {
    guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
    return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= 48 && $0 <= 57) }
  }
  private static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
}
