/// An error code returned by an OpenCL call (`cl_int`), with the name the OpenCL headers give it.
///
/// Shaped like swift-system's `Errno`: a struct over the raw code, named statics for the codes
/// users meet, and the text (`CL_OUT_OF_RESOURCES`). Two errors are equal when their codes are.
/// swift-op2 throws it inside ``OP2Error/openCL(operation:_:)``, which names the failing call.
public struct OpenCLError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  /// The raw `cl_int` status.
  public let rawValue: Int32

  /// Creates an error from a raw OpenCL status.
  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// `CL_DEVICE_NOT_FOUND`.
  public static let deviceNotFound = OpenCLError(rawValue: -1)
  /// `CL_OUT_OF_RESOURCES`: the device could not run a kernel (often too much private memory).
  public static let outOfResources = OpenCLError(rawValue: -5)
  /// `CL_OUT_OF_HOST_MEMORY`.
  public static let outOfHostMemory = OpenCLError(rawValue: -6)
  /// `CL_MEM_OBJECT_ALLOCATION_FAILURE`: a buffer did not fit the device.
  public static let allocationFailure = OpenCLError(rawValue: -4)
  /// `CL_BUILD_PROGRAM_FAILURE`: the generated code did not compile (see the build log).
  public static let buildProgramFailure = OpenCLError(rawValue: -11)
  /// `CL_INVALID_WORK_GROUP_SIZE`.
  public static let invalidWorkGroupSize = OpenCLError(rawValue: -54)
  /// `CL_PLATFORM_NOT_FOUND_KHR`: the ICD loader found no OpenCL driver.
  public static let platformNotFound = OpenCLError(rawValue: -1001)

  /// The status's name in the OpenCL headers.
  public var name: String {
    switch rawValue {
    case 0: return "CL_SUCCESS"
    case -1: return "CL_DEVICE_NOT_FOUND"
    case -2: return "CL_DEVICE_NOT_AVAILABLE"
    case -3: return "CL_COMPILER_NOT_AVAILABLE"
    case -4: return "CL_MEM_OBJECT_ALLOCATION_FAILURE"
    case -5: return "CL_OUT_OF_RESOURCES"
    case -6: return "CL_OUT_OF_HOST_MEMORY"
    case -11: return "CL_BUILD_PROGRAM_FAILURE"
    case -30: return "CL_INVALID_VALUE"
    case -33: return "CL_INVALID_DEVICE"
    case -34: return "CL_INVALID_CONTEXT"
    case -36: return "CL_INVALID_COMMAND_QUEUE"
    case -38: return "CL_INVALID_MEM_OBJECT"
    case -44: return "CL_INVALID_PROGRAM"
    case -45: return "CL_INVALID_PROGRAM_EXECUTABLE"
    case -46: return "CL_INVALID_KERNEL_NAME"
    case -48: return "CL_INVALID_KERNEL"
    case -49: return "CL_INVALID_ARG_INDEX"
    case -50: return "CL_INVALID_ARG_VALUE"
    case -51: return "CL_INVALID_ARG_SIZE"
    case -52: return "CL_INVALID_KERNEL_ARGS"
    case -53: return "CL_INVALID_WORK_DIMENSION"
    case -54: return "CL_INVALID_WORK_GROUP_SIZE"
    case -55: return "CL_INVALID_WORK_ITEM_SIZE"
    case -61: return "CL_INVALID_BUFFER_SIZE"
    case -63: return "CL_INVALID_GLOBAL_WORK_SIZE"
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR"
    default: return "OpenCL status \(rawValue)"
    }
  }

  public var description: String { name }
}
