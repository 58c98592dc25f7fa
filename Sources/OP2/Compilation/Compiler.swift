import Foundation

/// Turns generated C into loaded wrappers: system C compiler, disk cache, `dlopen`.
///
/// Configuration comes from the environment when not given: `OP2_CC` (default `clang` when one is
/// on `PATH`, else `cc`; may contain arguments, such as `ccache gcc`), `OP2_CFLAGS` (default ``Configuration/defaultFlags``;
/// `-fPIC -shared -fvisibility=hidden` are always added) and `OP2_CACHE_DIR` (default `~/.cache/swift-op2`). The cache key hashes the
/// generated source, the compiler's resolved identity (its `--version` banner) and the flags.
package final class Compiler: @unchecked Sendable {
  package struct Configuration: Hashable, Sendable {
    package var command: [String]
    package var flags: [String]
    package var cacheDirectory: String
    /// Bytes the disk cache may hold (`OP2_CACHE_MAX_BYTES`); least recently used entries go first.
    package var cacheMaxBytes: Int = Configuration.defaultCacheMaxBytes

    /// 1 GiB: some 40 000 wrappers.
    package static let defaultCacheMaxBytes = 1 << 30

    package init(command: [String], flags: [String], cacheDirectory: String, cacheMaxBytes: Int = defaultCacheMaxBytes) {
      self.command = command
      self.flags = flags
      self.cacheDirectory = cacheDirectory
      self.cacheMaxBytes = cacheMaxBytes
    }

    /// Parses `OP2_CACHE_MAX_BYTES` (see ``Setting/byteCount(_:_:)``); `nil` when unset.
    package static func cacheMaxBytes(fromEnvironment value: String?) throws(OP2Error) -> Int? {
      try Setting.byteCount("OP2_CACHE_MAX_BYTES", value)
    }

    /// The flags used when `OP2_CFLAGS` is unset (gcc and clang understand them all):
    /// - `-fno-math-errno`: `sqrt` need not set `errno`, so it vectorizes (results are unchanged);
    /// - `-ffp-contract=off`: no fused multiply-adds, so that the vectorized chunks and the scalar
    ///   remainders of a wrapper (see ``ChunkPlan``) compute every element bit for bit alike, and
    ///   the threaded backend's results equal the sequential ones;
    /// - `-fopenmp-simd`: honour the wrappers' `#pragma omp simd` (no OpenMP runtime is used).
    package static let defaultFlags = "-O3 -march=native -fno-math-errno -ffp-contract=off -fopenmp-simd -fPIC"

    /// The compiler used when `OP2_CC` is unset: `clang` when one is on `PATH` (every Swift
    /// toolchain has one), else `cc`. clang vectorizes a chunk's indexed reads into hardware
    /// gathers (see ``ChunkReads``), which took 10–20% off airfoil's `res_calc` against gcc's
    /// best code in side-by-side runs (BENCHMARKS.md), and it honours `-ffp-contract=off` where
    /// gcc 12 still fuses some add/subtract pairs of products (so results are exactly rounded).
    package static func defaultCommand(path: String?) -> String {
      let found = (path ?? "").split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/clang") }
      return found ? "clang" : "cc"
    }

    package static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Configuration {
      let command = (env["OP2_CC"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultCommand(path: env["PATH"])).split(separator: " ").map(String.init)
      let flags = (env["OP2_CFLAGS"] ?? defaultFlags).split(separator: " ").map(String.init)
      // An invalid OP2_CACHE_MAX_BYTES is reported by OP2.Configuration.fromEnvironment.
      let maxBytes = (try? cacheMaxBytes(fromEnvironment: env["OP2_CACHE_MAX_BYTES"])).flatMap { $0 } ?? defaultCacheMaxBytes
      let home = env["HOME"] ?? NSHomeDirectory()
      let cache = env["OP2_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache/swift-op2"
      return Configuration(command: command, flags: flags, cacheDirectory: cache, cacheMaxBytes: maxBytes)
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
  private var targetText: String?
  private var counters = Counters()

  package init(configuration: Configuration) {
    self.configuration = configuration
    cache = DiskCache(directory: configuration.cacheDirectory)
  }

  package var statistics: Counters { lock.withLock { counters } }

  /// The compiler's `--version` banner (first line), found once per compiler object.
  package func identity() throws(OP2Error) -> String {
    if let known = lock.withLock({ identityText }) { return known }
    // The output goes into the cache folder, which must be usable anyway: not TMPDIR, which may
    // be missing without the compiler being at fault.
    try cache.prepareRoot()
    let out = cache.directory + "/.cc-version-\(getpid())-\(UInt32.random(in: 0 ... .max))"
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

  /// What the compiler targets with the configured flags: `-march=native` (or any `native`
  /// flag) resolved to the CPU and features it stands for on this machine, so that a cache
  /// folder shared between machines (a cluster's home directory) never hands AVX-512 code to a
  /// CPU without it. Empty when no flag says `native`. Found once per compiler object, with
  /// `cc <flags> -### -x c -c /dev/null`, whose driver output lists the expanded options (gcc's
  /// `-march=rocketlake -mavx512f …`, clang's `-target-cpu … -target-feature …`).
  package func resolvedTarget() throws(OP2Error) -> String {
    guard configuration.flags.contains(where: { $0.contains("native") }) else { return "" }
    if let known = lock.withLock({ targetText }) { return known }
    try cache.prepareRoot()
    let out = cache.directory + "/.cc-target-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let argv = configuration.command + configuration.flags + ["-###", "-x", "c", "-c", "/dev/null", "-o", "/dev/null"]
    switch ChildProcess.run(argv, outputPath: out) {
    case .failure(let e):
      throw .compilerNotFound(command: configuration.command.joined(separator: " "), reason: e.message)
    case .success(let status):
      let text = Self.text(ofFile: out)
      let target = Self.targetOptions(inDriverOutput: text)
      guard status == 0, !target.isEmpty else {
        throw .compilerNotFound(command: argv.joined(separator: " "),
                                reason: "could not find what \"native\" stands for (exit status \(status)): \(text.suffix(300))")
      }
      lock.withLock { targetText = target }
      return target
    }
  }

  /// The target options in a compiler driver's `-###` output: every `-m…` and `--param…` option
  /// of gcc's `cc1` line, clang's `-target-cpu` and `-target-feature` values.
  package static func targetOptions(inDriverOutput text: String) -> String {
    var options: [String] = []
    for line in text.split(separator: "\n") where line.hasPrefix(" ") {
      let tokens = line.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
      var i = 0
      while i < tokens.count {
        let t = tokens[i]
        if t == "-target-cpu" || t == "-target-feature" || t == "-tune-cpu", i + 1 < tokens.count {
          options.append(t + " " + tokens[i + 1])
          i += 2
          continue
        }
        if (t.hasPrefix("-m") && t != "-m64") || t.hasPrefix("--param") { options.append(t) }
        i += 1
      }
    }
    return options.joined(separator: " ")
  }

  /// The disk-cache key of `source` compiled by this compiler with this configuration.
  package func key(source: String) throws(OP2Error) -> String {
    let identity = try identity()
    let target = try resolvedTarget()
    return StableHash.hex(of: source + "\u{0}" + identity + "\u{0}" + target + "\u{0}"
                            + (configuration.flags + Self.requiredFlags).joined(separator: " "))
  }

  /// Compiles (or finds in the disk cache) `source` and loads `functionName` from it.
  package func load(source: String, functionName: String, constsFunctionName: String? = nil, listFunctionName: String? = nil,
                    kernelName: String) throws(OP2Error) -> CompiledWrapper {
    let key = try key(source: source)
    try cache.prepare(key: key)
    switch cache.lookup(key: key) {
    case .hit:
      do {
        let loaded = try SharedLibrary.load(path: cache.libraryPath(key: key), symbol: functionName, constsSymbol: constsFunctionName, listSymbol: listFunctionName)
        lock.withLock { counters.diskHits += 1 }
        return loaded
      } catch {
        // Removed by another process's eviction since the check, or not what it claims to be
        // after all: build it again.
        cache.remove(key: key)
        lock.withLock { counters.corruptedRebuilt += 1 }
      }
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
      if status != 0, diagnostics.contains("No space left on device") {
        try? FileManager.default.removeItem(atPath: temporary)
        throw .cacheWriteFailed(path: temporary, reason: DiskCache.describe(ENOSPC))
      }
      guard status == 0 else {
        try? FileManager.default.removeItem(atPath: temporary)
        let kept = cache.logPath(key: key)
        try? DiskCache.writeAtomically(diagnostics, to: kept)
        throw .compilationFailed(kernel: kernelName, command: argv.joined(separator: " "),
                                 diagnostics: diagnostics.trimmingCharacters(in: .whitespacesAndNewlines), logPath: kept)
      }
    }
    guard FileManager.default.fileExists(atPath: temporary) else {
      let output = diagnostics(log)
      let kept = cache.logPath(key: key)
      try? DiskCache.writeAtomically(output, to: kept)
      throw .compilationFailed(kernel: kernelName, command: argv.joined(separator: " "),
                               diagnostics: "the compiler exited with status 0 but wrote no library" + (output.isEmpty ? "" : ":\n" + output),
                               logPath: kept)
    }
    try cache.commit(temporaryPath: temporary, key: key)
    cache.evict(toFit: configuration.cacheMaxBytes, keeping: key)
    let seconds = Double((ContinuousClock.now - started) / .nanoseconds(1)) / 1e9
    lock.withLock { counters.compilations += 1; counters.compileSeconds += seconds }
    return try SharedLibrary.load(path: cache.libraryPath(key: key), symbol: functionName, constsSymbol: constsFunctionName, listSymbol: listFunctionName)
  }

  private func diagnostics(_ log: String) -> String {
    Self.text(ofFile: log).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A small text file's contents; "" when missing or empty. (Read with stdio: Foundation's
  /// `String(contentsOfFile:)` and `FileManager.contents(atPath:)` leak a buffer on empty files,
  /// which AddressSanitizer reports.)
  private static func text(ofFile path: String) -> String {
    guard let file = fopen(path, "rb") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = fread(&chunk, 1, chunk.count, file)
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
