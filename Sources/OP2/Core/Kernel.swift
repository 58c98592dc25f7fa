/// The per-element computation of a loop: a C99 function given as source code and its name.
///
/// The function returns `void` and takes one parameter per loop argument, matched by position:
/// `T *` for direct data, a single map slot (`dat(.read, map[0])`) and Globals; `T **` (or
/// `T *name[arity]`) for data through a whole map. Every live ``Const`` is visible as a C global.
/// The kernel is compiled inside the generated wrapper, so the C compiler inlines it; diagnostics
/// point at the kernel's own lines (`midpoint.c:3:5: error: ...`).
///
/// ```swift
/// let midpoint = Kernel(code: """
///   void midpoint(double p[2], double *coords[2]) {
///     p[0] = (coords[0][0] + coords[1][0] + coords[2][0]) / 3.0;
///     p[1] = (coords[0][1] + coords[1][1] + coords[2][1]) / 3.0;
///   }
///   """, name: "midpoint")
/// ```
///
/// Two kernels with the same name but different code are different kernels. The corresponding
/// PyOP2 class is `op2.Kernel`; OP2 takes the kernel as a header named after the function.
public final class Kernel: CustomStringConvertible, @unchecked Sendable {
  /// The C source.
  public let code: String
  /// The name of the C function to call; it also names the loop in messages and timings.
  public let name: String
  /// A stable 128-bit hash of name and code, part of every cache key.
  package let codeHash: String
  /// The parsed signature, or why it could not be found.
  package let signature: Result<KernelSignature, OP2Error>
  /// Every identifier in the code, to find the Consts it uses.
  package let identifiers: Swift.Set<String>
  /// Validated calls of this kernel, for repeated `parLoop` calls (see ``LoopMemo``).
  package let loopMemo = LoopMemo()

  /// Creates a kernel. Nothing is compiled until the kernel is used in a loop.
  public init(code: String, name: String) {
    self.code = code
    self.name = name
    codeHash = StableHash.hex(of: name + "\u{0}" + code)
    signature = KernelSignature.parse(code: code, function: name).mapError { $0 }
    var words = Swift.Set<String>()
    var word = [UInt8]()
    for c in code.utf8 {
      if c == UInt8(ascii: "_") || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) {
        word.append(c)
      } else if !word.isEmpty {
        words.insert(String(decoding: word, as: UTF8.self))
        word.removeAll(keepingCapacity: true)
      }
    }
    if !word.isEmpty { words.insert(String(decoding: word, as: UTF8.self)) }
    identifiers = words
  }

  public var description: String { "Kernel(\"\(name)\")" }
}

