/// Data defined on every element of a ``Set``: `dim` values of type `T` per element.
///
/// Values are stored flat and row-major by element: value `d` of element `i` is at `i * dim + d`.
/// `data` hands out a copy; to work on the storage in place, borrow it with
/// ``withUnsafeMutableBufferPointer(_:)``.
///
/// Loops are recorded lazily (see ``OP2/configure(backend:lazy:)``): reading ``data`` first runs
/// every queued loop this Dat depends on, and writing it first runs every queued loop that reads
/// or writes it.
///
/// ```swift
/// let q = Dat<Double>(cells ** 4, name: "q")                      // zeroed
/// let x = try Dat<Double>(nodes ** 2, values: coordinates, name: "x")
/// try parLoop(adtCalc, over: cells, x(.read, cellToNode), q(.read), adt(.write))
/// print(adt.data[0])
/// ```
///
/// The corresponding PyOP2 class is `op2.Dat`; in OP2, `op_dat` from `op_decl_dat`.
public final class Dat<T: OP2Scalar>: _DistributableData, CustomStringConvertible, @unchecked Sendable {
  /// The set and dimension.
  public let dataSet: DataSet
  /// The name used in messages and timing output.
  public let name: String
  /// This rank's values, halo included (`set.totalSize * dim`); replaced only by partitioning.
  /// (Read by every launch: no dynamic exclusivity checks.)
  @exclusivity(unchecked) package private(set) var storage: _UnsafeDatBuffer
  /// Whether the halo copy is current.
  package let haloState = _HaloState()
  /// Whether the host or a device copy is current.
  package let residence = _DataResidence()

  /// Creates a zero-initialised Dat.
  public init(_ dataSet: DataSet, name: String? = nil) {
    self.dataSet = dataSet
    self.name = name ?? "dat_\(dataSet.set.name)"
    storage = _UnsafeDatBuffer(byteCount: dataSet.storedCount * MemoryLayout<T>.stride)
    // Partitioning never sees extruded data (extruded sets are not distributed).
    if !(dataSet.set is ExtrudedSet) { DistributedRegistry.shared.register(self) }
  }

  /// Creates a Dat holding `values`.
  ///
  /// - Parameters:
  ///   - dataSet: The set and dimension (`cells ** 4`).
  ///   - values: `set.size * dim` values, row-major by element.
  ///   - name: A name for messages.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)`` when `values` has the wrong length.
  public convenience init(_ dataSet: DataSet, values: [T], name: String? = nil) throws(OP2Error) {
    guard values.count == dataSet.count else {
      throw .valueCountMismatch(object: "Dat \"\(name ?? "?")\" on \(dataSet)", expected: dataSet.count, got: values.count)
    }
    self.init(dataSet, name: name)
    storage.store(values)
  }

  /// Creates a Dat with a copy of another Dat's current values (after its queued loops run).
  public convenience init(copying other: Dat<T>, name: String? = nil) {
    self.init(other.dataSet, name: name ?? "\(other.name)_copy")
    Runtime.current.prepareHostAccess(to: other, writing: false)
    storage.copyBytes(from: other.storage)
  }

  /// The values, flat and row-major by element: this rank's owned elements (every element
  /// without MPI; see ``Set/size``). ``gatheredData()`` returns the whole Dat on every rank.
  ///
  /// Reading runs the queued loops that write this Dat and returns a copy: it costs a copy of the
  /// whole Dat each time, so read single values in a loop through ``withValues(_:)`` (in place,
  /// no copy) instead. Setting replaces every value after running the queued loops that use this Dat.
  /// - Precondition: a new value has exactly `dataSet.count` elements; a violation stops the
  ///   program with the message of ``setData(_:)``'s error (in release builds too), which throws instead.
  public var data: [T] {
    get {
      Runtime.current.prepareHostAccess(to: self, writing: false)
      return storage.load(T.self, count: dataSet.count)
    }
    set {
      do { try setData(newValue) } catch { fatalError(error.description) }
    }
  }

  /// Replaces every value.
  /// - Throws: ``OP2Error/valueCountMismatch(object:expected:got:)``; the Dat is unchanged then.
  public func setData(_ values: [T]) throws(OP2Error) {
    guard values.count == dataSet.count else {
      throw .valueCountMismatch(object: "Dat \"\(name)\" on \(dataSet)", expected: dataSet.count, got: values.count)
    }
    Runtime.current.prepareHostAccess(to: self, writing: true)
    storage.store(values)
    haloState.markStale()
  }

  /// Sets every value to zero (after the queued loops that use this Dat run).
  public func zero() {
    Runtime.current.prepareHostAccess(to: self, writing: true)
    storage.zero()
    haloState.markStale()
  }

  /// A direct argument: the kernel receives `T *` pointing at this element's `dim` values.
  public func callAsFunction(_ access: Access) -> Arg {
    Arg(data: self, access: access, map: nil, index: nil)
  }

  /// An indirect argument through every entry of `map`: the kernel receives `T **` with
  /// `map.arity` pointers, each at `dim` values.
  public func callAsFunction(_ access: Access, _ map: Map) -> Arg {
    Arg(data: self, access: access, map: map, index: nil)
  }

  /// An indirect argument through one map slot: the kernel receives `T *` at `dim` values.
  public func callAsFunction(_ access: Access, _ slot: MapSlot) -> Arg {
    Arg(data: self, access: access, map: slot.map, index: slot.index)
  }

  package var cType: String { T.cType }
  package var dim: Int { dataSet.dim }
  package var elementSize: Int { MemoryLayout<T>.stride }
  package var set: Set? { dataSet.set }
  package var halo: _HaloState? { haloState }
  package func replaceStorage(_ storage: _UnsafeDatBuffer) {
    self.storage = storage
    residence.reset()
    haloState.markStale()
  }
  public var description: String { "Dat<\(T.self)>(\"\(name)\", \(dataSet))" }
}
