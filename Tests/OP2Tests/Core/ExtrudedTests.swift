import Testing
@testable import OP2

/// Extruded sets: hand-computed layer walks, offset maps, regions and the layer argument, Mat
/// assembly, and sequential-vs-threaded agreement on random base meshes.
@Suite("Extruded sets")
struct ExtrudedTests {
  /// A strip of `segments` base segments (vertices `0...segments`), extruded to `layers` layers:
  /// quads over the segments, vertex columns of `layers` vertices (entity `v * layers + k`).
  struct Strip {
    let vertices: Set, segments: Set, cells: ExtrudedSet, nodes: ExtrudedSet
    /// cell → its 4 nodes: bottom-left, bottom-right, top-left, top-right; offsets 1.
    let cell2node: Map
    init(segments n: Int, layers: Int) throws {
      vertices = Set(size: n + 1, name: "vertices")
      segments = Set(size: n, name: "segments")
      cells = try ExtrudedSet(segments, layers: layers, name: "cells")
      nodes = try ExtrudedSet(vertices, layers: layers, name: "nodes")
      let L = Int32(layers)
      var values: [Int32] = []
      for s in 0..<Int32(n) {
        let left: Int32 = s * L, right: Int32 = (s + 1) * L
        values += [left, right, left + 1, right + 1]
      }
      cell2node = try Map(from: cells, to: nodes, arity: 4, values: values, offset: [1, 1, 1, 1], name: "cell2node")
    }
  }

  @Test("2 base cells, 3 layers: columns, entities, Dat storage, offsets")
  func counts() throws {
    let strip = try Strip(segments: 2, layers: 3)
    #expect(strip.cells.size == 2 && strip.cells.layers == 3 && strip.cells.cellsPerColumn == 2)
    #expect(strip.nodes.size == 3 && strip.nodes.base === strip.vertices)
    let x = Dat<Double>(strip.nodes ** 2, name: "x")
    #expect(x.data.count == 3 * 3 * 2)
    #expect((strip.nodes ** 2).count == 18)
    #expect(strip.cell2node.offset == [1, 1, 1, 1] && strip.cell2node.values == [0, 3, 1, 4, 3, 6, 4, 7])
    let plain = try Map(from: strip.cells, to: strip.nodes, arity: 1, values: [0, 3], name: "plain")
    #expect(plain.offset == [0])
  }

