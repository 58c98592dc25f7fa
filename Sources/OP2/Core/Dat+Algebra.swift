import Synchronization

// Element-wise arithmetic on Dats, PyOP2's `Dat.__add__`, `__iadd__`, `inner`, `norm`, `copy`
// and `_axpy`. Every operation is a generated direct par_loop: it runs on every backend, is
// queued like any loop when evaluation is lazy, fuses with neighbouring direct loops over the
// same set, and under MPI touches owned elements only.

extension Dat {
  // MARK: New Dats

  /// The element-wise sum of two Dats on the same ``DataSet``, as a new Dat.
  ///
  /// Like every Dat operation this is a generated direct ``parLoop(_:over:_:)-(Kernel,Set,Arg...)``:
  /// with lazy evaluation it is only queued, and runs when the result (or anything that depends
  /// on it) is read. Operators throw, so write `let c = try a + b`.
  ///
  /// - Parameters:
  ///   - lhs: The left operand.
  ///   - rhs: The right operand, on the same set with the same dim.
  /// - Returns: A new Dat named `(lhs + rhs)` on `lhs.dataSet`.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the Dats'
  ///   sets or dims differ (dtypes differ only at compile time: both are `Dat<T>`); nothing is
  ///   queued or changed then.
  ///
  /// The corresponding PyOP2 method is `Dat.__add__`; OP2 has none.
  public static func + (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.add, rhs) }
  /// The element-wise difference `lhs - rhs` as a new Dat; see ``+(_:_:)-(Dat<T>,Dat<T>)``.
  public static func - (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.subtract, rhs) }
  /// The element-wise product as a new Dat; see ``+(_:_:)-(Dat<T>,Dat<T>)``.
  public static func * (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.multiply, rhs) }
  /// The element-wise quotient as a new Dat; see ``+(_:_:)-(Dat<T>,Dat<T>)``. Integer Dats divide
  /// as C does (truncating); dividing by zero is then undefined, as in C.
  public static func / (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.divide, rhs) }

  /// Every value of `lhs` plus the scalar `rhs`, as a new Dat.
  ///
  /// The scalar travels as a READ ``Global`` argument, so one compiled kernel serves every value.
  /// There are no `scalar + Dat` operators: generic overloads with the scalar on the left make
  /// Swift's type checker give up on ordinary arithmetic (`(x[i] + y[i]) * 2.5 - z[i]`) in every
  /// file that imports OP2. Write `a + 2` rather than `2 + a`, and `-a + 2` for `2 - a`.
  /// - Throws: ``OP2Error`` only when the generated loop fails to compile or load.
  public static func + (lhs: Dat<T>, rhs: T) throws(OP2Error) -> Dat<T> { try lhs.combined(.add, scalar: rhs) }
  /// Every value of `lhs` minus `rhs`, as a new Dat; see ``+(_:_:)-(Dat<T>,T)``.
  public static func - (lhs: Dat<T>, rhs: T) throws(OP2Error) -> Dat<T> { try lhs.combined(.subtract, scalar: rhs) }
  /// Every value of `lhs` times `rhs`, as a new Dat; see ``+(_:_:)-(Dat<T>,T)``.
  public static func * (lhs: Dat<T>, rhs: T) throws(OP2Error) -> Dat<T> { try lhs.combined(.multiply, scalar: rhs) }
  /// Every value of `lhs` divided by `rhs`, as a new Dat; see ``+(_:_:)-(Dat<T>,T)``.
  public static func / (lhs: Dat<T>, rhs: T) throws(OP2Error) -> Dat<T> { try lhs.combined(.divide, scalar: rhs) }
  /// `lhs` plus a ``Global``: its one value added to every value, or, when its dim is the Dat's,
  /// value `d` added to component `d` of every element. A new Dat.
  ///
  /// The Global is a READ argument: its value is the one it has when the loop runs (queued
  /// stores to it are ordered before).
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the Global's
  ///   dim is neither 1 nor the Dat's dim.
  public static func + (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.add, global: rhs) }
  /// `lhs` minus a ``Global``, as a new Dat; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func - (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.subtract, global: rhs) }
  /// `lhs` times a ``Global``, as a new Dat; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func * (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.multiply, global: rhs) }
  /// `lhs` divided by a ``Global``, as a new Dat; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func / (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) -> Dat<T> { try lhs.combined(.divide, global: rhs) }

  /// Every value negated, as a new Dat. The corresponding PyOP2 method is `Dat.__neg__`.
  /// - Throws: ``OP2Error`` only when the generated loop fails to compile or load.
  public static prefix func - (operand: Dat<T>) throws(OP2Error) -> Dat<T> {
    let result = Dat<T>(operand.dataSet, name: "(-\(operand.name))")
    try operand.run(DatAlgebra.Key(form: .negate, cType: T.cType, dim: operand.dim), result(.write), operand(.read))
    return result
  }

  // MARK: In place

  /// Adds `rhs` to `lhs` element by element, in place (`lhs` may be `rhs`).
  ///
  /// A generated direct loop with `lhs` RW and `rhs` READ: queued when evaluation is lazy.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the sets or
  ///   dims differ; `lhs` is unchanged and nothing is queued then.
  ///
  /// The corresponding PyOP2 method is `Dat.__iadd__`.
  public static func += (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) { try lhs.update(.add, rhs) }
  /// Subtracts `rhs` from `lhs` in place; see ``+=(_:_:)-(Dat<T>,Dat<T>)``.
  public static func -= (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) { try lhs.update(.subtract, rhs) }
  /// Multiplies `lhs` by `rhs` element by element, in place; see ``+=(_:_:)-(Dat<T>,Dat<T>)``.
  public static func *= (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) { try lhs.update(.multiply, rhs) }
  /// Divides `lhs` by `rhs` element by element, in place; see ``+=(_:_:)-(Dat<T>,Dat<T>)``.
  public static func /= (lhs: Dat<T>, rhs: Dat<T>) throws(OP2Error) { try lhs.update(.divide, rhs) }

  /// Adds the scalar `rhs` to every value of `lhs`, in place; see ``+(_:_:)-(Dat<T>,T)``.
  public static func += (lhs: Dat<T>, rhs: T) throws(OP2Error) { try lhs.update(.add, scalar: rhs) }
  /// Subtracts the scalar `rhs` from every value, in place; see ``+(_:_:)-(Dat<T>,T)``.
  public static func -= (lhs: Dat<T>, rhs: T) throws(OP2Error) { try lhs.update(.subtract, scalar: rhs) }
  /// Multiplies every value by the scalar `rhs`, in place; see ``+(_:_:)-(Dat<T>,T)``.
  public static func *= (lhs: Dat<T>, rhs: T) throws(OP2Error) { try lhs.update(.multiply, scalar: rhs) }
  /// Divides every value by the scalar `rhs`, in place; see ``+(_:_:)-(Dat<T>,T)``.
  public static func /= (lhs: Dat<T>, rhs: T) throws(OP2Error) { try lhs.update(.divide, scalar: rhs) }

  /// Adds a ``Global`` to `lhs` in place; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func += (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) { try lhs.update(.add, global: rhs) }
  /// Subtracts a ``Global`` from `lhs` in place; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func -= (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) { try lhs.update(.subtract, global: rhs) }
  /// Multiplies `lhs` by a ``Global`` in place; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func *= (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) { try lhs.update(.multiply, global: rhs) }
  /// Divides `lhs` by a ``Global`` in place; see ``+(_:_:)-(Dat<T>,Global<T>)``.
  public static func /= (lhs: Dat<T>, rhs: Global<T>) throws(OP2Error) { try lhs.update(.divide, global: rhs) }

  /// Adds `alpha * x` to this Dat in place (`self` may be `x`): BLAS's `axpy`, one loop.
  ///
  /// - Parameters:
  ///   - alpha: The scale, passed as a READ Global (one compiled kernel serves every value).
  ///   - x: A Dat on the same set with the same dim.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the sets or
  ///   dims differ; nothing changes then.
  ///
  /// The corresponding PyOP2 methods are `Dat._iop` with a scaled operand and Firedrake's
  /// `Function.assign(f + alpha * g)`, which PyOP2 fuses into one loop the same way.
  public func axpy(_ alpha: T, _ x: Dat<T>) throws(OP2Error) {
    try checkOperand(x, operation: "\(name).axpy(\(alpha), \(x.name))")
    let a = Global<T>(value: alpha, name: "alpha")
    if x === self {
      try run(DatAlgebra.Key(form: .axpySelf, cType: T.cType, dim: dim), self(.rw), a(.read))
    } else {
      try run(DatAlgebra.Key(form: .axpy, cType: T.cType, dim: dim), self(.rw), a(.read), x(.read))
    }
  }

  /// Copies this Dat's values into `other`, a Dat on the same set with the same dim.
  ///
  /// A generated direct loop (`other` WRITE, `self` READ), queued when evaluation is lazy; copying
  /// a Dat to itself does nothing. To make a new Dat with a copy of the values now, on the host,
  /// use ``init(copying:name:)``.
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the sets or
  ///   dims differ; `other` is unchanged then.
  ///
  /// The corresponding PyOP2 method is `Dat.copy(other)`; in OP2, a user kernel.
  public func copy(to other: Dat<T>) throws(OP2Error) {
    try other.checkOperand(self, operation: "\(name).copy(to: \(other.name))")
    guard other !== self else { return }
    try run(DatAlgebra.Key(form: .copy, cType: T.cType, dim: dim), other(.write), self(.read))
  }

  // MARK: Reductions

  /// The inner product: the sum over every owned element and component of `self * other`.
  ///
  /// A generated loop that reduces into a ``Global`` with INC, then reads it: this runs the queued
  /// loops the result depends on. Under MPI each rank sums its owned elements and the Global's
  /// reduction sums the ranks, so every rank gets the same value. Integer Dats sum in their own
  /// type (overflow wraps as in C).
  /// - Throws: ``OP2Error/algebraMismatch(operation:operand:found:expected:)`` when the sets or
  ///   dims differ.
  ///
  /// The corresponding PyOP2 method is `Dat.inner`.
  public func inner(_ other: Dat<T>) throws(OP2Error) -> T {
    try checkOperand(other, operation: "\(name).inner(\(other.name))")
    let sum = Global<T>(value: 0, name: "inner")
    if other === self {
      try run(DatAlgebra.Key(form: .innerSelf, cType: T.cType, dim: dim), self(.read), sum(.inc))
    } else {
      try run(DatAlgebra.Key(form: .inner, cType: T.cType, dim: dim), self(.read), other(.read), sum(.inc))
    }
    return sum.value[0]
  }

  // MARK: Implementation

  /// Throws when `other` is not on this Dat's set with this Dat's dim.
  package func checkOperand(_ other: Dat<T>, operation: String) throws(OP2Error) {
    guard other.dataSet.set === dataSet.set, other.dim == dim else {
      throw .algebraMismatch(operation: operation, operand: "Dat \"\(other.name)\"", found: "on \(other.dataSet)",
                             expected: "\(dataSet), the DataSet of \(name)")
    }
  }

  private func checkOperand(_ global: Global<T>, operation: String) throws(OP2Error) {
    guard global.dim == 1 || global.dim == dim else {
      throw .algebraMismatch(operation: operation, operand: "Global \"\(global.name)\"", found: "of dim \(global.dim)",
                             expected: "dim 1 or \(dim), the dim of \(name)")
    }
  }

  private func combined(_ op: DatAlgebra.Operation, _ rhs: Dat<T>) throws(OP2Error) -> Dat<T> {
    try checkOperand(rhs, operation: "\(name) \(op.symbol) \(rhs.name)")
    let result = Dat<T>(dataSet, name: "(\(name) \(op.symbol) \(rhs.name))")
    try run(DatAlgebra.Key(form: .binary(op, broadcast: false), cType: T.cType, dim: dim), result(.write), self(.read), rhs(.read))
    return result
  }

  private func combined(_ op: DatAlgebra.Operation, scalar: T) throws(OP2Error) -> Dat<T> {
    let value = Global<T>(value: scalar, name: "scalar")
    let result = Dat<T>(dataSet, name: "(\(name) \(op.symbol) \(scalar))")
    try run(DatAlgebra.Key(form: .binary(op, broadcast: true), cType: T.cType, dim: dim), result(.write), self(.read), value(.read))
    return result
  }

  private func combined(_ op: DatAlgebra.Operation, global: Global<T>) throws(OP2Error) -> Dat<T> {
    try checkOperand(global, operation: "\(name) \(op.symbol) \(global.name)")
    let result = Dat<T>(dataSet, name: "(\(name) \(op.symbol) \(global.name))")
    let form = DatAlgebra.Form.binary(op, broadcast: global.dim == 1)
    try run(DatAlgebra.Key(form: form, cType: T.cType, dim: dim), result(.write), self(.read), global(.read))
    return result
  }

  private func update(_ op: DatAlgebra.Operation, _ rhs: Dat<T>) throws(OP2Error) {
    try checkOperand(rhs, operation: "\(name) \(op.symbol)= \(rhs.name)")
    if rhs === self {
      try run(DatAlgebra.Key(form: .updateSelf(op), cType: T.cType, dim: dim), self(.rw))
    } else {
      try run(DatAlgebra.Key(form: .update(op, broadcast: false), cType: T.cType, dim: dim), self(.rw), rhs(.read))
    }
  }

  private func update(_ op: DatAlgebra.Operation, scalar: T) throws(OP2Error) {
    let value = Global<T>(value: scalar, name: "scalar")
    try run(DatAlgebra.Key(form: .update(op, broadcast: true), cType: T.cType, dim: dim), self(.rw), value(.read))
  }

  private func update(_ op: DatAlgebra.Operation, global: Global<T>) throws(OP2Error) {
    try checkOperand(global, operation: "\(name) \(op.symbol)= \(global.name)")
    try run(DatAlgebra.Key(form: .update(op, broadcast: global.dim == 1), cType: T.cType, dim: dim), self(.rw), global(.read))
  }

  private func run(_ key: DatAlgebra.Key, _ args: Arg...) throws(OP2Error) {
    let kernel = DatAlgebra.kernel(for: key)
    if dataSet.set is ExtrudedSet {
      // Every entity of each column, the top layer too (a cell loop stops below it).
      try Runtime.current.submit(ParLoop(kernel: kernel, set: dataSet.set, args: args, layers: .entities))
      return
    }
    try parLoop(kernel, over: dataSet.set, args)
  }
}

