#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The entry point of a generated wrapper: `void wrap(int start, int end, void **args)`.
package typealias WrapperFunction = @convention(c) (Int32, Int32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Void

/// The element-list entry point of a generated wrapper:
/// `void wrap_list(const int *elements, int start, int end, void **args)` (sparse tiling).
package typealias ListWrapperFunction = @convention(c) (UnsafePointer<Int32>?, Int32, Int32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Void

/// A loaded, compiled loop wrapper.
///
/// Libraries stay loaded for the life of the process (as in PyOP2): a compiled loop may be called
/// again at any time, and unloading buys nothing.
package struct CompiledWrapper: @unchecked Sendable {
  package let function: WrapperFunction
  package let path: String
  /// `void <wrapper>_consts(const char *values)`: copies the run-time Consts in (see ``ConstLayout``).
  package var setConsts: ConstSetterFunction?
  /// The element-list entry point, when the wrapper was generated with one.
  package var listFunction: ListWrapperFunction?

  /// Whether `other` calls the same entry points (a comparison of addresses: no string compared).
  package func isSame(as other: CompiledWrapper) -> Bool {
    unsafeBitCast(function, to: UnsafeRawPointer.self) == unsafeBitCast(other.function, to: UnsafeRawPointer.self)
      && setConsts.map { unsafeBitCast($0, to: UnsafeRawPointer.self) } == other.setConsts.map { unsafeBitCast($0, to: UnsafeRawPointer.self) }
  }
}

/// The run-time Consts' entry point of a generated wrapper.
package typealias ConstSetterFunction = @convention(c) (UnsafeRawPointer?) -> Void

package enum SharedLibrary {
  /// Opens `path` and looks up `symbol` (and `constsSymbol` and `listSymbol`, when given).
  package static func load(path: String, symbol: String, constsSymbol: String? = nil, listSymbol: String? = nil) throws(OP2Error) -> CompiledWrapper {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw .loadFailed(path: path, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed")
    }
    guard let address = dlsym(handle, symbol) else {
      throw .loadFailed(path: path, reason: "symbol \(symbol) not found")
    }
    var wrapper = CompiledWrapper(function: unsafeBitCast(address, to: WrapperFunction.self), path: path)
    if let constsSymbol {
      guard let setter = dlsym(handle, constsSymbol) else {
        throw .loadFailed(path: path, reason: "symbol \(constsSymbol) not found")
      }
      wrapper.setConsts = unsafeBitCast(setter, to: ConstSetterFunction.self)
    }
    if let listSymbol {
      guard let list = dlsym(handle, listSymbol) else {
        throw .loadFailed(path: path, reason: "symbol \(listSymbol) not found")
      }
      wrapper.listFunction = unsafeBitCast(list, to: ListWrapperFunction.self)
    }
    return wrapper
  }
}
