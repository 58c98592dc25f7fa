/// How a loop argument is accessed by the kernel, which decides staging in and out.
///
/// READ, RW and INC data is gathered in before the kernel runs; WRITE, RW and INC data is
/// scattered out after it. INC through a map starts each element from a zeroed local buffer and
/// adds it back, so repeated map entries accumulate. MIN and MAX are reductions into a ``Global``.
///
/// The corresponding PyOP2 modes are `op2.READ`, `op2.WRITE`, `op2.RW`, `op2.INC`, `op2.MIN`,
/// `op2.MAX`; in OP2, `OP_READ`, `OP_WRITE`, `OP_RW`, `OP_INC`, `OP_MIN`, `OP_MAX`.
public enum Access: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
  /// The kernel only reads the data.
  case read = "READ"
  /// The kernel overwrites the data without reading it; its initial contents are undefined.
  case write = "WRITE"
  /// The kernel reads and writes the data.
  case rw = "RW"
  /// The kernel adds to the data (a sum over all elements that reach it).
  case inc = "INC"
  /// Reduction to the minimum (Globals only).
  case min = "MIN"
  /// Reduction to the maximum (Globals only).
  case max = "MAX"

  public var description: String { rawValue }

  /// Whether the kernel's result is written back.
  package var writes: Bool { self != .read }
  /// Whether the data is gathered in before the kernel runs.
  package var reads: Bool { self != .write }
}
