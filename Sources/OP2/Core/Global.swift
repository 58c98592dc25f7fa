/// A small array of `dim` values shared by every element of a loop: a constant input (READ) or
/// the target of a reduction (INC, MIN, MAX).
///
/// ```swift
/// let rms = Global<Double>(value: 0, name: "rms")
/// try parLoop(update, over: cells, ..., rms(.inc))
/// print(rms.value[0])          // runs the queued loops that reduce into rms
/// ```
///
/// Reductions are combined after the loop, per thread or rank, in a fixed order. The
/// corresponding PyOP2 class is `op2.Global`; in OP2, `op_arg_gbl`.
public final class Global<T: OP2Scalar>: _ArgData, CustomStringConvertible, @unchecked Sendable {
  /// Number of values.
  public let dim: Int
  /// The name used in messages.
  public let name: String
  package let storage: _UnsafeDatBuffer
  /// Whether the host or a device copy is current.
  package let residence = _DataResidence()

  /// Creates a Global of `dim` values.
  /// - Throws: ``OP2Error/invalidSize(object:what:value:)`` for `dim < 1`,
  ///   ``OP2Error/valueCountMismatch(object:expected:got:)`` when `value.count != dim`.
  public init(dim: Int, value: [T], name: String? = nil) throws(OP2Error) {
    let name = name ?? "global"
    guard dim >= 1 else { throw .invalidSize(object: "Global \"\(name)\"", what: "dim (at least 1)", value: dim) }
    guard value.count == dim else { throw .valueCountMismatch(object: "Global \"\(name)\"", expected: dim, got: value.count) }
    self.dim = dim
    self.name = name
    storage = _UnsafeDatBuffer(byteCount: dim * MemoryLayout<T>.stride)
    storage.store(value)
  }

  /// Creates a Global of `dim` copies of `value` (a scalar Global by default).
  /// - Precondition: `dim >= 1`; a violation stops the program with a message (in release
  ///   builds too). ``init(dim:value:name:)`` with an array throws instead.
  public convenience init(dim: Int = 1, value: T, name: String? = nil) {
    do {
      try self.init(dim: dim, value: Array(repeating: value, count: max(dim, 0)), name: name)
    } catch {
      fatalError(error.description)
    }
  }

  /// The values. Reading runs the queued loops that reduce into this Global. Setting is ordered
  /// after the queued loops that use the Global without running them: the store is queued behind
  /// them (so `rms.value = [0]` between two reductions does not force the first).
  /// - Precondition: a new value has `dim` elements; a violation stops the program with the
  ///   message of ``setValue(_:)``'s error (in release builds too), which throws instead.
  public var value: [T] {
    get {
      Runtime.current.prepareHostAccess(to: self, writing: false)
      return storage.load(T.self, count: dim)
    }
    set {
      do { try setValue(newValue) } catch { fatalError(error.description) }
    }
  }

  /// Replaces the values; see ``value``.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)``; the Global is unchanged then.
  public func setValue(_ newValue: [T]) throws(OP2Error) {
    guard newValue.count == dim else { throw .valueCountMismatch(object: "Global \"\(name)\"", expected: dim, got: newValue.count) }
    let storage = self.storage, residence = self.residence
    Runtime.current.hostStore(into: self) {
      storage.store(newValue)
      residence.hostDidOverwrite()
    }
  }

  /// An argument of the given access: READ, INC, MIN or MAX (WRITE and RW are rejected by `parLoop`).
  public func callAsFunction(_ access: Access) -> Arg {
    Arg(data: self, access: access, map: nil, index: nil)
  }

  package var cType: String { T.cType }
  package var elementSize: Int { MemoryLayout<T>.stride }
  package var set: Set? { nil }
  public var description: String { "Global<\(T.self)>(\"\(name)\", dim: \(dim))" }
}

/// A Global seen without its element type, for combining per-thread reduction slots.
package protocol _ReductionTarget: AnyObject {
  /// Folds `partials` (one slot per thread, in thread order) into the Global's value.
  func combine(partials: [_UnsafeDatBuffer], access: Access)
}

extension Global: _ReductionTarget {
  package func combine(partials: [_UnsafeDatBuffer], access: Access) {
    var result = storage.load(T.self, count: dim)
    for slot in partials {
      let part = slot.load(T.self, count: dim)
      for d in 0..<dim {
        switch access {
        case .inc: result[d] += part[d]
        case .min: result[d] = Swift.min(result[d], part[d])
        case .max: result[d] = Swift.max(result[d], part[d])
        default: preconditionFailure("Global \(name): \(access) is not a reduction")
        }
      }
    }
    storage.store(result)
  }
}
