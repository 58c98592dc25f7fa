import Synchronization

/// Whether a Dat's halo copy is out of date (OP2's `dirtybit`).
///
/// A Dat's halo goes stale when a loop or the host writes the Dat, and is refreshed by an
/// exchange only when a later loop reads it through a map (or directly, on the exec halo). A Dat
/// on a set that is not distributed has no halo, and the flag is never consulted.
package final class _HaloState: Sendable {
  private let staleFlag = Atomic<Bool>(true)

  package init() {}

  package var isStale: Bool { staleFlag.load(ordering: .acquiring) }
  package func markStale() { staleFlag.store(true, ordering: .releasing) }
  package func markCurrent() { staleFlag.store(false, ordering: .releasing) }
}
