import COpenCL
import Foundation

// Every OpenCL call swift-op2 makes, as thin forwards over the C API (compare swift-system's
// Syscalls.swift): discovery, one context and in-order queue per device, programs, kernels and
// buffers. The only importer of COpenCL.

/// One OpenCL device as discovery found it.
package struct OpenCLDeviceInfo: Sendable, Hashable, CustomStringConvertible {
  package var platformIndex: Int
  package var deviceIndex: Int
  package var platformName: String
  package var platformVersion: String
  package var deviceName: String
  package var deviceVersion: String
  package var driverVersion: String
  package var isGPU: Bool
  /// Whether the device computes in `double` (`cl_khr_fp64`).
  package var hasDouble: Bool
  package var maxWorkGroupSize: Int
  package var computeUnits: Int
  package var globalMemoryBytes: Int
  /// `CL_DEVICE_LOCAL_MEM_SIZE`: bytes of `__local` memory a work-group may use.
  package var localMemoryBytes: Int = 0
  /// Whether `__local` memory is dedicated on-chip memory (`CL_DEVICE_LOCAL_MEM_TYPE` is
  /// `CL_LOCAL`, as on GPUs) rather than ordinary memory (`CL_GLOBAL`, as PoCL's CPU device).
  package var hasDedicatedLocalMemory = false

  package var description: String {
    "platform \(platformIndex) \"\(platformName)\", device \(deviceIndex) \"\(deviceName)\" (\(deviceVersion), driver \(driverVersion))"
  }
}

/// Converts an OpenCL status into ``OP2Error/openCL(operation:_:)`` (the one converter, like
/// swift-system's `valueOrErrno`).
@inline(__always)
private func check(_ operation: String, _ status: cl_int) throws(OP2Error) {
  guard status == CL_SUCCESS else { throw .openCL(operation: operation, OpenCLError(rawValue: status)) }
}

