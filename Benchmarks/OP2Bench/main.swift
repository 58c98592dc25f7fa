import AirfoilKit
import ArgumentParser
import CReference
import Dispatch
import Foundation
import OP2

/// `op2-bench`: swift-op2's benchmarks, each reported next to a native baseline measured in the
/// same run (these machines are noisy; ratios are what to compare).
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "op2-bench",
    abstract: "swift-op2 benchmarks: par_loop overhead, compile/load times, triad bandwidth, airfoil, grid reading, predicted scaling.",
    subcommands: [Core.self, AirfoilRun.self, Dispatch.self, Assembly.self, GridRead.self, Scaling.self, Devices.self],
    defaultSubcommand: Core.self)
}

func now() -> ContinuousClock.Instant { ContinuousClock.now }
func seconds(_ since: ContinuousClock.Instant) -> Double { Double((ContinuousClock.now - since) / .nanoseconds(1)) / 1e9 }
func f(_ v: Double, _ spec: String = "%.3f") -> String { String(format: spec, v) }

/// Best-of-`repeats` STREAM triad bandwidth (24 bytes per element) of plain C, plain Swift and an
/// OP2 direct loop on `backend`.
func triad(n: Int, repeats: Int, backend: Backend) throws -> (c: Double, swift: Double, op2: Double) {
  let s = 3.0
  var a = [Double](repeating: 0, count: n), b = [Double](repeating: 1, count: n), c = [Double](repeating: 2, count: n)
  var bestC = Double.infinity, bestSwift = Double.infinity, bestOP2 = Double.infinity
  for _ in 0..<repeats {
    let t = now()
    a.withUnsafeMutableBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { pc in
        creference_triad(n, pa.baseAddress, pb.baseAddress, pc.baseAddress, s)
      } }
    }
    bestC = min(bestC, seconds(t))
  }
  for _ in 0..<repeats {
    let t = now()
    a.withUnsafeMutableBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in c.withUnsafeBufferPointer { pc in
        for i in 0..<n { pa[i] = pb[i] + s * pc[i] }
      } }
    }
    bestSwift = min(bestSwift, seconds(t))
  }
  var config = OP2.configuration
  config.backend = backend
  config.lazy = false
  try OP2.withConfiguration(config) {
    let set = Set(size: n, name: "triad")
    let da = Dat<Double>(set ** 1, name: "a")
    let db = try Dat<Double>(set ** 1, values: b, name: "b")
    let dc = try Dat<Double>(set ** 1, values: c, name: "c")
    let scalar = Global<Double>(value: s, name: "s")
    let k = Kernel(code: "void triad(double *a, const double *b, const double *c, const double *s) { *a = *b + *s * *c; }", name: "triad")
    try parLoop(k, over: set, da(.write), db(.read), dc(.read), scalar(.read))  // compile, first touch
    for _ in 0..<repeats {
      let t = now()
      try parLoop(k, over: set, da(.write), db(.read), dc(.read), scalar(.read))
      bestOP2 = min(bestOP2, seconds(t))
    }
    precondition(da.data[n - 1] == 7, "triad result wrong")
  }
  let bytes = Double(24 * n)
  return (bytes / bestC / 1e9, bytes / bestSwift / 1e9, bytes / bestOP2 / 1e9)
}

