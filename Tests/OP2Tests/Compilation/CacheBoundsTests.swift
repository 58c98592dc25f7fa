import Foundation
import Testing
@testable import OP2

/// The disk cache keys on what the compiler really targets, checks what an entry is for, names
/// the real cause of a failure and stays within its bound.
@Suite("Disk cache: target keys, verification, errors and bounds")
struct CacheBoundsTests {
  /// A wrapper-shaped source whose entry point is `f`, adding `amount` to x[n].
  private func source(_ amount: Int) -> String {
    "__attribute__((visibility(\"default\"))) void f(int start, int end, void **args) { double *x = (double *)args[0]; for (int n = start; n < end; n++) x[n] += \(amount); }\n"
  }

  @Test("target options are read from gcc's and clang's driver output")
  func parsesDriverOutput() {
    let gcc = """
      COLLECT_GCC_OPTIONS='-march=native' '-O3'
       /usr/lib/gcc/x86_64-linux-gnu/12/cc1 -quiet /dev/null "-march=rocketlake" -mmmx -mavx512f -mno-sse4a --param=l1-cache-size=48 -mtune=rocketlake -O3 -o /tmp/ccL9KZHn.s
       as --64 -o /dev/null /tmp/ccL9KZHn.s
      """
    #expect(Compiler.targetOptions(inDriverOutput: gcc)
            == "-march=rocketlake -mmmx -mavx512f -mno-sse4a --param=l1-cache-size=48 -mtune=rocketlake")
    let clang = """
      clang version 17.0.0
       "/usr/bin/clang-17" "-cc1" "-triple" "x86_64-pc-linux-gnu" "-target-cpu" "znver3" "-target-feature" "+avx2" "-target-feature" "-avx512f" "-o" "/dev/null"
      """
    #expect(Compiler.targetOptions(inDriverOutput: clang) == "-target-cpu znver3 -target-feature +avx2 -target-feature -avx512f")
  }

  @Test("-march=native is keyed on the CPU it resolves to, not on the word native")
  func nativeIsResolved() throws {
    let cache = temporaryDirectory("native")
    let native = Compiler(configuration: .init(command: ["cc"], flags: ["-O2", "-march=native"], cacheDirectory: cache))
    let target = try native.resolvedTarget()
    #expect(target.contains("-march=") || target.contains("-target-cpu"))
    #expect(!target.contains("native"))
    let generic = Compiler(configuration: .init(command: ["cc"], flags: ["-O2"], cacheDirectory: cache))
    #expect(try generic.resolvedTarget() == "")
  }

  @Test("an entry swapped for another valid entry is detected and rebuilt")
  func swappedEntryRebuilt() throws {
    let cache = temporaryDirectory("swapped")
    let config = Compiler.Configuration(command: ["cc"], flags: ["-O1"], cacheDirectory: cache)
    let first = Compiler(configuration: config)
    _ = try first.load(source: source(1), functionName: "f", kernelName: "one")
    _ = try first.load(source: source(2), functionName: "f", kernelName: "two")
    let one = first.cache.libraryPath(key: try first.key(source: source(1)))
    let two = first.cache.libraryPath(key: try first.key(source: source(2)))
    // Entry one now holds entry two's complete, uncorrupted library.
    try FileManager.default.removeItem(atPath: one)
    try FileManager.default.copyItem(atPath: two, toPath: one)
    let second = Compiler(configuration: config)
    _ = try second.load(source: source(1), functionName: "f", kernelName: "one")
    #expect(second.statistics.corruptedRebuilt == 1)
    #expect(second.statistics.compilations == 1)
    let third = Compiler(configuration: config)
    _ = try third.load(source: source(1), functionName: "f", kernelName: "one")
    #expect(third.statistics.diskHits == 1)
  }

  @Test("a cache folder that cannot be created names OP2_CACHE_DIR and the cause")
  func unusableCacheFolder() throws {
    let parent = temporaryDirectory("notadir") + "/file"
    _ = FileManager.default.createFile(atPath: parent, contents: Data("x".utf8))
    let compiler = Compiler(configuration: .init(command: ["cc"], flags: ["-O1"], cacheDirectory: parent + "/cache"))
    expectError(.cacheDirectoryUnusable(path: parent + "/cache", reason: "cannot create \(parent)/cache: Not a directory"),
                message: "the compiled-wrapper cache folder \(parent)/cache cannot be used: cannot create \(parent)/cache: Not a directory; set OP2_CACHE_DIR to a writable folder") { () throws(OP2Error) in
      _ = try compiler.load(source: source(1), functionName: "f", kernelName: "one")
    }
    let file = Compiler(configuration: .init(command: ["cc"], flags: ["-O1"], cacheDirectory: parent))
    expectError(.cacheDirectoryUnusable(path: parent, reason: "it exists and is not a directory"),
                message: "the compiled-wrapper cache folder \(parent) cannot be used: it exists and is not a directory; set OP2_CACHE_DIR to a writable folder") { () throws(OP2Error) in
      _ = try file.load(source: source(1), functionName: "f", kernelName: "one")
    }
  }

  @Test("a compiler that exits 0 without writing a library is a compile failure saying so")
  func silentCompiler() throws {
    let cache = temporaryDirectory("silent")
    let compiler = Compiler(configuration: .init(command: ["true"], flags: [], cacheDirectory: cache))
    do {
      _ = try compiler.load(source: source(1), functionName: "f", kernelName: "one")
      Issue.record("expected a compile failure")
    } catch {
      guard case let .compilationFailed(kernel, _, diagnostics, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(kernel == "one")
      #expect(diagnostics == "the compiler exited with status 0 but wrote no library")
    }
  }

  @Test("OP2_CACHE_MAX_BYTES accepts byte counts with K, M, G and rejects anything else")
  func maxBytesParsing() throws {
    #expect(try Compiler.Configuration.cacheMaxBytes(fromEnvironment: "4096") == 4096)
    #expect(try Compiler.Configuration.cacheMaxBytes(fromEnvironment: "3K") == 3072)
    #expect(try Compiler.Configuration.cacheMaxBytes(fromEnvironment: "2m") == 2 << 20)
    #expect(try Compiler.Configuration.cacheMaxBytes(fromEnvironment: "1G") == 1 << 30)
    #expect(try Compiler.Configuration.cacheMaxBytes(fromEnvironment: nil) == nil)
    for bad in ["-1", "0", "lots", "12T", "99999999999999999999G"] {
      expectError(.invalidConfiguration(variable: "OP2_CACHE_MAX_BYTES", value: bad, expected: "a positive byte count, e.g. 1073741824 or 512M"),
                  message: "OP2_CACHE_MAX_BYTES=\"\(bad)\" is invalid: expected a positive byte count, e.g. 1073741824 or 512M") { () throws(OP2Error) in
        _ = try Compiler.Configuration.cacheMaxBytes(fromEnvironment: bad)
      }
    }
  }

  @Test("past its bound the cache evicts the least recently used entries, keeping the one in use")
  func leastRecentlyUsedEviction() throws {
    let cache = temporaryDirectory("lru")
    var config = Compiler.Configuration(command: ["cc"], flags: ["-O1"], cacheDirectory: cache)
    let probe = Compiler(configuration: config)
    _ = try probe.load(source: source(1), functionName: "f", kernelName: "one")
    let entryBytes = try #require(probe.cache.entries().first).bytes
    // Room for two entries of about this size.
    config.cacheMaxBytes = 2 * entryBytes + entryBytes / 2
    let keys = try (1...3).map { try probe.key(source: source($0)) }
    let compiler = Compiler(configuration: config)
    usleep(20_000)
    _ = try compiler.load(source: source(2), functionName: "f", kernelName: "two")
    usleep(20_000)
    // Using entry one makes entry two the least recently used.
    _ = try Compiler(configuration: config).load(source: source(1), functionName: "f", kernelName: "one")
    usleep(20_000)
    _ = try compiler.load(source: source(3), functionName: "f", kernelName: "three")
    let left = compiler.cache.entries()
    #expect(Swift.Set(left.map(\.key)) == [keys[0], keys[2]])
    #expect(left.map(\.key) == [keys[0], keys[2]])  // least recently used first
    #expect(left.reduce(0) { $0 + $1.bytes } <= config.cacheMaxBytes)
    // The public pruning agrees and has nothing left to do; cleaning empties the folder.
    var op2Config = OP2.Configuration()
    op2Config.cacheDirectory = cache
    op2Config.cacheMaxBytes = config.cacheMaxBytes
    #expect(OP2.pruneCache(op2Config).isEmpty)
    op2Config.cacheMaxBytes = entryBytes + entryBytes / 2
    #expect(OP2.pruneCache(op2Config).map(\.key) == [keys[0]])
    #expect(OP2.cleanCache(op2Config) == 1)
    #expect(OP2.cacheStatistics(op2Config).entries == 0)
  }
}