package enum OpenCLDiscovery {
  /// Every device of every platform, in platform then device order (the indices
  /// `OP2_OPENCL_PLATFORM` and `OP2_OPENCL_DEVICE` count in).
  /// - Throws: ``OP2Error/openCLUnavailable(reason:)`` when the ICD loader finds no platform.
  package static func devices() throws(OP2Error) -> [OpenCLDeviceInfo] {
    var count: cl_uint = 0
    let status = clGetPlatformIDs(0, nil, &count)
    guard status == CL_SUCCESS || status == -1001, count > 0 else {
      throw .openCLUnavailable(reason: status == CL_SUCCESS || status == -1001
        ? "no OpenCL platform is installed" : "clGetPlatformIDs failed with \(OpenCLError(rawValue: status))")
    }
    var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
    try check("clGetPlatformIDs", clGetPlatformIDs(count, &platforms, nil))
    var found: [OpenCLDeviceInfo] = []
    for (p, platform) in platforms.enumerated() {
      var deviceCount: cl_uint = 0
      guard clGetDeviceIDs(platform, op2shim_cl_device_type_all(), 0, nil, &deviceCount) == CL_SUCCESS, deviceCount > 0 else { continue }
      var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
      try check("clGetDeviceIDs", clGetDeviceIDs(platform, op2shim_cl_device_type_all(), deviceCount, &devices, nil))
      for (d, device) in devices.enumerated() {
        var type: cl_device_type = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_TYPE), MemoryLayout<cl_device_type>.size, &type, nil)
        var groupSize = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE), MemoryLayout<Int>.size, &groupSize, nil)
        var units: cl_uint = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS), MemoryLayout<cl_uint>.size, &units, nil)
        var memory: cl_ulong = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE), MemoryLayout<cl_ulong>.size, &memory, nil)
        var localMemory: cl_ulong = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_LOCAL_MEM_SIZE), MemoryLayout<cl_ulong>.size, &localMemory, nil)
        var localType: cl_device_local_mem_type = 0
        _ = clGetDeviceInfo(device, cl_device_info(CL_DEVICE_LOCAL_MEM_TYPE), MemoryLayout<cl_device_local_mem_type>.size, &localType, nil)
        let extensions = deviceString(device, CL_DEVICE_EXTENSIONS)
        found.append(OpenCLDeviceInfo(
          platformIndex: p, deviceIndex: d,
          platformName: platformString(platform, CL_PLATFORM_NAME), platformVersion: platformString(platform, CL_PLATFORM_VERSION),
          deviceName: deviceString(device, CL_DEVICE_NAME), deviceVersion: deviceString(device, CL_DEVICE_VERSION),
          driverVersion: deviceString(device, CL_DRIVER_VERSION),
          isGPU: type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0, hasDouble: extensions.contains("cl_khr_fp64"),
          maxWorkGroupSize: groupSize, computeUnits: Int(units), globalMemoryBytes: Int(memory),
          localMemoryBytes: Int(localMemory), hasDedicatedLocalMemory: localType == cl_device_local_mem_type(CL_LOCAL)))
      }
    }
    guard !found.isEmpty else { throw .openCLUnavailable(reason: "OpenCL platforms exist but none has a device") }
    return found
  }

  /// The platform and device handles of a discovered device.
  fileprivate static func handles(of info: OpenCLDeviceInfo) throws(OP2Error) -> (cl_platform_id?, cl_device_id?) {
    var count: cl_uint = 0
    try check("clGetPlatformIDs", clGetPlatformIDs(0, nil, &count))
    var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
    try check("clGetPlatformIDs", clGetPlatformIDs(count, &platforms, nil))
    let platform = platforms[info.platformIndex]
    var deviceCount: cl_uint = 0
    try check("clGetDeviceIDs", clGetDeviceIDs(platform, op2shim_cl_device_type_all(), 0, nil, &deviceCount))
    var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
    try check("clGetDeviceIDs", clGetDeviceIDs(platform, op2shim_cl_device_type_all(), deviceCount, &devices, nil))
    return (platform, devices[info.deviceIndex])
  }

  private static func platformString(_ platform: cl_platform_id?, _ what: Int32) -> String {
    var size = 0
    guard clGetPlatformInfo(platform, cl_platform_info(what), 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
    var bytes = [UInt8](repeating: 0, count: size)
    _ = clGetPlatformInfo(platform, cl_platform_info(what), size, &bytes, nil)
    return text(bytes)
  }

  private static func deviceString(_ device: cl_device_id?, _ what: Int32) -> String {
    var size = 0
    guard clGetDeviceInfo(device, cl_device_info(what), 0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
    var bytes = [UInt8](repeating: 0, count: size)
    _ = clGetDeviceInfo(device, cl_device_info(what), size, &bytes, nil)
    return text(bytes)
  }

  /// A NUL-terminated string from an info query.
  fileprivate static func text(_ bytes: [UInt8]) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// A device's context and in-order command queue, created once per device and process and shared
/// by every runtime that selects the device. Programs are cached here, per context.
package final class OpenCLContext: @unchecked Sendable {
  package let info: OpenCLDeviceInfo
  private let device: cl_device_id?
  private let context: cl_context?
  fileprivate let queue: cl_command_queue?
  private let lock = NSLock()
  private var programs: [String: OpenCLProgram] = [:]

  private static let lock = NSLock()
  nonisolated(unsafe) private static var contexts: [OpenCLDeviceInfo: OpenCLContext] = [:]

  /// The shared context of `info`'s device.
  package static func shared(for info: OpenCLDeviceInfo) throws(OP2Error) -> OpenCLContext {
    lock.lock()
    defer { lock.unlock() }
    if let known = contexts[info] { return known }
    let created = try OpenCLContext(info)
    contexts[info] = created
    return created
  }

  private init(_ info: OpenCLDeviceInfo) throws(OP2Error) {
    self.info = info
    let (_, device) = try OpenCLDiscovery.handles(of: info)
    var status: cl_int = 0
    var devices: [cl_device_id?] = [device]
    let context = clCreateContext(nil, 1, &devices, nil, nil, &status)
    try check("clCreateContext", status)
    let queue = clCreateCommandQueue(context, device, 0, &status)
    if status != CL_SUCCESS { clReleaseContext(context) }
    try check("clCreateCommandQueue", status)
    self.device = device
    self.context = context
    self.queue = queue
  }

  /// The program built from `source` with `options`: from this context's cache, from a binary
  /// in `binaryCache` (a folder; `nil` for none), or built now.
  /// - Returns: the program and the seconds spent building it (0 when it was cached).
  /// - Throws: ``OP2Error/openCLBuildFailed(kernel:log:sourcePath:)`` with the build log.
  package func program(source: String, options: String, kernel: String, binaryCache: String?) throws(OP2Error) -> (OpenCLProgram, Double) {
    let key = StableHash.hex(of: source + "\u{0}" + options)
    lock.lock()
    defer { lock.unlock() }
    if let known = programs[key] { return (known, 0) }
    let started = ContinuousClock.now
    let binaryKey = StableHash.hex(of: [info.platformName, info.deviceName, info.driverVersion, source, options].joined(separator: "\u{0}"))
    let binaryPath = binaryCache.map { "\($0)/opencl/\(binaryKey.prefix(2))/\(binaryKey).bin" }
    var built: cl_program?
    if let binaryPath, let data = FileManager.default.contents(atPath: binaryPath), !data.isEmpty {
      built = loadBinary([UInt8](data), options: options)
    }
    if built == nil {
      var status: cl_int = 0
      let program = source.withCString { text -> cl_program? in
        var strings: [UnsafePointer<CChar>?] = [text]
        return clCreateProgramWithSource(context, 1, &strings, nil, &status)
      }
      try check("clCreateProgramWithSource", status)
      var devices: [cl_device_id?] = [device]
      let buildStatus = clBuildProgram(program, 1, &devices, options, nil, nil)
      if buildStatus != CL_SUCCESS {
        let log = buildLog(program)
        clReleaseProgram(program)
        var sourcePath = "(not written)"
        if let binaryCache {
          let path = "\(binaryCache)/opencl/\(binaryKey.prefix(2))/\(binaryKey).cl"
          if (try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)) != nil,
             (try? DiskCache.writeAtomically(source, to: path)) != nil { sourcePath = path }
        }
        throw .openCLBuildFailed(kernel: kernel, log: log.trimmingCharacters(in: .whitespacesAndNewlines), sourcePath: sourcePath)
      }
      built = program
      if let binaryPath { storeBinary(program, at: binaryPath) }
    }
    let program = OpenCLProgram(built, context: self)
    programs[key] = program
    return (program, Double((ContinuousClock.now - started) / .nanoseconds(1)) / 1e9)
  }

  private func loadBinary(_ bytes: [UInt8], options: String) -> cl_program? {
    var status: cl_int = 0
    var binaryStatus: cl_int = 0
    let program = bytes.withUnsafeBufferPointer { b in
      op2shim_cl_program_with_binary(context, device, b.count, b.baseAddress, &binaryStatus, &status)
    }
    guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS, let program else { return nil }
    var devices: [cl_device_id?] = [device]
    guard clBuildProgram(program, 1, &devices, options, nil, nil) == CL_SUCCESS else {
      clReleaseProgram(program)
      return nil
    }
    return program
  }

  /// Writes the program's binary (when the driver provides one) atomically into the cache.
  private func storeBinary(_ program: cl_program?, at path: String) {
    var size = 0
    guard clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil) == CL_SUCCESS,
          size > 0, size < 1 << 30 else { return }
    var bytes = [UInt8](repeating: 0, count: size)
    let status = bytes.withUnsafeMutableBufferPointer { op2shim_cl_program_binary(program, $0.baseAddress) }
    guard status == CL_SUCCESS else { return }
    let folder = (path as NSString).deletingLastPathComponent
    guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return }
    let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
    if rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
  }

  private func buildLog(_ program: cl_program?) -> String {
    var size = 0
    guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
          size > 0 else { return "(no build log)" }
    var bytes = [UInt8](repeating: 0, count: size)
    _ = clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil)
    return OpenCLDiscovery.text(bytes)
  }

  /// A device buffer of `byteCount` bytes (at least one).
  package func makeBuffer(byteCount: Int) throws(OP2Error) -> OpenCLBuffer {
    var status: cl_int = 0
    let mem = clCreateBuffer(context, op2shim_cl_mem_read_write(), max(byteCount, 1), nil, &status)
    try check("clCreateBuffer(\(byteCount) bytes)", status)
    return OpenCLBuffer(mem: mem, byteCount: byteCount, context: self)
  }

  /// Waits for everything enqueued.
  package func finish() throws(OP2Error) { try check("clFinish", clFinish(queue)) }

  fileprivate var deviceHandle: cl_device_id? { device }
}

