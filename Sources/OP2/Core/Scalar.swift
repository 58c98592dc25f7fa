/// A Swift number type that a Dat, Global or Const can hold, with its C counterpart.
///
/// The conforming types and their C types are: `Double` → `double`, `Float` → `float`,
/// `Int32` → `int`, `Int64` → `long` (LP64). PyOP2 spells these as numpy dtypes
/// (`float64`, `float32`, `int32`, `int64`); OP2 as the type strings `"double"`, `"float"`,
/// `"int"` and `"long"` passed to `op_decl_dat`.
public protocol OP2Scalar: Numeric, Comparable, Sendable, BitwiseCopyable {
  /// The C type name used in generated code and in kernel signatures.
  static var cType: String { get }
  /// The largest finite value (the identity of a MIN reduction).
  static var op2Maximum: Self { get }
  /// The smallest finite value (the identity of a MAX reduction).
  static var op2Minimum: Self { get }
  /// A C literal that denotes exactly this value.
  var cLiteral: String { get }
}

extension Double: OP2Scalar {
  public static var cType: String { "double" }
  public static var op2Maximum: Double { .infinity }
  public static var op2Minimum: Double { -.infinity }
  public var cLiteral: String {
    if isNaN { return "(0.0/0.0)" }
    if isInfinite { return self < 0 ? "(-1.0/0.0)" : "(1.0/0.0)" }
    // Swift's description is the shortest string that round-trips; C parses it correctly rounded.
    let text = description
    return text.contains(".") || text.contains("e") ? text : text + ".0"
  }
}

extension Float: OP2Scalar {
  public static var cType: String { "float" }
  public static var op2Maximum: Float { .infinity }
  public static var op2Minimum: Float { -.infinity }
  public var cLiteral: String {
    if isNaN { return "(0.0f/0.0f)" }
    if isInfinite { return self < 0 ? "(-1.0f/0.0f)" : "(1.0f/0.0f)" }
    let text = description
    return (text.contains(".") || text.contains("e") ? text : text + ".0") + "f"
  }
}

extension Int32: OP2Scalar {
  public static var cType: String { "int" }
  public static var op2Maximum: Int32 { .max }
  public static var op2Minimum: Int32 { .min }
  public var cLiteral: String { self == .min ? "(-2147483647-1)" : description }
}

extension Int64: OP2Scalar {
  public static var cType: String { "long" }
  public static var op2Maximum: Int64 { .max }
  public static var op2Minimum: Int64 { .min }
  public var cLiteral: String { self == .min ? "(-9223372036854775807L-1L)" : description + "L" }
}
