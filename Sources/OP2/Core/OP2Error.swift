/// An error that swift-op2 throws for bad input or a failed toolchain step.
///
/// Every case carries *where* the problem is — the loop, the argument position and the names of
/// the objects involved — and ``description`` renders the sentence in one place, for example:
///
///     parLoop "res_calc", argument 7 (res via pecell[0]): pecell maps to cells but res is defined on nodes
///
/// A rejected call leaves every Dat, Global, Map and cache entry as it was. Errors are `Codable`,
/// so that under MPI the rank that finds a problem can hand the very same error to every rank.
///
/// The corresponding PyOP2 exceptions live in `pyop2.exceptions` (`MapValueError`,
/// `DataTypeError`, `CompilationError`, ...); OP2-Common aborts with `op_printf` messages instead.
public enum OP2Error: Error, Equatable, Sendable, Codable, CustomStringConvertible {
  /// Where in a `parLoop` call a problem was found.
  public struct ArgumentLocation: Equatable, Sendable, Codable {
    /// The kernel's name, which names the loop.
    public var loop: String
    /// 1-based position of the argument in the `parLoop` call.
    public var position: Int
    /// A short rendering of the argument, such as `res via pecell[0]`.
    public var argument: String
    public init(loop: String, position: Int, argument: String) {
      self.loop = loop
      self.position = position
      self.argument = argument
    }
  }

  // MARK: Object construction

  /// A size, dimension or arity is out of range; `what` names it and its allowed range.
  case invalidSize(object: String, what: String, value: Int)
  /// The number of values given does not fit the object's shape.
  case valueCountMismatch(object: String, expected: Int, got: Int)
  /// A map entry points outside the map's target set.
  case mapValueOutOfRange(map: String, entry: Int, value: Int, targetSet: String, targetSize: Int)
  /// `map[i]` with `i` outside `0..<arity`.
  case mapIndexOutOfRange(map: String, index: Int, arity: Int)
  /// A `Const` with this name already exists.
  case duplicateConst(name: String)
  /// A name that must be a C identifier is not one.
  case invalidIdentifier(object: String, name: String)
  /// A name that C or the generated code's headers already use (`double`, `M_PI`, `sqrt`).
  case reservedName(object: String, name: String)

  // MARK: Kernels and loops

  /// The kernel's code defines no function with the kernel's name.
  case kernelNotFound(kernel: String)
  /// The kernel's parameter list has a different length than the loop's argument list.
  case argumentCountMismatch(loop: String, kernelParameters: Int, arguments: Int)
  /// A kernel parameter's C type does not match the data passed for it.
  case dtypeMismatch(ArgumentLocation, kernelType: String, dataType: String)
  /// A kernel parameter declares an array larger than the argument provides (`double x[4]` for a
  /// Dat of dim 2): the kernel would read or write past the data.
  case extentMismatch(ArgumentLocation, kernelType: String, declared: Int, provided: Int, what: String)
  /// An indirect argument's map does not start from the iteration set.
  case mapFromSetMismatch(ArgumentLocation, map: String, mapFrom: String, iterationSet: String)
  /// An indirect argument's map does not lead to the set the Dat lives on.
  case mapToSetMismatch(ArgumentLocation, map: String, mapTo: String, dat: String, datSet: String)
  /// A direct Dat argument is defined on a different set than the loop iterates over.
  case directDatNotOnIterationSet(ArgumentLocation, dat: String, datSet: String, iterationSet: String)
  /// An access mode that is not allowed for this kind of argument (WRITE or RW on a Global).
  case invalidAccess(ArgumentLocation, access: String, reason: String)
  /// The same argument shape appears twice in a way the generated code cannot express.
  case unsupportedArgument(ArgumentLocation, reason: String)

  // MARK: Dat algebra

  /// An operand of Dat arithmetic (`a + b`, `a.inner(b)`, `a.copy(to: b)`) does not fit the Dat
  /// it is combined with: another set or dim, or a Global whose dim is neither 1 nor the Dat's.
  case algebraMismatch(operation: String, operand: String, found: String, expected: String)

  // MARK: Subsets

  /// A ``Subset`` index lies outside its superset (or parent subset) `set` of `size` elements.
  case subsetIndexOutOfRange(subset: String, index: Int, set: String, size: Int)
  /// A ``Subset`` cannot be used here: `reason` says why (a distributed superset).
  case unsupportedOnSubset(subset: String, reason: String)
  /// An operation that only an ``ExtrudedSet`` supports (an iteration region, the layer argument,
  /// layer offsets) was asked of a set that is not extruded.
  case notExtruded(operation: String, set: String)
  /// An extruded set or loop asks for what is not supported (a base partitioned after the
  /// extruded set was made, a base declared in blocks, the OpenCL target).
  case unsupportedOnExtrudedSet(set: String, reason: String)

