import ArgumentParser
import CReference
import Foundation
import OP2
import PoissonKit

extension Bench {
  /// P1 Laplacian assembly on the unit square: swift-op2 (`parLoop` with a Mat argument) against
  /// plain C calling MatSetValues per element, into identically preallocated PETSc matrices, in
  /// the same run.
  struct Assembly: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "assembly", abstract: "P1 Laplacian assembly into PETSc: parLoop with a Mat argument vs plain C MatSetValues.")

    @Option(help: "Cells per side of the unit square (2n² triangles; 708 gives 1.0 million).") var n = 708
    @Option(help: "Repeats (best is reported).") var repeats = 5

    func run() throws {
      print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpuModel())")
      var t = now()
      let mesh = TriangleMesh.unitSquare(n: n)
      print("mesh: \(mesh.triangleCount) triangles, \(mesh.nodeCount) nodes, generated in \(f(seconds(t), "%.2f")) s")
      var config = OP2.configuration
      config.lazy = false
      try OP2.withConfiguration(config) {
        let nodes = Set(size: mesh.nodeCount, name: "nodes"), cells = Set(size: mesh.triangleCount, name: "cells")
        let cellToNode = try Map(from: cells, to: nodes, arity: 3, values: mesh.triangles, name: "cell2node")
        let x = try Dat<Double>(nodes ** 2, values: mesh.coordinates, name: "x")
        t = now()
        _ = try Solver(name: "start-up")  // MPI_Init and PetscInitialize, once per process
        print("PETSc start-up (MPI_Init + PetscInitialize): \(f(seconds(t) * 1e3, "%.0f")) ms")
        t = now()
        let sparsity = try Sparsity(nodes ** 1, map: cellToNode)
        let sparsitySeconds = seconds(t)
        t = now()
        let A = try Mat<Double>(sparsity, name: "A")
        let matSeconds = seconds(t)
        print("sparsity: \(sparsity.blockNonzeroCount) nonzeros in \(f(sparsitySeconds * 1e3, "%.1f")) ms; Mat (PETSc preallocation) \(f(matSeconds * 1e3, "%.1f")) ms")
        for backend in [Backend.sequential, .threaded(threads: ProcessInfo.processInfo.activeProcessorCount)] {
          var c = config
          c.backend = backend
          try OP2.withConfiguration(c) {
            let assemble = { () throws(OP2Error) in
              try parLoop(PoissonKernels.stiffness, over: cells, A(.inc, rows: cellToNode, cols: cellToNode), x(.read, cellToNode))
              try A.assemble()
            }
            try A.zero()
            try assemble()  // compile and load outside the timing
            var best = Double.infinity
            for _ in 0..<repeats {
              try A.zero()
              let t = now()
              try assemble()
              best = min(best, seconds(t))
            }
            let norm = try A.frobeniusNorm()
            var cNorm = 0.0
            let rowOffsets = sparsity.rowOffsets, columns = sparsity.columnIndices
            let cBest = mesh.triangles.withUnsafeBufferPointer { c2n in
              mesh.coordinates.withUnsafeBufferPointer { xs in
                rowOffsets.withUnsafeBufferPointer { rp in
                  columns.withUnsafeBufferPointer { ci in
                    creference_p1_assembly(mesh.triangleCount, mesh.nodeCount, c2n.baseAddress, xs.baseAddress, rp.baseAddress,
                                           ci.baseAddress, Int32(repeats), &cNorm)
                  }
                }
              }
            }
            let perCell = { (s: Double) in f(s / Double(mesh.triangleCount) * 1e9, "%.0f") }
            print("\(backend): swift-op2 \(f(best * 1e3, "%.1f")) ms (\(perCell(best)) ns/cell), plain C + MatSetValues \(f(cBest * 1e3, "%.1f")) ms (\(perCell(cBest)) ns/cell); OP2/C = \(f(best / cBest, "%.2f")); ‖A‖_F equal: \(abs(norm - cNorm) <= 1e-12 * cNorm)")
          }
        }
      }
    }
  }
}
