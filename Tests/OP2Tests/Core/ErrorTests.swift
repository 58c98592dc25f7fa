import Foundation
import Testing
@testable import OP2

/// One test per bad input: the case, the exact message, and that nothing changed.
@Suite("Bad input gives typed errors and changes nothing")
struct ErrorTests {
  let cells = Set(size: 2, name: "cells")
  let nodes = Set(size: 4, name: "nodes")
  let edges = Set(size: 3, name: "edges")

  @Test("map values out of range of the target set")
  func mapOutOfRange() {
    expectError(.mapValueOutOfRange(map: "c2n", entry: 4, value: 7, targetSet: "nodes", targetSize: 4),
                message: "Map \"c2n\": entry 4 is 7, outside target set \"nodes\" of size 4") { () throws(OP2Error) in
      _ = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2, 3, 7, 0], name: "c2n")
    }
    expectError(.mapValueOutOfRange(map: "neg", entry: 0, value: -1, targetSet: "nodes", targetSize: 4),
                message: "Map \"neg\": entry 0 is -1, outside target set \"nodes\" of size 4") { () throws(OP2Error) in
      _ = try Map(from: cells, to: nodes, arity: 1, values: [-1, 0], name: "neg")
    }
  }

  @Test("map value count must be from.size × arity")
  func mapCount() {
    expectError(.valueCountMismatch(object: "Map \"c2n\" (cells → nodes, arity 3)", expected: 6, got: 5),
                message: "Map \"c2n\" (cells → nodes, arity 3): expected 6 values, got 5") { () throws(OP2Error) in
      _ = try Map(from: cells, to: nodes, arity: 3, values: [0, 1, 2, 3, 0], name: "c2n")
    }
  }

  @Test("Dat values count must be set.size × dim")
  func datCount() {
    expectError(.valueCountMismatch(object: "Dat \"x\" on nodes**2", expected: 8, got: 7),
                message: "Dat \"x\" on nodes**2: expected 8 values, got 7") { () throws(OP2Error) in
      _ = try Dat<Double>(nodes ** 2, values: [1, 2, 3, 4, 5, 6, 7], name: "x")
    }
    let d = Dat<Double>(nodes ** 1, name: "d")
    expectError(.valueCountMismatch(object: "Dat \"d\" on nodes**1", expected: 4, got: 3),
                message: "Dat \"d\" on nodes**1: expected 4 values, got 3") { () throws(OP2Error) in
      try d.setData([1, 2, 3])
    }
    #expect(d.data == [0, 0, 0, 0])
  }

  @Test("negative sizes and arities are rejected")
  func negativeSizes() {
    expectError(.invalidSize(object: "Set \"bad\"", what: "size (at least 0)", value: -3),
                message: "Set \"bad\": invalid size (at least 0): -3") { () throws(OP2Error) in
      _ = try Set(checkedSize: -3, name: "bad")
    }
    expectError(.invalidSize(object: "Map \"m\"", what: "arity (at least 1)", value: 0),
                message: "Map \"m\": invalid arity (at least 1): 0") { () throws(OP2Error) in
      _ = try Map(from: cells, to: nodes, arity: 0, values: [Int](), name: "m")
    }
    expectError(.invalidSize(object: "Global \"g\"", what: "dim (at least 1)", value: 0),
                message: "Global \"g\": invalid dim (at least 1): 0") { () throws(OP2Error) in
      _ = try Global<Double>(dim: 0, value: [], name: "g")
    }
  }

  @Test("kernel name not found in the code")
  func kernelNotFound() throws {
    let d = Dat<Double>(cells ** 1, name: "d")
    let k = Kernel(code: "void other(double *x) { *x = 1; }", name: "missing")
    expectError(.kernelNotFound(kernel: "missing"),
                message: "Kernel \"missing\": the code defines no function named missing") { () throws(OP2Error) in
      try parLoop(k, over: cells, d(.write))
    }
  }

  @Test("number of kernel parameters must equal the number of arguments")
  func arityMismatch() {
    let d = Dat<Double>(cells ** 1, name: "d")
    let k = Kernel(code: "void two(double *x, double *y) { *x = *y; }", name: "two")
    expectError(.argumentCountMismatch(loop: "two", kernelParameters: 2, arguments: 1),
                message: "parLoop \"two\": the kernel takes 2 parameters but 1 arguments were passed") { () throws(OP2Error) in
      try parLoop(k, over: cells, d(.write))
    }
  }

  @Test("kernel parameter dtype must match the Dat's")
  func dtypeMismatch() throws {
    let d = Dat<Float>(cells ** 1, name: "d")
    let k = Kernel(code: "void k(double *x) { *x = 1; }", name: "k")
    let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "d")
    expectError(.dtypeMismatch(at, kernelType: "double *x", dataType: "float * (d, direct)"),
                message: "parLoop \"k\", argument 1 (d): kernel parameter has type double *x but the data is float * (d, direct)") { () throws(OP2Error) in
      try parLoop(k, over: cells, d(.write))
    }
    // A whole-map argument needs two levels of indirection.
    let x = Dat<Double>(nodes ** 2, name: "x")
    let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 2, 3], name: "c2n")
    let flat = Kernel(code: "void flat(double *x) { }", name: "flat")
    let at2 = OP2Error.ArgumentLocation(loop: "flat", position: 1, argument: "x via c2n")
    expectError(.dtypeMismatch(at2, kernelType: "double *x", dataType: "double ** (x via every entry of c2n)"),
                message: "parLoop \"flat\", argument 1 (x via c2n): kernel parameter has type double *x but the data is double ** (x via every entry of c2n)") { () throws(OP2Error) in
      try parLoop(flat, over: cells, x(.read, c2n))
    }
  }

  @Test("the map must start from the iteration set")
  func mapFromMismatch() throws {
    let e2n = try Map(from: edges, to: nodes, arity: 1, values: [0, 1, 2], name: "e2n")
    let x = Dat<Double>(nodes ** 1, name: "x")
    let k = Kernel(code: "void k(double *x) { }", name: "k")
    let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "x via e2n[0]")
    expectError(.mapFromSetMismatch(at, map: "e2n", mapFrom: "edges", iterationSet: "cells"),
                message: "parLoop \"k\", argument 1 (x via e2n[0]): e2n maps from edges but the loop iterates over cells") { () throws(OP2Error) in
      try parLoop(k, over: cells, x(.read, e2n[0]))
    }
  }

  @Test("the map must lead to the Dat's set")
  func mapToMismatch() throws {
    let c2e = try Map(from: cells, to: edges, arity: 1, values: [0, 1], name: "c2e")
    let x = Dat<Double>(nodes ** 1, name: "x")
    let k = Kernel(code: "void k(double *x) { }", name: "k")
    let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "x via c2e[0]")
    expectError(.mapToSetMismatch(at, map: "c2e", mapTo: "edges", dat: "x", datSet: "nodes"),
                message: "parLoop \"k\", argument 1 (x via c2e[0]): c2e maps to edges but x is defined on nodes") { () throws(OP2Error) in
      try parLoop(k, over: cells, x(.read, c2e[0]))
    }
  }

  @Test("a direct Dat must live on the iteration set")
  func directNotOnSet() {
    let x = Dat<Double>(nodes ** 1, name: "x")
    let k = Kernel(code: "void k(double *x) { }", name: "k")
    let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "x")
    expectError(.directDatNotOnIterationSet(at, dat: "x", datSet: "nodes", iterationSet: "cells"),
                message: "parLoop \"k\", argument 1 (x): x is defined on nodes but the loop iterates over cells; pass a map") { () throws(OP2Error) in
      try parLoop(k, over: cells, x(.write))
    }
  }

  @Test("WRITE and RW on a Global are rejected", arguments: [Access.write, .rw])
  func globalWrite(access: Access) {
    let g = Global<Double>(value: 5, name: "g")
    let k = Kernel(code: "void k(double *g) { *g = 1; }", name: "k")
    let at = OP2Error.ArgumentLocation(loop: "k", position: 1, argument: "g")
    let reason = "a Global is READ or reduced with INC, MIN or MAX; use a Dat to write per element"
    expectError(.invalidAccess(at, access: access.rawValue, reason: reason),
                message: "parLoop \"k\", argument 1 (g): access \(access.rawValue) is not allowed: \(reason)") { () throws(OP2Error) in
      try parLoop(k, over: cells, g(access))
    }
    #expect(g.value == [5])
  }

  @Test("a map index outside the arity is rejected")
  func mapIndexOutOfRange() throws {
    let x = Dat<Double>(nodes ** 1, name: "x")
    let c2n = try Map(from: cells, to: nodes, arity: 2, values: [0, 1, 2, 3], name: "c2n")
    let k = Kernel(code: "void k(double *x) { }", name: "k")
    expectError(.mapIndexOutOfRange(map: "c2n", index: 2, arity: 2),
                message: "Map \"c2n\": index 2 is outside 0..<2 (arity 2)") { () throws(OP2Error) in
      try parLoop(k, over: cells, x(.read, c2n[2]))
    }
  }

  @Test("a kernel that fails to compile reports diagnostics at the kernel's own line, and nothing changes")
  func compileFailure() throws {
    let cache = temporaryDirectory("compile-error")
    try OP2.withConfiguration(.testing(cacheDirectory: cache)) {
      let d = try Dat<Double>(cells ** 1, values: [1, 2], name: "d")
      let k = Kernel(code: "void broken(double *x) {\n  *x = 1;\n  *x = undefined_name;\n}\n", name: "broken")
      do {
        try parLoop(k, over: cells, d(.write))
        Issue.record("expected a compile error")
      } catch {
        guard let error = error as? OP2Error, case let .compilationFailed(kernel, command, diagnostics, logPath) = error else {
          Issue.record("wrong error \(error)"); return
        }
        #expect(kernel == "broken")
        // The configured compiler (`OP2_CC`, else `clang` when one is on the PATH, else `cc`).
        #expect(command.hasPrefix(OP2.configuration.compilerCommand.joined(separator: " ") + " "))
        #expect(diagnostics.contains("broken.c:3:"), "diagnostics: \(diagnostics)")
        #expect(diagnostics.contains("undefined_name"))
        #expect(FileManager.default.fileExists(atPath: logPath))
        #expect(error.description.hasPrefix("Kernel \"broken\" failed to compile (log: \(logPath))"))
      }
      #expect(d.data == [1, 2])
      let libraries = try FileManager.default.subpathsOfDirectory(atPath: cache).filter { $0.hasSuffix(".so") || $0.contains(".tmp-") }
      #expect(libraries.isEmpty)
    }
  }

  @Test("a missing compiler is a typed error")
  func compilerNotFound() {
    var c = OP2.Configuration.testing(cacheDirectory: temporaryDirectory("nocc"))
    c.compilerCommand = ["/nonexistent/bin/cc"]
    OP2.withConfiguration(c) {
      let d = Dat<Double>(cells ** 1, name: "d")
      let k = Kernel(code: "void k(double *x) { *x = 1; }", name: "k")
      expectError(.compilerNotFound(command: "/nonexistent/bin/cc", reason: "No such file or directory"),
                  message: "C compiler \"/nonexistent/bin/cc\" could not be run: No such file or directory. Install one (apt-get install gcc) or set OP2_CC") { () throws(OP2Error) in
        try parLoop(k, over: cells, d(.write))
      }
    }
  }

  @Test("duplicate Const names and invalid identifiers are rejected")
  func constErrors() throws {
    let first = try Const<Double>(name: "op2test_dup", value: 1)
    expectError(.duplicateConst(name: "op2test_dup"),
                message: "Const \"op2test_dup\" is already declared; Consts are global C names and must be unique") { () throws(OP2Error) in
      _ = try Const<Double>(name: "op2test_dup", value: 2)
    }
    #expect(first.value == [1])
    expectError(.invalidIdentifier(object: "Const", name: "2bad"),
                message: "Const: \"2bad\" is not a valid C identifier") { () throws(OP2Error) in
      _ = try Const<Double>(name: "2bad", value: 2)
    }
  }

  @Test("invalid OP2_BACKEND, OP2_THREADS, OP2_LAZY and OP2_FUSION values are typed errors")
  func environment() throws {
    expectError(.invalidConfiguration(variable: "OP2_THREADS", value: "0", expected: "a positive integer"),
                message: "OP2_THREADS=\"0\" is invalid: expected a positive integer") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "threaded", "OP2_THREADS": "0"])
    }
    expectError(.invalidConfiguration(variable: "OP2_THREADS", value: "two", expected: "a positive integer"),
                message: "OP2_THREADS=\"two\" is invalid: expected a positive integer") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "threaded", "OP2_THREADS": "two"])
    }
    expectError(.invalidConfiguration(variable: "OP2_BACKEND", value: "gpu", expected: "sequential, threaded or opencl"),
                message: "OP2_BACKEND=\"gpu\" is invalid: expected sequential, threaded or opencl") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "gpu"])
    }
    expectError(.invalidConfiguration(variable: "OP2_LAZY", value: "maybe", expected: "1 or 0 (or true/false, yes/no, on/off)"),
                message: "OP2_LAZY=\"maybe\" is invalid: expected 1 or 0 (or true/false, yes/no, on/off)") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_LAZY": "maybe"])
    }
    expectError(.invalidConfiguration(variable: "OP2_FUSION", value: "2", expected: "1 or 0 (or true/false, yes/no, on/off)"),
                message: "OP2_FUSION=\"2\" is invalid: expected 1 or 0 (or true/false, yes/no, on/off)") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_FUSION": "2"])
    }
    #expect(try OP2.Configuration.fromEnvironment(["OP2_FUSION": "off"]).fusion == false)
    #expect(try OP2.Configuration.fromEnvironment([:]).fusion == true)
  }

  @Test("every OP2_* flag accepts the same spellings and rejects the same bad values",
        arguments: ["OP2_LAZY", "OP2_FUSION", "OP2_PLAN_CHECK", "OP2_PARTITION_REPORT"])
  func everyFlagParsedAlike(variable: String) throws {
    let read = { (value: String) throws(OP2Error) -> OP2.Configuration in try OP2.Configuration.fromEnvironment([variable: value]) }
    for (value, on) in [("1", true), ("yes", true), ("TRUE", true), ("on", true), ("0", false), ("no", false), ("Off", false)] {
      let c = try read(value)
      switch variable {
      case "OP2_LAZY": #expect(c.lazy == on, "\(variable)=\(value)")
      case "OP2_FUSION": #expect(c.fusion == on, "\(variable)=\(value)")
      case "OP2_PLAN_CHECK": #expect(c.checkPlans == on, "\(variable)=\(value)")
      default: break
      }
    }
    for bad in ["maybe", "2", "y e s"] {
      expectError(.invalidConfiguration(variable: variable, value: bad, expected: "1 or 0 (or true/false, yes/no, on/off)"),
                  message: "\(variable)=\"\(bad)\" is invalid: expected 1 or 0 (or true/false, yes/no, on/off)") { () throws(OP2Error) in
        _ = try read(bad)
      }
    }
  }

  @Test("OP2_THREADS is checked even when no backend is set, and an empty variable counts as unset")
  func threadsCheckedWithoutBackend() throws {
    expectError(.invalidConfiguration(variable: "OP2_THREADS", value: "abc", expected: "a positive integer"),
                message: "OP2_THREADS=\"abc\" is invalid: expected a positive integer") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_THREADS": "abc"])
    }
    #expect(try OP2.Configuration.fromEnvironment(["OP2_THREADS": "", "OP2_BACKEND": ""]).backend == .sequential)
    #expect(try OP2.Configuration.fromEnvironment(["OP2_THREADS": "3", "OP2_BACKEND": "threaded"]).backend == .threaded(threads: 3))
    #expect(try OP2.Configuration.fromEnvironment(["OP2_BACKEND": ""], backend: nil, threads: 2).backend == .threaded(threads: 2))
  }

  @Test("a bad --backend or --threads from the command line names the flag, not the variable")
  func commandLineOverridesNamed() throws {
    expectError(.invalidConfiguration(variable: "--backend", value: "bogus", expected: "sequential, threaded or opencl"),
                message: "--backend=\"bogus\" is invalid: expected sequential, threaded or opencl") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment([:], backend: "bogus", threads: nil)
    }
    expectError(.invalidConfiguration(variable: "--threads", value: "0", expected: "a positive integer"),
                message: "--threads=\"0\" is invalid: expected a positive integer") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "threaded"], backend: nil, threads: 0)
    }
    // A bad variable the flag does not override is still named as the variable.
    expectError(.invalidConfiguration(variable: "OP2_BACKEND", value: "gpu", expected: "sequential, threaded or opencl"),
                message: "OP2_BACKEND=\"gpu\" is invalid: expected sequential, threaded or opencl") { () throws(OP2Error) in
      _ = try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "gpu"], backend: nil, threads: 2)
    }
    #expect(try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "gpu"], backend: "sequential", threads: nil).backend == .sequential)
  }

  @Test("a rejected loop leaves every Dat as it was, even after valid arguments")
  func rejectedLoopChangesNothing() throws {
    let good = try Dat<Double>(cells ** 1, values: [1, 2], name: "good")
    let bad = Dat<Double>(nodes ** 1, name: "bad")
    let k = Kernel(code: "void k(double *a, double *b) { *a = 9; *b = 9; }", name: "k")
    #expect(throws: OP2Error.self) { try parLoop(k, over: cells, good(.write), bad(.write)) }
    #expect(good.data == [1, 2])
    #expect(bad.data == [0, 0, 0, 0])
  }
}

