// TEMPORARY: replaced by the partitioners branch on merge.
package struct DistributedGraph: Sendable {
  package var vertexOffset: Int
  package var globalVertexCount: Int
  package var adjacencyOffsets: [Int]
  package var adjacency: [Int]
  package var coordinates: [Double]
  package var coordinateDimension: Int
  package var localVertexCount: Int { adjacencyOffsets.count - 1 }
}

package enum GraphPartitioning {
  package enum Method: Sendable { case ptscotch, metis, geometric, block }
  package static func partition(_ graph: DistributedGraph, parts: Int, method: Method, communicator: Communicator) throws(OP2Error) -> [Int32] {
    throw .partitionerFailed(method: "\(method)", reason: "not merged yet")
  }
}