  @Test("regions visit the hand-listed layers with the layer argument", arguments: Backend.available.filter { !$0.isOpenCL })
  func regions(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      // 2 columns of 3 entity layers (2 cells each); entity (c, k) at c * 3 + k.
      let strip = try Strip(segments: 2, layers: 3)
      let id = try Dat<Int32>(strip.cells ** 1, values: [0, 0, 0, 10, 10, 10], name: "id")
      let k = Kernel(code: "void mark(const int *id, int *out, int layer) { out[0] = 100 + id[0] + layer; }", name: "mark")
      let expected: [IterationRegion: [Int32]] = [
        .all: [100, 101, -1, 110, 111, -1],
        .onBottom: [100, -1, -1, 110, -1, -1],
        .onTop: [-1, 101, -1, -1, 111, -1],
      ]
      for (region, want) in expected {
        let out = try Dat<Int32>(strip.cells ** 1, values: Array(repeating: -1, count: 6), name: "out")
        try parLoop(k, over: strip.cells, iterate: region, passLayer: true, id(.read), out(.write))
        #expect(out.data == want, "\(region)")
      }
      // Without a region or the layer: every cell.
      let count = Global<Int32>(value: 0, name: "count")
      let out = try Dat<Int32>(strip.cells ** 1, values: Array(repeating: 0, count: 6), name: "out")
      try parLoop(Kernel(code: "void one(int *o, int *n) { o[0] += 1; n[0] += 1; }", name: "one"), over: strip.cells, out(.rw), count(.inc))
      #expect(out.data == [1, 1, 0, 1, 1, 0] && count.value == [4])
      // A kernel named like the wrapper's loop variables compiles (the wrapper's names are op2_...).
      let named = try Dat<Int32>(strip.cells ** 1, values: Array(repeating: -1, count: 6), name: "named")
      try parLoop(Kernel(code: "void k(int *o, int layer) { o[0] = layer; }", name: "k"), over: strip.cells,
                  iterate: .onTop, passLayer: true, named(.write))
      #expect(named.data == [-1, 1, -1, -1, 1, -1])
      // Handles: validated once, run twice.
      let twice = try Dat<Int32>(strip.cells ** 1, values: Array(repeating: 0, count: 6), name: "twice")
      let bottom = try ParLoop(Kernel(code: "void add(int *o, int layer) { o[0] += 1 + layer; }", name: "add"), over: strip.cells,
                               iterate: .onBottom, passLayer: true, twice(.rw))
      let every = try ParLoop(Kernel(code: "void inc(int *o) { o[0] += 10; }", name: "inc"), over: strip.cells, twice(.rw))
      for _ in 0..<2 { try bottom(); try every() }
      #expect(twice.data == [22, 20, 0, 22, 20, 0])
    }
  }

  @Test("INC through an offset map: each node counts the quads around it", arguments: Backend.available.filter { !$0.isOpenCL })
  func incThroughOffsets(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let strip = try Strip(segments: 2, layers: 3)
      let n = Dat<Double>(strip.nodes ** 1, name: "n")
      let k = Kernel(code: "void touch(double **n) { for (int i = 0; i < 4; i++) n[i][0] += 1; }", name: "touch")
      try parLoop(k, over: strip.cells, n(.inc, strip.cell2node))
      // Quads per vertex column (1, 2, 1) times quads per layer (1, 2, 1).
      #expect(n.data == [1, 2, 1, 2, 4, 2, 1, 2, 1])
      // A map slot at layer k: the top-right node of each quad only.
      let top = Dat<Double>(strip.nodes ** 1, name: "top")
      let slot = Kernel(code: "void tr(double *t, int layer) { t[0] += 1 + layer; }", name: "tr")
      try parLoop(slot, over: strip.cells, passLayer: true, top(.inc, strip.cell2node[3]))
      #expect(top.data == [0, 0, 0, 0, 1, 2, 0, 1, 2])
    }
  }

  @Test("interior facets see the cells below and above", arguments: Backend.available.filter { !$0.isOpenCL })
  func interiorFacets(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      // 2 columns of 4 entity layers: 3 cells, 2 interior facets per column.
      let base = Set(size: 2, name: "base")
      let cells = try ExtrudedSet(base, layers: 4, name: "cells")
      let value = try Dat<Double>(cells ** 1, values: [0, 1, 2, -1, 10, 11, 12, -1], name: "value")
      let self2self = try Map(from: cells, to: cells, arity: 1, values: [0, 4], offset: [1], name: "cell")
      let jump = Dat<Double>(cells ** 1, name: "jump")
      let k = Kernel(code: """
        void jump(const double **v, double **j, int layer) { j[1][0] += 1000 * (layer + 1) + v[1][0] - v[0][0]; }
        """, name: "jump")
      try parLoop(k, over: cells, iterate: .onInteriorFacets, passLayer: true, value(.read, self2self), jump(.inc, self2self))
      // The facet above cell k (k = 0, 1) writes to cell k + 1: 1000 (k + 1) + 1.
      #expect(jump.data == [0, 1001, 2001, 0, 0, 1001, 2001, 0])
      // A slot beyond the arity reaches the cell above.
      let above = Dat<Double>(cells ** 1, name: "above")
      try parLoop(Kernel(code: "void up(const double *v, double *a) { a[0] += v[0]; }", name: "up"), over: cells,
                  iterate: .onInteriorFacets, value(.read, self2self[1]), above(.inc, self2self[0]))
      #expect(above.data == [1, 2, 0, 0, 11, 12, 0, 0])
    }
  }

  @Test("Dat algebra on an extruded Dat covers every entity layer", arguments: Backend.available.filter { !$0.isOpenCL })
  func algebra(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let strip = try Strip(segments: 2, layers: 3)
      let x = try Dat<Double>(strip.nodes ** 1, values: (1...9).map(Double.init), name: "x")
      let y = try x * 2
      #expect(y.data == (1...9).map { 2 * Double($0) })
      #expect(try x.inner(x) == 285)
    }
  }

  @Test("an extruded Mat equals the hand assembly; its sparsity couples each layer's quads", arguments: Backend.available.filter { !$0.isOpenCL })
  func matAssembly(backend: Backend) throws {
    try OP2.withConfiguration(.testing(backend)) {
      let strip = try Strip(segments: 2, layers: 3)
      let A = try Mat<Double>(try Sparsity(strip.nodes ** 1, map: strip.cell2node), name: "A")
      let k = Kernel(code: """
        void quad(double A[4][4], int layer) {
          for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) A[i][j] = (i == j ? 3.0 : -1.0) * (layer + 1);
        }
        """, name: "quad")
      try parLoop(k, over: strip.cells, passLayer: true, A(.inc, rows: strip.cell2node, cols: strip.cell2node))
      // Hand assembly: quad (s, k) has nodes s*3+k, (s+1)*3+k, s*3+k+1, (s+1)*3+k+1.
      var expected = [Double](repeating: 0, count: 81)
      for s in 0..<2 { for layer in 0..<2 {
        let nodes = [s * 3 + layer, (s + 1) * 3 + layer, s * 3 + layer + 1, (s + 1) * 3 + layer + 1]
        for i in 0..<4 { for j in 0..<4 { expected[nodes[i] * 9 + nodes[j]] += (i == j ? 3 : -1) * Double(layer + 1) } }
      } }
      #expect(try A.denseValues() == expected)
      // 9 nodes, each coupled to the nodes of its quads: 4·4 + 4·6 + 1·9 = 49 blocks.
      #expect(A.sparsity.blockNonzeroCount == 49)
    }
  }

  @Test("random base meshes: threaded equals sequential (INC sums to rounding, the rest exactly)", arguments: [UInt64(1), 7, 42])
  func randomDifferential(seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed &* 7919)
    let baseCells = Int.random(in: 30...300, using: &rng), baseVertices = Int.random(in: 5...60, using: &rng)
    let layers = Int.random(in: 2...7, using: &rng)
    let triangles = (0..<(3 * baseCells)).map { _ in Int32.random(in: 0..<Int32(baseVertices), using: &rng) }
    let w = (0..<(baseCells * layers)).map { _ in Double.random(in: -1...1, using: &rng) }
    func run(_ backend: Backend) throws -> [[Double]] {
      try OP2.withConfiguration(.testing(backend)) {
        let cellsBase = Set(size: baseCells, name: "tris"), verticesBase = Set(size: baseVertices, name: "verts")
        let cells = try ExtrudedSet(cellsBase, layers: layers, name: "prisms")
        let nodes = try ExtrudedSet(verticesBase, layers: layers, name: "nodes")
        let L = Int32(layers)
        var values: [Int32] = []
        for c in 0..<baseCells {
          let bottom: [Int32] = (0..<3).map { triangles[3 * c + $0] * L }
          values += bottom
          values += bottom.map { $0 + 1 }
        }
        let prism2node = try Map(from: cells, to: nodes, arity: 6, values: values, offset: Array(repeating: 1, count: 6), name: "prism2node")
        let weight = try Dat<Double>(cells ** 1, values: w, name: "w")
        let acc = Dat<Double>(nodes ** 2, name: "acc")
        let lo = try Dat<Double>(nodes ** 1, values: Array(repeating: 10, count: baseVertices * layers), name: "lo")
        let own = Dat<Double>(cells ** 1, name: "own")
        let total = Global<Double>(value: 0, name: "total")
        let k = Kernel(code: """
          void scatter(const double *w, double **acc, double *lo, double *own, double *total, int layer) {
            for (int i = 0; i < 6; i++) { acc[i][0] += w[0] * (i + 1); acc[i][1] += layer; }
            lo[0] = fmin(lo[0], w[0]);
            own[0] = w[0] * layer;
            total[0] += w[0];
          }
          """, name: "scatter")
        for region in [IterationRegion.all, .onTop, .onBottom] {
          try parLoop(k, over: cells, iterate: region, passLayer: true,
                      weight(.read), acc(.inc, prism2node), lo(.min, prism2node[4]), own(.write), total(.inc))
        }
        return [acc.data, lo.data, own.data, [total.value[0]]]
      }
    }
    let reference = try run(.sequential)
    // A Swift loop for the order-independent results.
    var lo = [Double](repeating: 10, count: baseVertices * layers), own = [Double](repeating: 0, count: baseCells * layers)
    for region in [IterationRegion.all, .onTop, .onBottom] {
      for c in 0..<baseCells { for k in region.layerRange(layers: layers) {
        let node = Int(triangles[3 * c + 1]) * layers + 1 + k
        lo[node] = min(lo[node], w[c * layers + k])
        own[c * layers + k] = w[c * layers + k] * Double(k)
      } }
    }
    #expect(reference[1] == lo && reference[2] == own, "seed \(seed)")
    for threads in [2, 3] {
      let threaded = try run(.threaded(threads: threads))
      // INC sums in a different order across columns: equal up to rounding; the rest exactly.
      for (a, b) in zip(reference[0], threaded[0]) { #expect(abs(a - b) <= 1e-12 * max(1, abs(a)), "seed \(seed), \(threads) threads") }
      #expect(threaded[1] == reference[1] && threaded[2] == reference[2], "seed \(seed), \(threads) threads")
      #expect(abs(threaded[3][0] - reference[3][0]) <= 1e-12 * Double(baseCells * layers), "seed \(seed)")
    }
  }

  @Test("the wrapper reads each map row once per column; regions and the layer argument key the cache")
  func generatedCode() throws {
    let strip = try Strip(segments: 2, layers: 3)
    let n = Dat<Double>(strip.nodes ** 1, name: "n")
    let k = Kernel(code: "void touch(double **n, int layer) { n[0][0] += layer; }", name: "touch")
    let all = try ParLoop(kernel: k, set: strip.cells, args: [n(.inc, strip.cell2node)], passLayer: true)
    let top = try ParLoop(kernel: k, set: strip.cells, args: [n(.inc, strip.cell2node)], layers: .region(.onTop), passLayer: true)
    #expect(all.signature != top.signature)
    let source = WrapperGenerator.generate(signature: all.signature, kernelCode: k.code).source
    let row = try #require(source.range(of: "op2_r0[j] = m0[(size_t)n * 4 + j];"))
    let layerLoop = try #require(source.range(of: "for (int op2_k = op2_k0; op2_k < op2_k1; op2_k++)"))
    #expect(row.upperBound < layerLoop.lowerBound)
    #expect(WrapperGenerator.generate(signature: all.signature, kernelCode: k.code).functionName
            != WrapperGenerator.generate(signature: top.signature, kernelCode: k.code).functionName)
  }

  @Test("plain loops keep their wrappers: no extrusion code, named by the hash used before extrusion existed")
  func plainLoopsUnchanged() throws {
    let s = Set(size: 4, name: "s"), t = Set(size: 3, name: "t")
    let m = try Map(from: s, to: t, arity: 2, values: [0, 1, 1, 2, 2, 0, 0, 2], name: "m")
    let x = Dat<Double>(t ** 1, name: "x"), y = Dat<Double>(s ** 1, name: "y")
    let k = Kernel(code: "void k(double **x, const double *y) { x[0][0] += y[0]; x[1][0] += y[0]; }", name: "k")
    let loop = try ParLoop(kernel: k, set: s, args: [x(.inc, m), y(.read)])
    #expect(loop.signature.extrusion == nil && loop.extrusionBlock == nil)
    for chunked in [true, false] {
      let out = WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code, chunked: chunked)
      let chunk = chunked ? ChunkPlan.width(for: loop.signature.arguments) : nil
      #expect(chunked == (chunk != nil))
      let name = "\(loop.signature.kernelHash)|\(loop.signature.arguments)\(chunk == nil ? "|plain" : "")"
      #expect(out.functionName == "wrap_" + String(StableHash.hex(of: name).prefix(16)))
      #expect(!out.source.contains("op2_"))
    }
  }

  @Test("misuse throws typed errors and changes nothing")
  func errors() throws {
    let base = Set(size: 2, name: "base")
    #expect(throws: OP2Error.invalidSize(object: "ExtrudedSet \"thin\"", what: "layers (at least 2: layers of entities, layers - 1 cells per column)", value: 1)) {
      _ = try ExtrudedSet(base, layers: 1, name: "thin")
    }
    let strip = try Strip(segments: 2, layers: 3)
    #expect(throws: OP2Error.valueCountMismatch(object: "offsets of Map \"m\" (one per slot, arity 4)", expected: 4, got: 3)) {
      _ = try Map(from: strip.cells, to: strip.nodes, arity: 4, values: [0, 3, 1, 4, 3, 6, 4, 7], offset: [1, 1, 1], name: "m")
    }
    #expect(throws: OP2Error.notExtruded(operation: "Map \"m\" with layer offsets", set: "base")) {
      _ = try Map(from: base, to: strip.nodes, arity: 1, values: [0, 3], offset: [1], name: "m")
    }
    // Slot 1 of column 1 is 7: at cell layer 1 it reaches 7 + 1 * 2 = 9, outside the 9 nodes.
    #expect(throws: OP2Error.mapValueOutOfRange(map: "m at cell layer 1", entry: 3, value: 9, targetSet: "nodes", targetSize: 9)) {
      _ = try Map(from: strip.cells, to: strip.nodes, arity: 2, values: [0, 3, 3, 7], offset: [1, 2], name: "m")
    }
    let k = Kernel(code: "void k(double *x) { x[0] = 1; }", name: "k")
    let x = Dat<Double>(base ** 1, name: "x")
    #expect(throws: OP2Error.notExtruded(operation: "parLoop \"k\" with iterate: .onTop", set: "base")) {
      try parLoop(k, over: base, iterate: .onTop, x(.write))
    }
    #expect(throws: OP2Error.notExtruded(operation: "parLoop \"k\" with passLayer: true", set: "base")) {
      _ = try ParLoop(kernel: k, set: base, args: [x(.write)], passLayer: true)
    }
    let c = Dat<Double>(strip.cells ** 1, name: "c")
    #expect(throws: OP2Error.argumentCountMismatch(loop: "k", kernelParameters: 1, arguments: 2)) {
      try parLoop(k, over: strip.cells, passLayer: true, c(.write))
    }
    let badLayer = Kernel(code: "void bad(double *x, double layer) { x[0] = layer; }", name: "bad")
    #expect(throws: OP2Error.dtypeMismatch(.init(loop: "bad", position: 2, argument: "layer"), kernelType: "double layer", dataType: "int (the layer)")) {
      try parLoop(badLayer, over: strip.cells, passLayer: true, c(.write))
    }
    #expect(throws: OP2Error.self) {
      try parLoop(k, over: strip.cells, iterate: .onInteriorFacets, c(.write))
    }
    #expect(throws: OP2Error.unsupportedOnSubset(subset: "some", reason: "cells is an ExtrudedSet; subsets of extruded sets are not supported (use an iteration region)")) {
      _ = try Subset(of: strip.cells, indices: [0], name: "some")
    }
    #expect(c.data == Array(repeating: 0, count: 6))
  }

  @Test("OpenCL rejects extruded loops with a typed error", .enabled(if: Backend.available.contains { $0.isOpenCL }))
  func openCL() throws {
    try OP2.withConfiguration(.testing(.opencl())) {
      let strip = try Strip(segments: 2, layers: 3)
      let c = Dat<Double>(strip.cells ** 1, name: "c")
      let k = Kernel(code: "void k(double *x) { x[0] = 1; }", name: "k")
      #expect(throws: OP2Error.unsupportedOnExtrudedSet(set: "cells", reason: "parLoop \"k\": the OpenCL target does not run loops over extruded sets yet; use the sequential or threaded backend")) {
        try parLoop(k, over: strip.cells, c(.write))
      }
      #expect(c.data == Array(repeating: 0, count: 6))
    }
  }
}

extension Backend {
  var isOpenCL: Bool { if case .opencl = self { return true } else { return false } }
}