  // MARK: Mixed spaces

  /// A ``MixedSet``, ``MixedDataSet``, ``MixedDat``, ``MixedMap`` or mixed ``Sparsity`` cannot be
  /// built from its parts: `reason` says why (no components, component counts that differ,
  /// a component on the wrong set).
  case invalidMixed(object: String, reason: String)
  /// A loop argument built from mixed objects does not fit: a ``MixedDat`` through a plain ``Map``
  /// or through a ``MixedMap`` of another component count, or a block ``Mat`` passed whole.
  case mixedArgumentMismatch(ArgumentLocation, reason: String)
  /// The kernel's parameter count differs from the loop's arguments once each mixed argument is
  /// expanded to one argument per component, as PyOP2 passes them.
  case mixedArgumentCountMismatch(loop: String, kernelParameters: Int, arguments: Int, expandedArguments: Int)

  // MARK: Linear algebra

  /// A ``Sparsity`` was given maps that do not fit its DataSets, or no maps at all.
  case invalidSparsity(sparsity: String, reason: String)
  /// A ``Mat`` argument's row or column map leads to a different set than the Mat's rows or columns.
  case matMapToSetMismatch(ArgumentLocation, map: String, mapTo: String, mat: String, side: String, matSet: String)
  /// A ``Mat`` argument uses a (row map, column map) pair that its ``Sparsity`` was not built from.
  case matMapsNotInSparsity(ArgumentLocation, mat: String, rowMap: String, colMap: String, sparsity: String)
  /// A Dat or row list does not fit the Mat or solver it is used with.
  case linearAlgebraMismatch(operation: String, object: String, expected: String, found: String)
  /// A PETSc call failed; `operation` names the call.
  case petsc(operation: String, PETScError)
  /// A Krylov solve stopped without converging; `reason` is PETSc's `KSPConvergedReason`.
  case solverDiverged(solver: String, reason: Solver.ConvergedReason, iterations: Int, residual: Double)

  // MARK: Toolchain

  /// The C compiler could not be found or started.
  case compilerNotFound(command: String, reason: String)
  /// The C compiler rejected a generated wrapper; `diagnostics` point at the kernel's own lines.
  case compilationFailed(kernel: String, command: String, diagnostics: String, logPath: String)
  /// A compiled library could not be loaded or lacks its entry point.
  case loadFailed(path: String, reason: String)
  /// A file in the disk cache could not be written.
  case cacheWriteFailed(path: String, reason: String)
  /// The disk cache's folder (`OP2_CACHE_DIR`) cannot be created or written.
  case cacheDirectoryUnusable(path: String, reason: String)

  // MARK: OpenCL

  /// The opencl backend found no OpenCL platform or device; the text names what to install.
  case openCLUnavailable(reason: String)
  /// `OP2_OPENCL_PLATFORM` or `OP2_OPENCL_DEVICE` (index or name) matches no device; `available`
  /// lists the devices there are.
  case openCLDeviceNotFound(variable: String, value: String, available: [String])
  /// The OpenCL compiler rejected a loop's generated program; `log` is the driver's build log,
  /// whose line numbers are the kernel's own (`res_calc.c:3:5: error: ...`).
  case openCLBuildFailed(kernel: String, log: String, sourcePath: String)
  /// An OpenCL call failed; `operation` names the call.
  case openCL(operation: String, OpenCLError)

  // MARK: Distribution (MPI)

  /// A Map (or other object) was declared on a set that is already distributed; declare it
  /// before ``OP2/partition(primary:map:method:)``.
  case declaredAfterPartitioning(object: String, set: String)
  /// A set declared in blocks (``Set/init(globalSize:localSize:name:)``) was used before
  /// ``OP2/partition(primary:map:method:)`` distributed it.
  case notPartitioned(operation: String, set: String)
  /// The input of partitioning is invalid: `reason` says what and where (found on `rank`).
  case invalidPartitionInput(rank: Int, reason: String)
  /// A graph partitioner (PT-Scotch, METIS) reported an error.
  case partitionerFailed(method: String, reason: String)
  /// Partitioning found Sparsities or Mats built on the sets it would distribute.
  case partitionAfterMatrices(sparsity: String)
  /// A rank number outside `0..<rankCount` was given.
  case invalidRank(operation: String, rank: Int, rankCount: Int)

  // MARK: Configuration and files

