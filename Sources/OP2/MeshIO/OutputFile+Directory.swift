import Foundation

extension OutputFile {
  /// Makes sure `path` is a directory that files can be written into, creating it (and any
  /// missing parents) when it does not exist: what a `--plot dir/` option needs before a run.
  ///
  /// ```swift
  /// if let plot { try OutputFile.createDirectory(plot) }   // before the solver runs
  /// ```
  ///
  /// A symbolic link to a directory is accepted. Writability is tested as
  /// ``checkWritable(_:)`` does, by creating and removing an empty temporary file inside.
  ///
  /// - Parameter path: The directory as the user gave it (a trailing `/` is fine).
  /// - Throws: ``OP2Error/fileError(path:reason:)`` when `path` is empty, exists but is not a
  ///   directory, cannot be created, or does not accept new files.
  public static func createDirectory(_ path: String) throws(OP2Error) {
    guard !path.isEmpty else { throw OP2Error.fileError(path: path, reason: "an output directory must not be empty") }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw OP2Error.fileError(path: path, reason: "exists and is not a directory") }
    } else {
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      } catch {
        throw OP2Error.fileError(path: path, reason: "the directory cannot be created: \(Self.reason(error))")
      }
    }
    try checkWritable(file(named: ".op2-write-test", in: path))
  }

  /// `name` inside `directory`, with one `/` between them.
  ///
  /// ```swift
  /// OutputFile.file(named: "rms.svg", in: "plots/")   // "plots/rms.svg"
  /// ```
  public static func file(named name: String, in directory: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// Foundation's description of a file-system error, without its domain and code.
  private static func reason(_ error: any Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
      return String(describing: POSIXError(code).localizedDescription)
    }
    return ns.localizedDescription
  }
}
