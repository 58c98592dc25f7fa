import Testing
@testable import OP2

@Suite("Kernel signatures")
struct KernelSignatureTests {
  private func parse(_ code: String, _ name: String) throws -> [KernelSignature.Parameter] {
    try Kernel(code: code, name: name).signature.get().parameters
  }

  @Test("array, pointer and qualified parameters parse to base type and depth")
  func parameters() throws {
    let p = try parse("""
      /* a comment mentioning void k(int) */
      static inline void k(double p[2], double *coords[2], const double * restrict x,
                           float **f, int *i, long l[3], int64_t *w, mytype *t) { }
      """, "k")
    #expect(p.map(\.baseType) == ["double", "double", "double", "float", "int", "long", "long", nil])
    #expect(p.map(\.levels) == [1, 2, 1, 2, 1, 1, 1, 1])
  }

  @Test("the kernel is found by name among several functions, not by a prefix")
  func findsRightFunction() throws {
    let p = try parse("""
      void kk(double *a, double *b) { }
      double helper(double x) { return x; }
      void k(float *a) { kk(0, 0); }
      """, "k")
    #expect(p.count == 1)
    #expect(p[0].baseType == "float")
  }

  @Test("void and empty parameter lists have no parameters")
  func empty() throws {
    #expect(try parse("void k(void) { }", "k").isEmpty)
    #expect(try parse("void k() { }", "k").isEmpty)
  }

  @Test("a call of the name is not a definition")
  func callIsNotDefinition() {
    let k = Kernel(code: "void other(double *x) { k(x); }", name: "k")
    #expect(throws: OP2Error.kernelNotFound(kernel: "k")) { try k.signature.get() }
  }
}

@Suite("Timing report")
struct TimingReportTests {
  @Test("each loop is counted with the bytes it moves at least once")
  func counts() throws {
    try OP2.withConfiguration(.testing(lazy: false)) {
      let nodes = Set(size: 10, name: "nodes"), edges = Set(size: 4, name: "edges")
      let e2n = try Map(from: edges, to: nodes, arity: 2, values: [0, 1, 1, 2, 2, 3, 3, 4], name: "e2n")
      let x = Dat<Double>(nodes ** 2, name: "x"), w = Dat<Double>(edges ** 1, name: "w")
      let k = Kernel(code: "void spread(double *w, double **x) { x[0][0] += *w; x[1][0] += *w; }", name: "spread")
      for _ in 0..<3 { try parLoop(k, over: edges, w(.read), x(.inc, e2n)) }
      let report = OP2.timingReport()
      #expect(report.rows.count == 1)
      let row = try #require(report.rows.first)
      #expect(row.name == "spread")
      #expect(row.count == 3)
      // w read once (4 × 8), x read and written (min(10, 4 × 2) × 2 × 8 × 2), map read (4 × 2 × 4), per call.
      #expect(row.bytes == 3 * (32 + 256 + 32))
      #expect(report.description.contains("spread"))
    }
  }

  @Test("the table's columns line up for long fused-group names")
  func longNames() {
    let rows = ["update+save_soln+adt_calc", "res_calc"].map {
      TimingReport.Row(name: $0, count: 10, seconds: 1.5, bytes: 1_000_000, planSeconds: 0.01, colours: 2, blocks: 4)
    }
    let lines = TimingReport(rows: rows, compileSeconds: 0).description.split(separator: "\n")
    // Header, rule, the two rows, rule: all the same width, the counts in the same column.
    #expect(Swift.Set(lines.prefix(5).map(\.count)).count == 1)
    #expect(lines[2].hasPrefix("update+save_soln+adt_calc ") && lines[3].hasPrefix("res_calc "))
    #expect(lines[2].firstRange(of: "10")?.lowerBound.utf16Offset(in: lines[2]) == lines[3].firstRange(of: "10")?.lowerBound.utf16Offset(in: lines[3]))
  }
}
