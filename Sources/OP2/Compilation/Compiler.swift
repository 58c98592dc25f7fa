import Foundation

/// Turns generated C into loaded wrappers: system C compiler, disk cache, `dlopen`.
///
/// Configuration comes from the environment when not given: `OP2_CC` (default `cc`; may contain
/// arguments, such as `ccache gcc`), `OP2_CFLAGS` (default ``Configuration/defaultFlags``;
/// `-fPIC -shared -fvisibility=hidden` are always added) and `OP2_CACHE_DIR` (default `~/.cache/swift-op2`). The cache key hashes the
/// generated source, the compiler's resolved identity (its `--version` banner) and the flags.
package final class Compiler: @unchecked Sendable {
  package struct Configuration: Hashable, Sendable {
    package var command: [String]
    package var flags: [String]
    package var cacheDirectory: String

    /// The flags used when `OP2_CFLAGS` is unset (gcc and clang understand them all):
    /// - `-fno-math-errno`: `sqrt` need not set `errno`, so it vectorizes (results are unchanged);
    /// - `-ffp-contract=off`: no fused multiply-adds, so that the vectorized chunks and the scalar
    ///   remainders of a wrapper (see ``ChunkPlan``) compute every element bit for bit alike, and
    ///   the threaded backend's results equal the sequential ones;
    /// - `-fopenmp-simd`: honour the wrappers' `#pragma omp simd` (no OpenMP runtime is used).
    package static let defaultFlags = "-O3 -march=native -fno-math-errno -ffp-contract=off -fopenmp-simd -fPIC"

    package static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Configuration {
      let command = (env["OP2_CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc").split(separator: " ").map(String.init)
      let flags = (env["OP2_CFLAGS"] ?? defaultFlags).split(separator: " ").map(String.init)
      let home = env["HOME"] ?? NSHomeDirectory()
      let cache = env["OP2_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/swift-op2"
      return Configuration(command: command, flags: flags, cacheDirectory: cache)
    }
  }

  /// Flags every compile gets, after the configured ones: a shared library whose only exported
  /// symbols are those the generated code marks `visibility("default")` (the entry points), so
  /// that kernels and their helpers are hidden and inlined, and header declarations keep
  /// default visibility. Part of every cache key.
  package static let requiredFlags = ["-fPIC", "-shared", "-fvisibility=hidden"]

  /// Counters, for tests and reports.
  package struct Counters: Sendable, Equatable {
    package var compilations = 0
    package var diskHits = 0
    package var corruptedRebuilt = 0
    package var compileSeconds = 0.0
  }

  package let configuration: Configuration
  package let cache: DiskCache
  private let lock = NSLock()
  private var identityText: String?
  private var counters = Counters()

  package init(configuration: Configuration) {
    self.configuration = configuration
    cache = DiskCache(directory: configuration.cacheDirectory)
  }

  package var statistics: Counters { lock.withLock { counters } }

  /// The compiler's `--version` banner (first line), found once per compiler object.
  package func identity() throws(OP2Error) -> String {
    if let known = lock.withLock({ identityText }) { return known }
    let out = FileManager.default.temporaryDirectory.path + "/op2-cc-version-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let commandText = configuration.command.joined(separator: " ")
    switch ChildProcess.run(configuration.command + ["--version"], outputPath: out) {
    case .failure(let e):
      throw .compilerNotFound(command: commandText, reason: e.message)
    case .success(let status):
      let text = Self.text(ofFile: out)
      guard status == 0 else {
        throw .compilerNotFound(command: commandText, reason: "`\(commandText) --version` exited with \(status): \(text.prefix(200))")
      }
      let banner = commandText + " | " + (text.split(separator: "\n").first.map(String.init) ?? "")
      lock.withLock { identityText = banner }
      return banner
    }
  }

  /// Compiles (or finds in the disk cache) `source` and loads `functionName` from it.
  package func load(source: String, functionName: String, kernelName: String) throws(OP2Error) -> CompiledWrapper {
    let identity = try identity()
    let key = StableHash.hex(of: source + "\u{0}" + identity + "\u{0}" + (configuration.flags + Self.requiredFlags).joined(separator: " "))
    try cache.prepare(key: key)
    switch cache.lookup(key: key) {
    case .hit:
      lock.withLock { counters.diskHits += 1 }
      return try SharedLibrary.load(path: cache.libraryPath(key: key), symbol: functionName)
    case .corrupted:
      lock.withLock { counters.corruptedRebuilt += 1 }
    case .miss:
      break
    }
    let started = ContinuousClock.now
    let sourcePath = cache.sourcePath(key: key)
    try DiskCache.writeAtomically(source, to: sourcePath)
    let unique = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
    let temporary = cache.libraryPath(key: key) + ".tmp-\(unique)"
    let log = cache.logPath(key: key) + ".tmp-\(unique)"
    let argv = configuration.command + configuration.flags + Self.requiredFlags + ["-o", temporary, sourcePath, "-lm"]
    defer { try? FileManager.default.removeItem(atPath: log) }
    switch ChildProcess.run(argv, outputPath: log) {
    case .failure(let e):
      throw .compilerNotFound(command: configuration.command.joined(separator: " "), reason: e.message)
    case .success(let status):
      let diagnostics = Self.text(ofFile: log)
      guard status == 0 else {
        try? FileManager.default.removeItem(atPath: temporary)
        let kept = cache.logPath(key: key)
        try? DiskCache.writeAtomically(diagnostics, to: kept)
        throw .compilationFailed(kernel: kernelName, command: argv.joined(separator: " "),
                                 diagnostics: diagnostics.trimmingCharacters(in: .whitespacesAndNewlines), logPath: kept)
      }
    }
    try cache.commit(temporaryPath: temporary, key: key)
    let seconds = Double((ContinuousClock.now - started) / .nanoseconds(1)) / 1e9
    lock.withLock { counters.compilations += 1; counters.compileSeconds += seconds }
    return try SharedLibrary.load(path: cache.libraryPath(key: key), symbol: functionName)
  }

  /// A small text file's contents; "" when missing or empty. (Foundation's `String(contentsOfFile:)`
  /// leaks a buffer on empty files, which AddressSanitizer reports.)
  private static func text(ofFile path: String) -> String {
    guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return "" }
    return String(decoding: data, as: UTF8.self)
  }
}
