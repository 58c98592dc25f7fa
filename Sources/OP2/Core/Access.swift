/// How a loop argument is accessed by the kernel, which decides staging in and out.
///
/// READ, RW and INC data is gathered in before the kernel runs; WRITE, RW and INC data is
/// scattered out after it. INC through a map starts each element from a zeroed local buffer and
/// adds it back, so repeated map entries accumulate. MIN and MAX reduce into a ``Global``, or into
/// a Dat, directly or through a map: the kernel gets a local buffer holding the identity (the
/// largest value of the type for MIN, the smallest for MAX), and each target value becomes the
/// minimum (maximum) of itself and what the kernel left in the buffer — race-free on every
/// backend, with the same colouring and MPI exec-halo rule as INC.
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
  /// Reduction to the minimum: of a Global over all elements, or of each Dat value over the
  /// elements that reach it.
  case min = "MIN"
  /// Reduction to the maximum; see ``min``.
  case max = "MAX"

  public var description: String { rawValue }

  /// Whether the kernel's result is written back.
  package var writes: Bool { self != .read }
  /// Whether the data is gathered in before the kernel runs.
  package var reads: Bool { self != .write }
  /// Whether this is MIN or MAX.
  package var isMinMax: Bool { self == .min || self == .max }
}
