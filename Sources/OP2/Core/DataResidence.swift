import Foundation

/// A copy of a Dat's or Global's values held by an execution target outside host memory (an
/// OpenCL buffer; later a CUDA allocation).
package protocol _DeviceCopy: AnyObject, Sendable {
  /// Copies the device values into the host storage (counting the transfer where the target
  /// keeps count).
  func download(into storage: _UnsafeDatBuffer) throws(OP2Error)
  /// Copies the host bytes from `offset` on into the device copy (a halo just received).
  func upload(from storage: _UnsafeDatBuffer, fromByte offset: Int) throws(OP2Error)
}

/// Where the current values of one Dat or Global are: in host memory, in a device copy, or both.
///
/// Core keeps only this state; a device target reads and changes it when it launches loops
/// (uploading before a device loop reads stale device data, marking the host copy stale after a
/// device loop writes), and the host side changes it through ``prepareHostAccess(_:writing:)``
/// (called by ``Runtime/prepareHostAccess(to:writing:)``, so by `dat.data`, the zero-copy
/// accessors, `global.value`, solvers and halo exchanges): a host read of stale data downloads
/// it, a host write marks the device copy stale. Without a device target nothing ever changes:
/// the host copy is always current and every call is a check of one flag.
///
/// The corresponding OP2 state is `op_dat`'s `dirty_hd` (1: host newer, 2: device newer);
/// PyOP2's `DeviceDataMixin` keeps `_state` (`DEVICE_UNALLOCATED`, `HOST`, `DEVICE`, `BOTH`).
package final class _DataResidence: @unchecked Sendable {
  /// The state a device target works with, under the residence's lock.
  package struct State {
    /// Whether host memory holds the current values.
    package var hostIsCurrent = true
    /// The device copy, if a target made one.
    package var device: (any _DeviceCopy)?
    /// Whether the device copy holds the current values.
    package var deviceIsCurrent = false
  }

  private let lock = NSLock()
  private var state = State()

  package init() {}

  /// Runs `body` on the state, under the lock.
  package func withState<R>(_ body: (inout State) throws(OP2Error) -> R) throws(OP2Error) -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&state)
  }

  /// Makes the host copy current before the host reads `storage` (downloading it if a device
  /// loop wrote it since); before a host write (`writing`), also marks the device copy stale.
  /// - Precondition: the download succeeds (a failing device transfer has no recovery here).
  package func prepareHostAccess(_ storage: _UnsafeDatBuffer, writing: Bool) {
    lock.lock()
    defer { lock.unlock() }
    if !state.hostIsCurrent, let device = state.device {
      do throws(OP2Error) {
        try device.download(into: storage)
      } catch {
        preconditionFailure("downloading device data: \(error)")
      }
      state.hostIsCurrent = true
    }
    if writing { state.deviceIsCurrent = false }
  }

  /// Records that the host replaced every value: the host copy is current, the device's stale.
  package func hostDidOverwrite() {
    lock.withLock {
      state.hostIsCurrent = true
      state.deviceIsCurrent = false
    }
  }

  /// Records that a device loop wrote the values: the device copy is current, the host's stale.
  package func deviceDidWrite() {
    lock.withLock {
      state.deviceIsCurrent = true
      state.hostIsCurrent = false
    }
  }

  /// Records that the host wrote the bytes of `storage` from `offset` on (a halo exchange's
  /// unpacking): a current device copy gets those bytes; a stale one gets everything later.
  /// - Precondition: the upload succeeds.
  package func hostDidWrite(_ storage: _UnsafeDatBuffer, fromByte offset: Int) {
    lock.lock()
    defer { lock.unlock() }
    guard state.deviceIsCurrent, let device = state.device, offset < storage.byteCount else { return }
    do throws(OP2Error) {
      try device.upload(from: storage, fromByte: offset)
    } catch {
      preconditionFailure("uploading a halo to the device: \(error)")
    }
  }

  /// Forgets the device copy (the host storage was replaced, by partitioning).
  package func reset() {
    lock.withLock { state = State() }
  }

  /// Whether the host copy is current (for tests and reports).
  package var hostIsCurrent: Bool { lock.withLock { state.hostIsCurrent } }
}

extension _ArgData {
  /// Makes the host copy current before host code touches ``storage`` (see ``_DataResidence``).
  package func prepareHostStorage(writing: Bool) {
    residence.prepareHostAccess(storage, writing: writing)
  }
}