  /// An environment variable or configuration value is invalid.
  case invalidConfiguration(variable: String, value: String, expected: String)
  /// A mesh or grid file is malformed or truncated; `line` is 1-based.
  case malformedMeshFile(path: String, line: Int, expected: String, found: String)
  /// A file could not be opened, read or written.
  case fileError(path: String, reason: String)
  /// An HDF5 file cannot be read or written as OP2's layout: `dataset` names the dataset
  /// (`/p_x`), or is empty for the file as a whole; `reason` says what is wrong, with HDF5's own
  /// message folded in.
  case hdf5(path: String, dataset: String, reason: String)
  /// An output path's extension names no format the writer knows: `format` is the extension
  /// found (empty when there is none), `expected` the extensions it writes, such as `[".json",
  /// ".csv"]`.
  case unsupportedFileFormat(path: String, format: String, expected: [String])
  /// A chart cannot draw its data: `reason` names the series or bar and the value, such as a
  /// value that is not positive on a logarithmic axis.
  case invalidChartData(chart: String, reason: String)

  public var description: String {
    switch self {
    case let .invalidSize(object, what, value):
      return "\(object): invalid \(what): \(value)"
    case let .valueCountMismatch(object, expected, got):
      return "\(object): expected \(expected) values, got \(got)"
    case let .mapValueOutOfRange(map, entry, value, targetSet, targetSize):
      return "Map \"\(map)\": entry \(entry) is \(value), outside target set \"\(targetSet)\" of size \(targetSize)"
    case let .mapIndexOutOfRange(map, index, arity):
      return "Map \"\(map)\": index \(index) is outside 0..<\(arity) (arity \(arity))"
    case let .duplicateConst(name):
      return "Const \"\(name)\" is already declared; Consts are global C names and must be unique"
    case let .invalidIdentifier(object, name):
      return "\(object): \"\(name)\" is not a valid C identifier"
    case let .reservedName(object, name):
      return "\(object): \"\(name)\" is a C keyword or a name the C headers define; choose another name"
    case let .kernelNotFound(kernel):
      return "Kernel \"\(kernel)\": the code defines no function named \(kernel)"
    case let .argumentCountMismatch(loop, parameters, arguments):
      return "parLoop \"\(loop)\": the kernel takes \(parameters) parameters but \(arguments) arguments were passed"
    case let .dtypeMismatch(at, kernelType, dataType):
      return "\(Self.render(at)): kernel parameter has type \(kernelType) but the data is \(dataType)"
    case let .extentMismatch(at, kernelType, declared, provided, what):
      return "\(Self.render(at)): kernel parameter \(kernelType) declares \(declared) \(what) but the argument provides \(provided)"
    case let .mapFromSetMismatch(at, map, mapFrom, iterationSet):
      return "\(Self.render(at)): \(map) maps from \(mapFrom) but the loop iterates over \(iterationSet)"
    case let .mapToSetMismatch(at, map, mapTo, dat, datSet):
      return "\(Self.render(at)): \(map) maps to \(mapTo) but \(dat) is defined on \(datSet)"
    case let .directDatNotOnIterationSet(at, dat, datSet, iterationSet):
      return "\(Self.render(at)): \(dat) is defined on \(datSet) but the loop iterates over \(iterationSet); pass a map"
    case let .invalidAccess(at, access, reason):
      return "\(Self.render(at)): access \(access) is not allowed: \(reason)"
    case let .unsupportedArgument(at, reason):
      return "\(Self.render(at)): \(reason)"
    case let .algebraMismatch(operation, operand, found, expected):
      return "Dat algebra \"\(operation)\": \(operand) is \(found); expected \(expected)"
    case let .subsetIndexOutOfRange(subset, index, set, size):
      return "Subset \"\(subset)\": index \(index) is outside \(set) (0..<\(size))"
    case let .unsupportedOnSubset(subset, reason):
      return "Subset \"\(subset)\": \(reason)"
    case let .notExtruded(operation, set):
      return "\(operation): \(set) is not an ExtrudedSet (regions, the layer argument and layer offsets need one)"
    case let .unsupportedOnExtrudedSet(set, reason):
      return "ExtrudedSet \"\(set)\": \(reason)"
    case let .invalidMixed(object, reason):
      return "\(object): \(reason)"
    case let .mixedArgumentMismatch(at, reason):
      return "\(Self.render(at)): \(reason)"
    case let .mixedArgumentCountMismatch(loop, parameters, arguments, expanded):
      return "parLoop \"\(loop)\": the kernel takes \(parameters) parameters but the \(arguments) arguments expand to \(expanded) (a mixed argument passes one argument per component)"
    case let .invalidSparsity(sparsity, reason):
      return "Sparsity \"\(sparsity)\": \(reason)"
    case let .matMapToSetMismatch(at, map, mapTo, mat, side, matSet):
      return "\(Self.render(at)): \(map) maps to \(mapTo) but the \(side) of Mat \(mat) are on \(matSet)"
    case let .matMapsNotInSparsity(at, mat, rowMap, colMap, sparsity):
      return "\(Self.render(at)): Mat \(mat) has no entries for the map pair (\(rowMap), \(colMap)); add it to Sparsity \"\(sparsity)\""
    case let .linearAlgebraMismatch(operation, object, expected, found):
      return "\(operation): \(object): expected \(expected), found \(found)"
    case let .petsc(operation, error):
      return "PETSc \(operation) failed: \(error)"
    case let .solverDiverged(solver, reason, iterations, residual):
      return "Solver \"\(solver)\" did not converge: \(reason) after \(iterations) iterations (residual norm \(residual))"
    case let .compilerNotFound(command, reason):
      return "C compiler \"\(command)\" could not be run: \(reason). Install one (apt-get install gcc) or set OP2_CC"
    case let .compilationFailed(kernel, command, diagnostics, logPath):
      return "Kernel \"\(kernel)\" failed to compile (log: \(logPath))\n$ \(command)\n\(diagnostics)"
    case let .loadFailed(path, reason):
      return "could not load compiled wrapper \(path): \(reason)"
    case let .cacheWriteFailed(path, reason):
      return "could not write cache entry \(path): \(reason)"
    case let .openCLUnavailable(reason):
      return "OpenCL backend: \(reason). Install an OpenCL driver and the ICD loader: "
        + "apt-get install ocl-icd-opencl-dev pocl-opencl-icd (PoCL runs kernels on the CPU), or your GPU vendor's OpenCL driver"
    case let .openCLDeviceNotFound(variable, value, available):
      return "\(variable)=\"\(value)\" matches no OpenCL device (an index or part of a name); devices: "
        + (available.isEmpty ? "none" : available.joined(separator: "; "))
    case let .openCLBuildFailed(kernel, log, sourcePath):
      return "Kernel \"\(kernel)\" failed to build for OpenCL (source: \(sourcePath))\n\(log)"
    case let .openCL(operation, error):
      return "OpenCL \(operation) failed: \(error)"
    case let .cacheDirectoryUnusable(path, reason):
      return "the compiled-wrapper cache folder \(path) cannot be used: \(reason); set OP2_CACHE_DIR to a writable folder"
    case let .declaredAfterPartitioning(object, set):
      return "\(object): set \(set) is already distributed; declare Maps before OP2.partition"
    case let .notPartitioned(operation, set):
      return "\(operation): set \(set) is declared in blocks and not partitioned yet; call OP2.partition first"
    case let .invalidPartitionInput(rank, reason):
      return "OP2.partition: \(reason) (found on rank \(rank))"
    case let .partitionerFailed(method, reason):
      return "OP2.partition: the \(method) partitioner failed: \(reason)"
    case let .partitionAfterMatrices(sparsity):
      return "OP2.partition: Sparsity \"\(sparsity)\" was built on sets that partitioning would distribute; build Sparsities and Mats after OP2.partition"
    case let .invalidRank(operation, rank, rankCount):
      return "\(operation): rank \(rank) is outside 0..<\(rankCount)"
    case let .invalidConfiguration(variable, value, expected):
      return "\(variable)=\"\(value)\" is invalid: expected \(expected)"
    case let .malformedMeshFile(path, line, expected, found):
      return "\(path):\(line): expected \(expected), found \(found)"
    case let .fileError(path, reason):
      return "\(path): \(reason)"
    case let .hdf5(path, dataset, reason):
      return dataset.isEmpty ? "\(path): HDF5: \(reason)" : "\(path): HDF5 dataset \(dataset): \(reason)"
    case let .unsupportedFileFormat(path, format, expected):
      let found = format.isEmpty ? "it has no extension" : "\"\(format)\" is not one of them"
      let list = expected.count > 1 ? expected.dropLast().joined(separator: ", ") + " or " + expected.last! : expected.joined()
      return "\(path): the format is chosen by the extension, \(list); \(found)"
    case let .invalidChartData(chart, reason):
      return "chart \"\(chart)\": \(reason)"
    }
  }

  private static func render(_ at: ArgumentLocation) -> String {
    "parLoop \"\(at.loop)\", argument \(at.position) (\(at.argument))"
  }
}
