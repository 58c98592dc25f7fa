extension _MatArgument {
  /// Validates a Mat argument of a loop over `set` and describes it for code generation.
  ///
  /// Checks, in order: the access mode (INC or WRITE), that both maps start from the iteration
  /// set, that they lead to the Mat's row and column sets, that the Sparsity was built from this
  /// map pair, and that the kernel parameter is a `double` element matrix (`double A[R][C]`,
  /// `double (*A)[C]` or `double *A`).
  func descriptor(_ arg: Arg, at: OP2Error.ArgumentLocation, set: Set, parameter: KernelSignature.Parameter,
                  mapAlias: Int, position: Int) throws(OP2Error) -> LoopSignature.ArgumentDescriptor {
    guard arg.access == .inc || arg.access == .write else {
      throw .invalidAccess(at, access: arg.access.rawValue,
                           reason: "a Mat is assembled with INC (ADD_VALUES) or WRITE (INSERT_VALUES)")
    }
    for map in [rowMap, colMap] where map.from !== set {
      throw .mapFromSetMismatch(at, map: map.name, mapFrom: map.from.name, iterationSet: set.name)
    }
    let mat = arg.data.name
    guard rowMap.to === sparsity.rows.set else {
      throw .matMapToSetMismatch(at, map: rowMap.name, mapTo: rowMap.to.name, mat: mat, side: "rows", matSet: sparsity.rows.set.name)
    }
    guard colMap.to === sparsity.cols.set else {
      throw .matMapToSetMismatch(at, map: colMap.name, mapTo: colMap.to.name, mat: mat, side: "columns", matSet: sparsity.cols.set.name)
    }
    guard sparsity.contains(rows: rowMap, cols: colMap) else {
      throw .matMapsNotInSparsity(at, mat: mat, rowMap: rowMap.name, colMap: colMap.name, sparsity: sparsity.name)
    }
    let rows = rowMap.arity * sparsity.rows.dim, cols = colMap.arity * sparsity.cols.dim
    if let base = parameter.baseType, base != "double" || !(1...2).contains(parameter.levels) {
      throw .dtypeMismatch(at, kernelType: parameter.text, dataType: "double [\(rows)][\(cols)] (element matrix of Mat \(mat))")
    }
    return .init(kind: .matrix, cType: "double", dim: sparsity.rows.dim, arity: rowMap.arity, index: -1,
                 access: arg.access, dataAlias: position, mapAlias: mapAlias,
                 colArity: colMap.arity, colDim: sparsity.cols.dim)
  }
}

extension ParLoop {
  /// Whether the loop has a ``Mat`` argument.
  package var assemblesMatrices: Bool { args.contains { $0.matrix != nil } }

  /// Runs a loop with Mat arguments over `range` on the calling thread, holding the PETSc lock.
  /// Every backend runs such loops this way, because PETSc's `MatSetValues` is not thread-safe;
  /// Global reductions then go straight into the Global, as on the sequential backend.
  ///
  /// On a distributed set the runtime calls it for the owned elements and then the exec halo
  /// (``DistributedLoop``, OP2's redundant execution): an element of the exec halo touches an
  /// owned node, and every element touching an owned row runs on the row's owner, which then has
  /// all of the row's contributions without communication; what such an element adds to rows
  /// owned elsewhere is dropped by PETSc (`MAT_IGNORE_OFF_PROC_ENTRIES`), and its share of a
  /// Global reduction is left out by the runtime, which reduces from the owned elements' values.
  ///
  /// Every rank calls this for every range of every assembly loop, even an empty one: a
  /// distributed Mat switching between INC and WRITE flushes collectively here.
  package func runAssembly(_ wrapper: CompiledWrapper, range: Range<Int>) {
    PETSc.lock.withLock {
      for arg in args { arg.matrix?.handle.prepareLoop(access: arg.access) }
      LaunchArguments(self).call(wrapper, range: range)
    }
  }
}