@Suite("Configuration from the environment")
struct ConfigurationTests {
  @Test("a misspelled OP2_* variable is named with the one it resembles; OP2-Common's variables are not")
  func misspelledVariables() {
    let env = ["OP2_THREAD": "4", "OP2_LAZZY": "0", "OP2_BACKED": "threaded", "OP2_THREADS": "2",
               "OP2_INSTALL_PATH": "/opt/op2", "OP2_COMPILER": "gnu", "PATH": "/bin", "OP2_X": "1"]
    let found = Setting.misspelledVariables(in: env)
    #expect(found.map(\.name) == ["OP2_BACKED", "OP2_LAZZY", "OP2_THREAD"])
    #expect(found.map(\.meant) == ["OP2_BACKEND", "OP2_LAZY", "OP2_THREADS"])
    #expect(Setting.misspellingWarning(for: ["OP2_FUSOIN": "1"])
            == "swift-op2: warning: ignoring the environment variable OP2_FUSOIN; did you mean OP2_FUSION?")
    #expect(Setting.misspellingWarning(for: ["OP2_THREADS": "2", "OP2_INSTALL_PATH": "/opt"]) == nil)
    #expect(Setting.editDistance("kitten", "sitting") == 3)
    #expect(Setting.editDistance("", "abc") == 3)
    #expect(Setting.editDistance("abc", "") == 3)
  }

  @Test("command-line choices override the environment, and --threads alone selects the threaded backend")
  func overrides() throws {
    #expect(try OP2.Configuration.fromEnvironment([:], backend: nil, threads: nil).backend == .sequential)
    #expect(try OP2.Configuration.fromEnvironment([:], backend: nil, threads: 3).backend == .threaded(threads: 3))
    #expect(try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "sequential"], backend: nil, threads: 3).backend == .sequential)
    #expect(try OP2.Configuration.fromEnvironment(["OP2_BACKEND": "sequential"], backend: "threaded", threads: 2).backend == .threaded(threads: 2))
    #expect(throws: OP2Error.invalidConfiguration(variable: "--backend", value: "cuda", expected: "sequential, threaded or opencl")) {
      try OP2.Configuration.fromEnvironment([:], backend: "cuda", threads: nil)
    }
  }
}
