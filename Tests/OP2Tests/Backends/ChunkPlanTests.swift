import Testing
@testable import OP2

/// The chunked (vectorizable) wrapper path: when ``ChunkPlan`` chunks a loop, and that chunked
/// and plain wrappers give the same bits.
@Suite("Chunked wrappers")
struct ChunkPlanTests {
  private func arg(_ kind: LoopSignature.ArgumentKind, _ access: Access, dim: Int = 1, arity: Int = 0,
                   index: Int = -1, alias: Int) -> LoopSignature.ArgumentDescriptor {
    .init(kind: kind, cType: "double", dim: dim, arity: arity, index: index, access: access, dataAlias: alias, mapAlias: alias)
  }

  @Test("ChunkPlan chunks indirect READ and INC loops and nothing that would change the order of updates")
  func rules() {
    // Indirect READ into a direct WRITE: chunked at the preferred width.
    #expect(ChunkPlan.width(for: [arg(.wholeMap, .read, dim: 2, arity: 3, alias: 0), arg(.direct, .write, alias: 1)]) == 16)
    // Indirect INC only: chunked.
    #expect(ChunkPlan.width(for: [arg(.direct, .read, alias: 0), arg(.mapSlot, .inc, index: 0, alias: 1), arg(.mapSlot, .inc, index: 1, alias: 1)]) == 16)
    // Direct only: left to the compiler.
    #expect(ChunkPlan.width(for: [arg(.direct, .read, alias: 0), arg(.direct, .write, alias: 1)]) == nil)
    // Indirect WRITE or RW: a repeated entry would be written out of order.
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .write, index: 0, alias: 0)]) == nil)
    #expect(ChunkPlan.width(for: [arg(.wholeMap, .rw, arity: 2, alias: 0)]) == nil)
    // A Global reduction: vectorizing the accumulator would reorder the sum. A READ Global is fine.
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .read, index: 0, alias: 0), arg(.global, .inc, alias: 1)]) == nil)
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .read, index: 0, alias: 0), arg(.global, .read, alias: 1)]) == 16)
    // A Dat read through a map and also written directly in the same loop.
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .read, index: 0, alias: 0), arg(.direct, .write, alias: 0)]) == nil)
    // A Dat both read and incremented through maps.
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .read, index: 0, alias: 0), arg(.mapSlot, .inc, index: 1, alias: 0)]) == nil)
    // A Mat argument: one insertion per element.
    #expect(ChunkPlan.width(for: [arg(.mapSlot, .read, index: 0, alias: 0), arg(.matrix, .inc, alias: 1)]) == nil)
    // Staging beyond 32 KiB narrows the chunk, then gives up: 4 × 64 × 16 bytes per lane → 8 lanes;
    // 4 × 200 × 16 → none.
    #expect(ChunkPlan.width(for: [arg(.wholeMap, .read, dim: 64, arity: 4, alias: 0)]) == 8)
    #expect(ChunkPlan.width(for: [arg(.wholeMap, .read, dim: 200, arity: 4, alias: 0)]) == nil)
  }

  @Test("chunked and plain wrappers give identical bits on random meshes",
        arguments: Backend.available, [UInt64(5), 17, 99])
  func chunkedEqualsPlain(backend: Backend, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    let nEdges = [1, 15, 16, 17, 1000, 4103][Int(seed % 6)] + Int.random(in: 0...40, using: &rng)
    let nNodes = Int.random(in: 1...200, using: &rng)
    let map = (0..<(2 * nEdges)).map { _ in Int32.random(in: 0..<Int32(nNodes), using: &rng) }
    let x = (0..<(2 * nNodes)).map { _ in Double.random(in: -10...10, using: &rng) }
    let w = (0..<nEdges).map { _ in Double.random(in: 0.1...2, using: &rng) }
    // Indirect READ (x), direct READ (w), indirect INC (res) and direct WRITE (flux): chunkable.
    let k = Kernel(code: """
      void edge_flux(const double *xa, const double *xb, const double *w, double *ra, double *rb, double *flux) {
        double dx = xb[0] - xa[0], dy = xb[1] - xa[1];
        double f = *w * sqrt(dx * dx + dy * dy) / (1.0 + fabs(dx));
        ra[0] += f; rb[0] -= f; ra[1] += f * dy; rb[1] -= f * dy;
        *flux = f;
      }
      """, name: "edge_flux")
    func run(chunking: Bool) throws -> (res: [Double], flux: [Double], source: String) {
      var config = OP2.Configuration.testing(backend)
      config.chunking = chunking
      return try OP2.withConfiguration(config) {
        let edges = Set(size: nEdges, name: "edges"), nodes = Set(size: nNodes, name: "nodes")
        let e2n = try Map(from: edges, to: nodes, arity: 2, values: map, name: "e2n")
        let xd = try Dat<Double>(nodes ** 2, values: x, name: "x")
        let wd = try Dat<Double>(edges ** 1, values: w, name: "w")
        let res = Dat<Double>(nodes ** 2, name: "res")
        let flux = Dat<Double>(edges ** 1, name: "flux")
        let loop = try ParLoop(k, over: edges, xd(.read, e2n[0]), xd(.read, e2n[1]), wd(.read), res(.inc, e2n[0]), res(.inc, e2n[1]), flux(.write))
        try loop()
        let source = WrapperGenerator.generate(signature: loop.signature, kernelCode: k.code, chunked: chunking).source
        return (res.data, flux.data, source)
      }
    }
    let chunked = try run(chunking: true), plain = try run(chunking: false)
    #expect(chunked.source.contains("#pragma omp simd"))
    #expect(!plain.source.contains("#pragma omp simd"))
    #expect(chunked.flux.map(\.bitPattern) == plain.flux.map(\.bitPattern), "seed \(seed)")
    #expect(chunked.res.map(\.bitPattern) == plain.res.map(\.bitPattern), "seed \(seed)")
  }
}
