import ArgumentParser
import Foundation
import OP2

/// The `op2-cache` command: inspect and bound swift-op2's disk cache of compiled wrappers.
struct OP2Cache: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "op2-cache",
    abstract: "Inspect and bound swift-op2's disk cache of compiled loop wrappers.",
    discussion: """
      The cache folder is OP2_CACHE_DIR (default ~/.cache/swift-op2) and its bound \
      OP2_CACHE_MAX_BYTES (default 1 GiB); --dir and --max-bytes override them. Running \
      programs evict least recently used entries themselves after each compile; removing an \
      entry that a running program has loaded is safe.

      Examples:
        op2-cache stats
        op2-cache list
        op2-cache prune --max-bytes 100M
        op2-cache clean
      """,
    subcommands: [Stats.self, List.self, Prune.self, Clean.self],
    defaultSubcommand: Stats.self)
}

struct CacheOptions: ParsableArguments {
  @Option(help: "The cache folder (default: OP2_CACHE_DIR, else ~/.cache/swift-op2).")
  var dir: String?

  @Option(help: "The bound in bytes, with an optional K, M or G suffix (default: OP2_CACHE_MAX_BYTES, else 1G).")
  var maxBytes: String?

  func configuration() throws -> OP2.Configuration {
    var env = ProcessInfo.processInfo.environment
    if let dir { env["OP2_CACHE_DIR"] = dir }
    if let maxBytes { env["OP2_CACHE_MAX_BYTES"] = maxBytes }
    return try OP2.Configuration.fromEnvironment(env)
  }
}

struct Stats: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print the folder, entry count, size and bound.")
  @OptionGroup var options: CacheOptions

  func run() throws {
    let c = try options.configuration()
    let s = OP2.cacheStatistics(c)
    print("folder:  \(c.cacheDirectory)")
    print("entries: \(s.entries)")
    print("bytes:   \(s.bytes) (\(formatted(s.bytes)))")
    print("bound:   \(c.cacheMaxBytes) (\(formatted(c.cacheMaxBytes)))")
  }
}

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "List entries, least recently used first.")
  @OptionGroup var options: CacheOptions

  func run() throws {
    let c = try options.configuration()
    print("key                               bytes      last used             kernel")
    for e in OP2.cacheEntries(c) {
      let date = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: e.lastUsed))
      print("\(e.key)  \(String(e.bytes).padding(toLength: 9, withPad: " ", startingAt: 0))  \(date)  \(e.kernel)")
    }
  }
}

struct Prune: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Remove least recently used entries until the cache fits its bound.")
  @OptionGroup var options: CacheOptions

  func run() throws {
    let c = try options.configuration()
    let removed = OP2.pruneCache(c)
    print("removed \(removed.count) entries, \(removed.reduce(0) { $0 + $1.bytes }) bytes")
  }
}

struct Clean: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Remove every entry.")
  @OptionGroup var options: CacheOptions

  func run() throws {
    let c = try options.configuration()
    print("removed \(OP2.cleanCache(c)) entries")
  }
}

func formatted(_ bytes: Int) -> String {
  let units = ["B", "KiB", "MiB", "GiB", "TiB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
  return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

OP2Cache.main()