/// A built program; kernels are created from it by name.
package final class OpenCLProgram: @unchecked Sendable {
  private let program: cl_program?
  private let context: OpenCLContext
  private let lock = NSLock()
  private var kernels: [String: OpenCLKernel] = [:]

  fileprivate init(_ program: cl_program?, context: OpenCLContext) {
    self.program = program
    self.context = context
  }

  deinit { clReleaseProgram(program) }

  /// The kernel `name` (created once per program).
  package func kernel(_ name: String) throws(OP2Error) -> OpenCLKernel {
    lock.lock()
    defer { lock.unlock() }
    if let known = kernels[name] { return known }
    var status: cl_int = 0
    let k = clCreateKernel(program, name, &status)
    try check("clCreateKernel(\(name))", status)
    var groupSize = 0
    _ = clGetKernelWorkGroupInfo(k, context.deviceHandle, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE), MemoryLayout<Int>.size, &groupSize, nil)
    let kernel = OpenCLKernel(k, maxWorkGroupSize: max(1, groupSize), context: context)
    kernels[name] = kernel
    return kernel
  }
}

/// One kernel argument.
package enum OpenCLArgument {
  case buffer(OpenCLBuffer)
  case int32(Int32)
  /// Raw bytes passed by value (a scalar of the kernel's type).
  case bytes([UInt8])
  /// `__local` memory of this many bytes.
  case local(Int)
}