/// The parameter list of a kernel function, as far as it matters for type checks.
package struct KernelSignature: Sendable, Equatable {
  package struct Parameter: Sendable, Equatable {
    /// The base C type (`double`, `float`, `int`, `long`), or `nil` when not recognised (a
    /// typedef, a struct): then the parameter is not type-checked.
    var baseType: String?
    /// Levels of indirection: `*`s plus `[]`s.
    var levels: Int
    /// The text as written, for messages.
    var text: String
    /// The sizes of its array brackets, outermost first (`double x[4]` → `[4]`,
    /// `double *x[3]` → `[3]`, `double x[3][2]` → `[3, 2]`); nil for `[]` or a non-literal size.
    var extents: [Int?] = []
  }
  package var parameters: [Parameter]

  /// Finds `void name(...)` in `code` (outside comments) and parses its parameters.
  static func parse(code: String, function name: String) -> Result<KernelSignature, OP2Error> {
    let text = Array(stripComments(code).utf8)
    let target = Array(name.utf8)
    var i = 0
    while i + target.count <= text.count {
      if text[i..<(i + target.count)].elementsEqual(target),
         i == 0 || !isIdentifierByte(text[i - 1]),
         i + target.count == text.count || !isIdentifierByte(text[i + target.count]) {
        var j = i + target.count
        while j < text.count, isSpace(text[j]) { j += 1 }
        if j < text.count, text[j] == UInt8(ascii: "("), precededByVoid(text, i) {
          // Find the matching parenthesis.
          var depth = 0
          var k = j
          while k < text.count {
            if text[k] == UInt8(ascii: "(") { depth += 1 }
            if text[k] == UInt8(ascii: ")") { depth -= 1; if depth == 0 { break } }
            k += 1
          }
          guard k < text.count else { break }
          let inner = String(decoding: text[(j + 1)..<k], as: UTF8.self)
          return .success(KernelSignature(parameters: splitParameters(inner).map(parseParameter)))
        }
      }
      i += 1
    }
    return .failure(.kernelNotFound(kernel: name))
  }

  private static func precededByVoid(_ text: [UInt8], _ at: Int) -> Bool {
    var k = at - 1
    while k >= 0, isSpace(text[k]) || text[k] == UInt8(ascii: "*") { k -= 1 }
    let end = k + 1
    while k >= 0, isIdentifierByte(text[k]) { k -= 1 }
    return String(decoding: text[(k + 1)..<end], as: UTF8.self) == "void"
  }

  private static func splitParameters(_ s: String) -> [String] {
    let trimmed = s.trimmedSpaces
    if trimmed.isEmpty || trimmed == "void" { return [] }
    var parts: [String] = []
    var depth = 0
    var current = ""
    for c in s {
      if c == "(" || c == "[" { depth += 1 }
      if c == ")" || c == "]" { depth -= 1 }
      if c == ",", depth == 0 { parts.append(current.trimmedSpaces); current = ""; continue }
      current.append(c)
    }
    parts.append(current.trimmedSpaces)
    return parts
  }

  private static let qualifiers: Swift.Set<String> = [
    "const", "restrict", "__restrict", "__restrict__", "volatile", "register", "signed", "static",
  ]

  private static func parseParameter(_ text: String) -> Parameter {
    var levels = 0
    var words: [String] = []
    var word = ""
    for c in text {
      if c == "*" { levels += 1 }
      if c == "[" { levels += 1 }
      if c.isLetter || c.isNumber || c == "_" { word.append(c) } else if !word.isEmpty { words.append(word); word = "" }
    }
    if !word.isEmpty { words.append(word) }
    // Drop qualifiers and array sizes; what is left is the type words and the parameter name.
    let typeWords = words.filter { !qualifiers.contains($0) && !($0.first?.isNumber ?? false) }
    let candidates = typeWords.dropLast()  // the last word is the parameter's name
    let joined = candidates.joined(separator: " ")
    let base: String?
    switch joined {
    case "double": base = "double"
    case "float": base = "float"
    case "int", "int32_t": base = "int"
    case "long", "long int", "int64_t": base = "long"
    default: base = nil
    }
    return Parameter(baseType: base, levels: levels, text: text, extents: extents(of: text))
  }

  /// The literal sizes inside each `[...]` of a parameter (`static` and qualifiers skipped).
  private static func extents(of text: String) -> [Int?] {
    var result: [Int?] = []
    var inside: String?
    for c in text {
      if c == "[" { inside = ""; continue }
      if c == "]", let body = inside {
        let words = body.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).map(String.init)
        let size = words.filter { !qualifiers.contains($0) }
        result.append(size.count == 1 ? Int(size[0]) : nil)
        inside = nil
        continue
      }
      if inside != nil { inside!.append(c) }
    }
    return result
  }

  /// Removes `/* */` and `//` comments (string literals are not expected in kernels).
  private static func stripComments(_ code: String) -> String {
    var out = [UInt8]()
    let b = Array(code.utf8)
    var i = 0
    out.reserveCapacity(b.count)
    while i < b.count {
      if b[i] == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") {
        i += 2
        while i + 1 < b.count, !(b[i] == UInt8(ascii: "*") && b[i + 1] == UInt8(ascii: "/")) { i += 1 }
        i += 2
        out.append(UInt8(ascii: " "))
      } else if b[i] == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "/") {
        while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
      } else {
        out.append(b[i]); i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func isIdentifierByte(_ c: UInt8) -> Bool {
    c == UInt8(ascii: "_") || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  }
  private static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
}

extension String {
  var trimmedSpaces: String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s.removeFirst() }
    while let l = s.last, l.isWhitespace { s.removeLast() }
    return String(s)
  }
}
