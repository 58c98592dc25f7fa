import ArgumentParser
import OP2

extension Bench {
  /// The OpenCL devices this machine offers, numbered as `OP2_OPENCL_PLATFORM` and
  /// `OP2_OPENCL_DEVICE` count them.
  struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "devices", abstract: "List the OpenCL platforms and devices (for OP2_OPENCL_PLATFORM / OP2_OPENCL_DEVICE).")

    func run() throws {
      let devices: [OpenCLDeviceInfo]
      do {
        devices = try OpenCLDiscovery.devices()
      } catch {
        print(error)
        throw ExitCode.failure
      }
      let chosen = try? OpenCLExecutor.select(platform: nil, device: nil)
      for d in devices {
        print("platform \(d.platformIndex) \"\(d.platformName)\" (\(d.platformVersion))")
        print("  device \(d.deviceIndex) \"\(d.deviceName)\"\(d == chosen ? "  [default]" : ""): \(d.isGPU ? "GPU" : "not a GPU"), "
          + "\(d.computeUnits) compute units, \(d.globalMemoryBytes >> 20) MiB, work-groups up to \(d.maxWorkGroupSize), "
          + "double: \(d.hasDouble ? "yes" : "no"), \(d.deviceVersion), driver \(d.driverVersion)")
      }
    }
  }
}