/// A kernel of a built program. Setting arguments and enqueueing happen under one lock, since
/// `clSetKernelArg` on a shared kernel object is not thread-safe.
package final class OpenCLKernel: @unchecked Sendable {
  private let kernel: cl_kernel?
  private let context: OpenCLContext
  private let lock = NSLock()
  /// The largest work-group this kernel may run with on its device.
  package let maxWorkGroupSize: Int

  fileprivate init(_ kernel: cl_kernel?, maxWorkGroupSize: Int, context: OpenCLContext) {
    self.kernel = kernel
    self.maxWorkGroupSize = maxWorkGroupSize
    self.context = context
  }

  deinit { clReleaseKernel(kernel) }

  /// Enqueues the kernel over `global` work-items in work-groups of `local` (`global` a multiple
  /// of `local`), with `arguments` in order. Returns without waiting.
  package func launch(_ name: String, global: Int, local: Int, arguments: [OpenCLArgument]) throws(OP2Error) {
    lock.lock()
    defer { lock.unlock() }
    for (i, argument) in arguments.enumerated() {
      let index = cl_uint(i)
      let status: cl_int
      switch argument {
      case .buffer(let b):
        var mem = b.mem
        status = clSetKernelArg(kernel, index, MemoryLayout<cl_mem?>.size, &mem)
      case .int32(let v):
        var value = v
        status = clSetKernelArg(kernel, index, 4, &value)
      case .bytes(let bytes):
        status = bytes.withUnsafeBytes { clSetKernelArg(kernel, index, bytes.count, $0.baseAddress) }
      case .local(let size):
        status = clSetKernelArg(kernel, index, max(size, 1), nil)
      }
      try check("clSetKernelArg(\(name), \(i))", status)
    }
    var globalSize = global, localSize = local
    try check("clEnqueueNDRangeKernel(\(name), \(global)/\(local))",
              clEnqueueNDRangeKernel(context.queue, kernel, 1, nil, &globalSize, &localSize, 0, nil, nil))
  }
}

/// A device buffer; released with its owner.
package final class OpenCLBuffer: @unchecked Sendable {
  fileprivate let mem: cl_mem?
  package let byteCount: Int
  private let context: OpenCLContext

  fileprivate init(mem: cl_mem?, byteCount: Int, context: OpenCLContext) {
    self.mem = mem
    self.byteCount = byteCount
    self.context = context
  }

  deinit { clReleaseMemObject(mem) }

  /// Copies the first `byteCount` bytes of `storage` to the device (blocking).
  package func upload(from storage: _UnsafeDatBuffer) throws(OP2Error) {
    let n = min(byteCount, storage.byteCount)
    guard n > 0 else { return }
    try check("clEnqueueWriteBuffer", clEnqueueWriteBuffer(context.queue, mem, cl_bool(CL_TRUE), 0, n, storage.baseAddress, 0, nil, nil))
  }

  /// Copies the bytes of `storage` from `offset` to the end of the buffer to the same place on
  /// the device (blocking).
  package func upload(from storage: _UnsafeDatBuffer, fromByte offset: Int) throws(OP2Error) {
    let end = min(byteCount, storage.byteCount)
    guard offset >= 0, offset < end else { return }
    try check("clEnqueueWriteBuffer", clEnqueueWriteBuffer(context.queue, mem, cl_bool(CL_TRUE), offset, end - offset,
                                                           storage.baseAddress + offset, 0, nil, nil))
  }

  /// Copies `bytes` to the start of the buffer (blocking).
  package func upload(bytes: [UInt8]) throws(OP2Error) {
    let n = min(byteCount, bytes.count)
    guard n > 0 else { return }
    let status = bytes.withUnsafeBytes { b in
      clEnqueueWriteBuffer(context.queue, mem, cl_bool(CL_TRUE), 0, n, b.baseAddress, 0, nil, nil)
    }
    try check("clEnqueueWriteBuffer", status)
  }

  /// Copies the buffer into `storage` (blocking; waits for the kernels that write it).
  package func download(into storage: _UnsafeDatBuffer) throws(OP2Error) {
    let n = min(byteCount, storage.byteCount)
    guard n > 0 else { return }
    try check("clEnqueueReadBuffer", clEnqueueReadBuffer(context.queue, mem, cl_bool(CL_TRUE), 0, n, storage.baseAddress, 0, nil, nil))
  }
}