extension Dat where T: FloatingPoint {
  /// The Euclidean norm, `sqrt(inner(self))`, over every owned element (all ranks under MPI).
  ///
  /// Reading it runs the queued loops that write this Dat (see ``inner(_:)``).
  /// - Throws: ``OP2Error`` only when the generated loop fails to compile or load.
  ///
  /// The corresponding PyOP2 property is `Dat.norm`.
  public var norm: T {
    get throws(OP2Error) { try inner(self).squareRoot() }
  }
}

/// The generated kernels of Dat arithmetic, built once per operation, dtype and dim.
package enum DatAlgebra {
  package enum Operation: Hashable, Sendable {
    case add, subtract, multiply, divide
    var symbol: String {
      switch self {
      case .add: "+"
      case .subtract: "-"
      case .multiply: "*"
      case .divide: "/"
      }
    }
    var word: String {
      switch self {
      case .add: "add"
      case .subtract: "sub"
      case .multiply: "mul"
      case .divide: "div"
      }
    }
  }

  /// The shape of a generated kernel; `broadcast` means the right operand has one value (`y[0]`).
  package enum Form: Hashable, Sendable {
    /// `r = x op y`.
    case binary(Operation, broadcast: Bool)
    /// `x = x op y`.
    case update(Operation, broadcast: Bool)
    /// `x = x op x`.
    case updateSelf(Operation)
    /// `r = -x`.
    case negate
    /// `x += alpha[0] * y`.
    case axpy
    /// `x += alpha[0] * x`.
    case axpySelf
    /// `r = x`.
    case copy
    /// `g[0] += x * y`.
    case inner
    /// `g[0] += x * x`.
    case innerSelf
    /// `r = 0` (``Dat/zero(subset:)``).
    case zero
  }

  package struct Key: Hashable, Sendable {
    var form: Form
    var cType: String
    var dim: Int
  }

  private static let cache = Mutex<[Key: Kernel]>([:])

  /// The kernel for `key`, generated on first use and cached for the process.
  package static func kernel(for key: Key) -> Kernel {
    if let k = cache.withLock({ $0[key] }) { return k }
    let k = generate(key)
    return cache.withLock { c in
      if let existing = c[key] { return existing }
      c[key] = k
      return k
    }
  }

  /// Number of cached kernels (for tests).
  package static var cachedKernelCount: Int { cache.withLock { $0.count } }

  /// The kernel's C names start with `__op2_`, which no ``Const`` may (a Const named `alpha` or
  /// `x` would otherwise be `#define`d into the kernel on OpenCL).
  private static func generate(_ key: Key) -> Kernel {
    let t = key.cType
    let (suffix, parameters, body): (String, String, String)
    func y(_ broadcast: Bool) -> String { broadcast ? "__op2_y[0]" : "__op2_y[__op2_d]" }
    switch key.form {
    case let .binary(op, broadcast):
      suffix = "\(op.word)_\(broadcast ? "s" : "d")"
      parameters = "\(t) *__op2_r, const \(t) *__op2_x, const \(t) *__op2_y"
      body = "__op2_r[__op2_d] = __op2_x[__op2_d] \(op.symbol) \(y(broadcast));"
    case let .update(op, broadcast):
      suffix = "i\(op.word)_\(broadcast ? "s" : "d")"
      parameters = "\(t) *__op2_x, const \(t) *__op2_y"
      body = "__op2_x[__op2_d] = __op2_x[__op2_d] \(op.symbol) \(y(broadcast));"
    case let .updateSelf(op):
      suffix = "i\(op.word)_self"
      parameters = "\(t) *__op2_x"
      body = "__op2_x[__op2_d] = __op2_x[__op2_d] \(op.symbol) __op2_x[__op2_d];"
    case .negate:
      suffix = "neg"
      parameters = "\(t) *__op2_r, const \(t) *__op2_x"
      body = "__op2_r[__op2_d] = -__op2_x[__op2_d];"
    case .axpy:
      suffix = "axpy"
      parameters = "\(t) *__op2_x, const \(t) *__op2_alpha, const \(t) *__op2_y"
      body = "__op2_x[__op2_d] += __op2_alpha[0] * __op2_y[__op2_d];"
    case .axpySelf:
      suffix = "axpy_self"
      parameters = "\(t) *__op2_x, const \(t) *__op2_alpha"
      body = "__op2_x[__op2_d] += __op2_alpha[0] * __op2_x[__op2_d];"
    case .copy:
      suffix = "copy"
      parameters = "\(t) *__op2_r, const \(t) *__op2_x"
      body = "__op2_r[__op2_d] = __op2_x[__op2_d];"
    case .inner:
      suffix = "inner"
      parameters = "const \(t) *__op2_x, const \(t) *__op2_y, \(t) *__op2_g"
      body = "__op2_g[0] += __op2_x[__op2_d] * __op2_y[__op2_d];"
    case .innerSelf:
      suffix = "inner_self"
      parameters = "const \(t) *__op2_x, \(t) *__op2_g"
      body = "__op2_g[0] += __op2_x[__op2_d] * __op2_x[__op2_d];"
    case .zero:
      suffix = "zero"
      parameters = "\(t) *__op2_r"
      body = "__op2_r[__op2_d] = 0;"
    }
    let name = "op2_dat_\(suffix)_\(t)_\(key.dim)"
    return Kernel(code: """
      void \(name)(\(parameters)) {
        for (int __op2_d = 0; __op2_d < \(key.dim); __op2_d++) \(body)
      }
      """, name: name)
  }
}
