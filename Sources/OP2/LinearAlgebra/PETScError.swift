/// An error code returned by a PETSc call, with PETSc's own text for it.
///
/// Shaped like swift-system's `Errno`: a struct over the raw code (`PetscErrorCode`), named
/// statics for the codes swift-op2 users meet, and the text from PETSc's `PetscErrorMessage` — the
/// generic sentence for the code and the specific message of the failing call, such as
/// `Argument out of range: New nonzero at (0,7) caused a malloc`. Two errors are equal when their
/// codes are, so `error == .argumentOutOfRange` reads as it does for `Errno`.
///
/// swift-op2 throws it inside ``OP2Error/petsc(operation:_:)``, which names the PETSc call.
///
/// ```swift
/// do { try solver.solve(x, b) } catch .petsc(let operation, let error) where error == .argumentWrongState {
///   print(operation, error.message)
/// }
/// ```
public struct PETScError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  /// The raw `PetscErrorCode`.
  public let rawValue: Int32
  /// PETSc's generic text for the code, such as `Argument out of range`.
  public let message: String
  /// The message of the failing call, if PETSc recorded one.
  public let detail: String

  /// Creates an error from a raw code and texts (PETSc's own, when swift-op2 creates it).
  public init(rawValue: Int32, message: String = "", detail: String = "") {
    self.rawValue = rawValue
    self.message = message
    self.detail = detail
  }

  /// `PETSC_ERR_MEM`: PETSc could not allocate memory.
  public static let outOfMemory = PETScError(rawValue: 55)
  /// `PETSC_ERR_SUP`: the operation is not supported (for this matrix type, say).
  public static let unsupported = PETScError(rawValue: 56)
  /// `PETSC_ERR_ARG_SIZ`: objects of nonconforming sizes.
  public static let sizeMismatch = PETScError(rawValue: 60)
  /// `PETSC_ERR_ARG_WRONG`: a wrong argument.
  public static let wrongArgument = PETScError(rawValue: 62)
  /// `PETSC_ERR_ARG_OUTOFRANGE`: an argument out of range, such as an entry outside the matrix
  /// or a new nonzero outside the preallocated pattern.
  public static let argumentOutOfRange = PETScError(rawValue: 63)
  /// `PETSC_ERR_ARG_WRONGSTATE`: an object in the wrong state (an unassembled matrix, say).
  public static let argumentWrongState = PETScError(rawValue: 73)
  /// `PETSC_ERR_ARG_UNKNOWN_TYPE`: a type name (`-ksp_type`, `-pc_type`) PETSc does not know.
  public static let unknownType = PETScError(rawValue: 86)
  /// `PETSC_ERR_NOT_CONVERGED`: a solver did not converge (with `-ksp_error_if_not_converged`).
  public static let notConverged = PETScError(rawValue: 91)
  /// `PETSC_ERR_MPI`: an MPI call failed.
  public static let mpi = PETScError(rawValue: 98)

  public static func == (lhs: PETScError, rhs: PETScError) -> Bool { lhs.rawValue == rhs.rawValue }
  public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

  /// `error \(rawValue) (\(message)): \(detail)`, the parts PETSc gave.
  public var description: String {
    var text = "error \(rawValue)"
    if !message.isEmpty { text += " (\(message))" }
    if !detail.isEmpty { text += ": \(detail)" }
    return text
  }
}
