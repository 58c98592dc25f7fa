import Foundation
import Testing
@testable import OP2

@Suite("Compilation and disk cache")
struct CacheTests {
  private func loop(_ d: Dat<Double>, _ s: Set) throws {
    let k = Kernel(code: "void inc_all(double *x) { x[0] += 1.5; }", name: "inc_all")
    try parLoop(k, over: s, d(.rw))
  }

  @Test("the second run of a loop compiles nothing, in memory and from disk")
  func secondRunCompilesNothing() throws {
    let cache = temporaryDirectory("cache")
    let s = Set(size: 10, name: "s")
    let d = Dat<Double>(s ** 1, name: "d")
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      try loop(d, s)
      try loop(d, s)
      #expect(d.data == Array(repeating: 3.0, count: 10))
      #expect(OP2.statistics.compilations == 1)
      #expect(OP2.statistics.memoryCacheHits == 1)
    }
    // A new process-like runtime with the same cache folder loads from disk.
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      try loop(d, s)
      #expect(d.data == Array(repeating: 4.5, count: 10))
      #expect(OP2.statistics.compilations == 0)
      #expect(OP2.statistics.diskCacheHits == 1)
    }
  }

  @Test("a different dtype compiles a new wrapper")
  func differentDtypeCompiles() throws {
    let cache = temporaryDirectory("dtype")
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      let s = Set(size: 4, name: "s")
      let d = Dat<Double>(s ** 1, name: "d")
      let f = Dat<Float>(s ** 1, name: "f")
      let kd = Kernel(code: "void one(double *x) { *x = 1; }", name: "one")
      let kf = Kernel(code: "void one(float *x) { *x = 1; }", name: "one")
      try parLoop(kd, over: s, d(.write))
      try parLoop(kf, over: s, f(.write))
      #expect(OP2.statistics.compilations == 2)
      // Same kernel, different dim: a new wrapper too.
      let d2 = Dat<Double>(s ** 2, name: "d2")
      let kd2 = Kernel(code: "void one(double *x) { *x = 1; }", name: "one")
      try parLoop(kd2, over: s, d2(.write))
      #expect(OP2.statistics.compilations == 3)
      #expect(d2.data == [1, 0, 1, 0, 1, 0, 1, 0])
    }
  }

  @Test("a corrupted cache file is detected and rebuilt")
  func corruptedEntryRebuilt() throws {
    let cache = temporaryDirectory("corrupt")
    let s = Set(size: 3, name: "s")
    let d = Dat<Double>(s ** 1, name: "d")
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) { try loop(d, s) }
    let libraries = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.hasSuffix(".so") }
    #expect(libraries.count == 1)
    let path = cache + "/" + libraries[0]
    // Flip bytes in the middle of the library (still a loadable-looking ELF file).
    var bytes = [UInt8](FileManager.default.contents(atPath: path)!)
    for i in stride(from: bytes.count / 2, to: bytes.count / 2 + 16, by: 1) { bytes[i] ^= 0x5a }
    try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)  // a new file: this process still maps the old one
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      try loop(d, s)
      #expect(d.data == [3, 3, 3])
      #expect(OP2.statistics.corruptedCacheEntriesRebuilt == 1)
      #expect(OP2.statistics.compilations == 1)
    }
    // Truncation is detected too.
    try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path), options: .atomic)
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      try loop(d, s)
      #expect(OP2.statistics.corruptedCacheEntriesRebuilt == 1)
    }
    #expect(d.data == [4.5, 4.5, 4.5])
  }

  @Test("concurrent compilers of the same source never load a half-written library")
  func concurrentCompilers() throws {
    let cache = temporaryDirectory("concurrent")
    let source = "__attribute__((visibility(\"default\"))) void f(int start, int end, void **args) { double *x = (double *)args[0]; for (int n = start; n < end; n++) x[n] += 1; }\n"
    let config = Compiler.Configuration(command: ["cc"], flags: ["-O1"], cacheDirectory: cache)
    let key = try Compiler(configuration: config).key(source: source)
    let results = ResultsBox()
    let done = ResultsBox()
    let observed = ResultsBox()
    // A reader checks the entry over and over while six compilers write it: with a non-atomic
    // write it would see a partial library (`.corrupted`, which also deletes it).
    let reader = Thread {
      while done.values.isEmpty {
        switch DiskCache(directory: cache).lookup(key: key) {
        case .corrupted: observed.add(false)
        case .hit: observed.add(true)
        case .miss: break
        }
      }
    }
    reader.start()
    DispatchQueue.concurrentPerform(iterations: 6) { _ in
      do {
        _ = try Compiler(configuration: config).load(source: source, functionName: "f", kernelName: "f")
        results.add(true)
      } catch {
        results.add(false)
      }
    }
    done.add(true)
    while !reader.isFinished { usleep(1000) }
    #expect(results.values == Array(repeating: true, count: 6))
    #expect(!observed.values.contains(false), "the reader saw a half-written library")
    #expect(DiskCache(directory: cache).lookup(key: key) == .hit)
    let leftovers = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }

  @Test("generated source embeds #line so diagnostics point at the kernel")
  func lineDirectives() throws {
    let s = Set(size: 1, name: "s")
    let d = Dat<Double>(s ** 1, name: "d")
    let k = Kernel(code: "void k(double *x) {\n  *x = 1;\n}\n", name: "k")
    let loop = try ParLoop(kernel: k, set: s, args: [d(.write)])
    let output = WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code)
    #expect(output.source.contains("#line 1 \"k.c\"\nvoid k(double *x) {"))
    #expect(output.source.contains("restrict"))
  }
}

final class ResultsBox: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [Bool] = []
  func add(_ v: Bool) { lock.withLock { stored.append(v) } }
  var values: [Bool] { lock.withLock { stored } }
}