extension Bench {
  struct Core: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "core", abstract: "par_loop overhead, cold compile, warm load, triad (the default).")

    @Option(help: "Elements of the triad.") var triadSize = 10_000_000
    @Option(help: "Calls for the overhead measurement.") var calls = 200_000
    @Option(help: "Overhead modes to measure: eager, lazy or both.") var mode = "both"
    @Option(help: "Overhead forms to measure: parloop, handle or both.") var form = "both"
    @Flag(help: "Measure only the par_loop overhead (no compile, load or triad): for instruction counts.") var overheadOnly = false

    func validate() throws {
      guard ["eager", "lazy", "both"].contains(mode) else { throw ValidationError("--mode: eager, lazy or both") }
      guard ["parloop", "handle", "both"].contains(form) else { throw ValidationError("--form: parloop, handle or both") }
    }

    func run() throws {
      print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpuModel())")
      // 1. par_loop overhead on a 1-element set, warm cache, eager and lazy (queue + flush).
      for lazy in [false, true] where mode == "both" || (mode == "lazy") == lazy {
        var config = OP2.configuration
        config.lazy = lazy
        try OP2.withConfiguration(config) {
          let set = Set(size: 1, name: "one")
          let d = Dat<Double>(set ** 1, name: "d")
          let k = Kernel(code: "void nothing(double *x) { }", name: "nothing")
          try parLoop(k, over: set, d(.rw))
          OP2.flush()
          if form != "handle" {
            let t = now()
            for _ in 0..<calls { try parLoop(k, over: set, d(.rw)) }
            OP2.flush()
            print("par_loop overhead (\(lazy ? "lazy, queue + flush" : "eager")): \(f(seconds(t) / Double(calls) * 1e6, "%.2f")) µs/call")
          }
          guard form != "parloop" else { return }
          // The same loop through a reusable handle (PyOP2's pre-built ParLoop).
          let step = try ParLoop(k, over: set, d(.rw))
          try step()
          OP2.flush()
          let th = now()
          for _ in 0..<calls { try step() }
          OP2.flush()
          print("ParLoop handle call (\(lazy ? "lazy, queue + flush" : "eager")): \(f(seconds(th) / Double(calls) * 1e6, "%.2f")) µs/call")
        }
      }
      if overheadOnly { return }
      // 2. Cold compile and warm-cache load, in a fresh cache folder.
      let folder = FileManager.default.temporaryDirectory.path + "/op2-bench-\(getpid())"
      defer { try? FileManager.default.removeItem(atPath: folder) }
      var config = OP2.configuration
      config.cacheDirectory = folder + "/a"
      config.lazy = false
      let set = Set(size: 1, name: "one")
      let d = Dat<Double>(set ** 1, name: "d")
      let k = Kernel(code: "void cold_\(getpid())(double *x) { x[0] = sqrt(x[0] + 1.0); }", name: "cold_\(getpid())")
      var cold = 0.0
      try OP2.withConfiguration(config) {
        let t = now()
        try parLoop(k, over: set, d(.rw))
        cold = seconds(t)
      }
      // A copy of the cache under another path, so that dlopen really loads the file again.
      try FileManager.default.copyItem(atPath: folder + "/a", toPath: folder + "/b")
      config.cacheDirectory = folder + "/b"
      var warm = 0.0
      try OP2.withConfiguration(config) {
        let t = now()
        try parLoop(k, over: set, d(.rw))
        warm = seconds(t)
        precondition(OP2.statistics.compilations == 0)
      }
      print("cold compile (generate + cc + cache write + dlopen): \(f(cold * 1e3, "%.1f")) ms")
      print("warm-cache load (hash + verify + dlopen), first call: \(f(warm * 1e3, "%.2f")) ms")
      // 3. Triad.
      for backend in [Backend.sequential, .threaded(threads: ProcessInfo.processInfo.activeProcessorCount)] {
        let r = try triad(n: triadSize, repeats: 10, backend: backend)
        print("triad \(triadSize) doubles, \(backend): OP2 \(f(r.op2, "%.1f")) GB/s, plain C \(f(r.c, "%.1f")) GB/s (single thread), plain Swift \(f(r.swift, "%.1f")) GB/s; OP2/C = \(f(r.op2 / r.c, "%.2f"))")
      }
    }
  }

  struct AirfoilRun: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "airfoil", abstract: "Airfoil per backend, next to the triad bandwidth and the bytes-moved floor.")

    @Option(help: "OP2 grid file (new_grid.dat); default: the built-in grid of --cells cells.") var grid: String?
    @Option(help: "Cells of the built-in grid.") var cells = 720_000
    @Option(name: .shortAndLong, help: "Iterations.") var iterations = 1000
    @Option(help: "Comma-separated thread counts; 1 means the sequential backend.") var threads = "1,2"
    @Option(help: "Renumber the grid first: none, rcm, shuffled (random order), shuffled+rcm.") var renumber = "none"
    @Flag(help: "Also run the opencl backend (OP2_OPENCL_PLATFORM/OP2_OPENCL_DEVICE pick the device).") var opencl = false
    @Option(help: "Side by side: comma-separated variants, each COMPILER/READS[/tiled[:SIZE]] (READS: staged, gathered, automatic; tiled: sparse tiling of the loop chains, SIZE cells per tile; e.g. gcc/staged,clang/gathered,clang/gathered/tiled:8192), run one after another in this process for every --threads entry; repeat entries to alternate them (A,B,A,B).") var variants = ""
    @Option(help: "With --opencl: comma-separated staging choices (local, global, auto), one opencl run each, in this order; alternate them for A/B runs (global,local,global,local).") var staging = ""

    func run() throws {
      print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpuModel())")
      let t0 = now()
      var mesh = try grid.map { try OP2GridReader.read(contentsOf: $0) } ?? AirfoilMesh.generate(cells: cells)
      print("grid: \(mesh.cellCount) cells, \(mesh.edgeCount) edges (\(grid ?? "built-in")), read in \(f(seconds(t0), "%.2f")) s")
      for step in renumber.split(separator: "+") where step != "none" {
        let t = now()
        switch step {
        case "rcm": mesh = mesh.renumbered(.reverseCuthillMcKee)
        case "shuffled": mesh = mesh.renumbered(.shuffled(seed: 1))
        default: throw ValidationError("--renumber: unknown ordering \"\(step)\" (none, rcm, shuffled)")
        }
        print("renumbered (\(step)) in \(f(seconds(t), "%.2f")) s; cell-graph bandwidth \(mesh.cellBandwidth)")
      }
      // Per run: steady-state seconds, final rms, whole run, time/floor, ms per call of each loop.
      var results: [(label: String, elapsed: Double, rms: Double, whole: Double, ratio: Double, loops: [String: Double])] = []
      var backends: [Backend] = threads.split(separator: ",").compactMap { Int($0) }.map { $0 == 1 ? .sequential : .threaded(threads: $0) }
      if opencl {
        let env = ProcessInfo.processInfo.environment
        let choices = staging.split(separator: ",").map(String.init)
        if choices.isEmpty { backends.append(.opencl(platform: env["OP2_OPENCL_PLATFORM"], device: env["OP2_OPENCL_DEVICE"])) }
        for choice in choices {
          guard let value = try? OpenCLStaging.fromEnvironment(choice, source: "--staging") else {
            throw ValidationError("--staging: \"\(choice)\" is not local, global or auto")
          }
          backends.append(.opencl(platform: env["OP2_OPENCL_PLATFORM"], device: env["OP2_OPENCL_DEVICE"], staging: value))
        }
      }
      // Each run: a backend, and the variant's compiler and chunk reads (nil: the configuration's).
      typealias Variant = (label: String, compiler: [String], reads: ChunkReads, tileSize: Int?)
      var runs: [(backend: Backend, variant: Variant?)] = []
      let variantList = try variants.split(separator: ",").map { item -> Variant in
        let parts = item.split(separator: "/", maxSplits: 2).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, let reads = try? ChunkReads.fromEnvironment(parts[1], source: "--variants") else {
          throw ValidationError("--variants: \"\(item)\" is not COMPILER/READS[/tiled[:SIZE]] with READS staged, gathered or automatic")
        }
        var tileSize: Int?
        if parts.count == 3 {
          let tiling = parts[2].split(separator: ":", maxSplits: 1)
          guard tiling.first == "tiled", let size = tiling.count == 2 ? Int(tiling[1]) : SparseTiling.defaultTileSize, size > 0 else {
            throw ValidationError("--variants: \"\(item)\": expected tiled or tiled:SIZE after COMPILER/READS")
          }
          tileSize = size
        }
        return (String(item), parts[0].split(separator: " ").map(String.init), reads, tileSize)
      }
      for backend in backends {
        if variantList.isEmpty { runs.append((backend, nil)) }
        for v in variantList { runs.append((backend, v)) }
      }
      var bandwidths: [String: Double] = [:]
      for (backend, variant) in runs {
        let bandwidth = try bandwidths["\(backend)"] ?? triad(n: 10_000_000, repeats: 5, backend: backend).op2
        bandwidths["\(backend)"] = bandwidth
        var config = OP2.configuration
        config.backend = backend
        if let variant {
          config.compilerCommand = variant.compiler
          config.chunkReads = variant.reads
          config.tiling = variant.tileSize != nil
          if let size = variant.tileSize { config.tileSize = size }
          print("\n#### variant \(variant.label) on \(backend)")
        }
        let label = variant.map { "\(backend) [\($0.label)]" } ?? "\(backend)"
        try OP2.withConfiguration(config) {
          let whole = now()
          let sim = try AirfoilSimulation(grid: mesh)
          _ = try sim.iterate()  // compiles and builds plans: timed apart, and in the whole run
          let first = seconds(whole)
          let report = OP2.timingReport()
          print("\n\(backend): first iteration \(f(first, "%.2f")) s (C wrappers compiled in \(f(report.compileSeconds, "%.2f")) s"
            + (report.device != nil ? ", device programs built in \(f(report.deviceCompileSeconds, "%.2f")) s" : "") + ")")
          let plans = report.rows.filter { $0.planSeconds > 0 }
          if !plans.isEmpty {
            print("plans (built in the first iteration): " + plans.map { "\($0.name) \(f($0.planSeconds, "%.4f")) s, \($0.colours) colours, \($0.blocks) blocks" }.joined(separator: "; "))
          }
          OP2.resetTimings()
          let t = now()
          for _ in 1..<iterations { try sim.step() }
          let rms = sim.currentRMS
          let elapsed = seconds(t) * Double(iterations) / Double(max(iterations - 1, 1))
          let floor = Double(sim.bytesPerIterationLowerBound) * Double(iterations) / (bandwidth * 1e9)
          let wholeRun = seconds(whole)
          print("\n== \(label): \(iterations) iterations in \(f(wholeRun, "%.2f")) s, whole run as OP2 times it (first iteration \(f(first, "%.2f")) s with compiles and plans, included); steady state \(f(elapsed, "%.2f")) s (final rms \(String(format: "%.10e", rms)))")
          print("   triad (same backend, this run) \(f(bandwidth, "%.1f")) GB/s; bytes-moved floor \(f(Double(sim.bytesPerIterationLowerBound) / 1e6, "%.1f")) MB/iteration → \(f(floor, "%.1f")) s; time/floor = \(f(elapsed / floor, "%.2f"))")
          let steady = OP2.timingReport()
          print(steady)
          results.append((label, elapsed, rms, wholeRun, elapsed / floor,
                          Dictionary(steady.rows.map { ($0.name, $0.seconds / Double(max($0.count, 1)) * 1e3) }, uniquingKeysWith: +)))
        }
      }
      if results.count > 1 {
        // One table of every run: whole run, time/floor, and ms per call of each loop (group).
        let names = Swift.Set(results.flatMap { $0.loops.keys }).sorted()
        print("\nside by side (ms per call; whole run in s, first iteration included):")
        print("| run | whole run (s) | time/floor | " + names.joined(separator: " | ") + " |")
        print("|---|---|---|" + String(repeating: "---|", count: names.count))
        for r in results {
          print("| \(r.label) | \(f(r.whole, "%.2f")) | \(f(r.ratio, "%.2f")) | " + names.map { r.loops[$0].map { f($0, "%.3f") } ?? "–" }.joined(separator: " | ") + " |")
        }
        let first = results[0]
        for r in results.dropFirst() {
          print("speed-up \(r.label) vs \(first.label): \(f(first.elapsed / r.elapsed, "%.2f"))×; rms equal: \(r.rms == first.rms), relative difference \(String(format: "%.2e", abs(r.rms - first.rms) / first.rms))")
        }
      }
    }
  }
}

