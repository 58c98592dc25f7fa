import Foundation

/// How much memory this machine has, for checks that refuse a job which cannot fit before
/// allocating for it (a mesh size from the command line, a file read from a pipe).
package enum SystemMemory {
  /// Bytes of physical memory.
  package static var physical: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

  /// Bytes available to a new allocation now: `MemAvailable` of `/proc/meminfo` on Linux, else
  /// the physical memory.
  package static var available: Int {
    if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
      let kB = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
      return kB.multipliedReportingOverflow(by: 1024).overflow ? .max : kB * 1024
    }
    return physical
  }

  /// `bytes` in the largest unit that keeps a number of at least 1: `512 MB`, `3.2 GB`, `1.1e+06 TB`.
  package static func format(_ bytes: Double) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"]
    var value = bytes, unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    if unit == 0 { return "\(Int(value)) bytes" }
    return value >= 1e4 ? String(format: "%.2g %@", value, units[unit]) : String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
  }
}
