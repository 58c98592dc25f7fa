/// Accumulates C source text with indentation, counting lines so that `#line` directives can
/// point diagnostics at the right place.
package struct CSourceWriter {
  package private(set) var text = ""
  package private(set) var lineCount = 0
  private var indent = 0

  package init() {}

  /// Appends one line at the current indentation.
  package mutating func line(_ s: String = "") {
    if !s.isEmpty { text += String(repeating: "  ", count: indent) }
    text += s
    text += "\n"
    lineCount += 1
  }

  /// Appends verbatim text (user code), ending it with a newline.
  package mutating func verbatim(_ s: String) {
    text += s
    if !s.hasSuffix("\n") { text += "\n" }
    lineCount += s.reduce(0) { $1 == "\n" ? $0 + 1 : $0 } + (s.hasSuffix("\n") ? 0 : 1)
  }

  /// Appends `header {`, runs `body` one level deeper, then `}`.
  package mutating func block(_ header: String, _ body: (inout CSourceWriter) -> Void) {
    line(header + " {")
    indent += 1
    body(&self)
    indent -= 1
    line("}")
  }

  /// A `#line` directive making the next line number `lineCount + 2`-based in `file` be reported as the file's own line.
  package mutating func resetLineDirective(file: String) {
    // The directive's own line is lineCount + 1; the line after it is lineCount + 2.
    line("#line \(lineCount + 2) \"\(file)\"")
  }
}