extension Bench {
  struct Dispatch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dispatch",
      abstract: "Cost of an empty parallel region: Swift's concurrentPerform vs OpenMP (libgomp, gcc -fopenmp).")

    @Option(help: "Regions to time.") var regions = 100_000
    @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
      let t = now()
      for _ in 0..<regions { DispatchQueue.concurrentPerform(iterations: threads) { _ in } }
      let swift = seconds(t) / Double(regions) * 1e6
      // OpenMP through the system gcc, as a generated wrapper would use it: a small program
      // timing the same number of empty `omp parallel` regions.
      let folder = FileManager.default.temporaryDirectory.path + "/op2-dispatch-\(getpid())"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: folder) }
      let source = """
        #include <omp.h>
        #include <stdio.h>
        #include <time.h>
        int main(void) {
          volatile int sink = 0; struct timespec a, b;
          #pragma omp parallel num_threads(\(threads))
          { sink += 1; }
          clock_gettime(CLOCK_MONOTONIC, &a);
          for (int i = 0; i < \(regions); i++) {
            #pragma omp parallel num_threads(\(threads))
            { if (omp_get_thread_num() < 0) sink += 1; }
          }
          clock_gettime(CLOCK_MONOTONIC, &b);
          printf("%f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / \(regions));
          return 0;
        }
        """
      try source.write(toFile: folder + "/omp.c", atomically: true, encoding: .utf8)
      let cc = Process()
      cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      cc.arguments = ["gcc", "-O2", "-fopenmp", "-o", folder + "/omp", folder + "/omp.c"]
      try cc.run(); cc.waitUntilExit()
      // libgomp in its default wait policy (OMP_WAIT_POLICY unset: threads spin a while, then
      // sleep), which is what OpenMP programs get, and with passive waiting for comparison.
      var results: [String] = []
      for policy in [nil, "passive"] as [String?] {
        var openmp = "n/a (gcc -fopenmp failed)"
        if cc.terminationStatus == 0 {
          let p = Process()
          p.executableURL = URL(fileURLWithPath: folder + "/omp")
          var env = ProcessInfo.processInfo.environment
          env["OMP_WAIT_POLICY"] = policy
          p.environment = env
          let pipe = Pipe(); p.standardOutput = pipe
          try p.run(); p.waitUntilExit()
          openmp = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) + " µs"
        }
        results.append("OpenMP (libgomp, \(policy.map { "OMP_WAIT_POLICY=\($0)" } ?? "default wait policy")) \(openmp)")
      }
      print("empty parallel region, \(threads) threads: concurrentPerform \(f(swift, "%.2f")) µs, " + results.joined(separator: ", "))
    }
  }
}

func cpuModel() -> String {
  let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
  return text.split(separator: "\n").first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
}

Bench.main()
