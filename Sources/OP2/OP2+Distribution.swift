extension OP2 {
  /// This process's rank in the MPI job: 0 without MPI (PyOP2's `op2.MPI.comm.rank`).
  public static var rank: Int { MPIEnvironment.world?.rank ?? 0 }

  /// The number of ranks in the MPI job: 1 without MPI (`mpirun -n N` gives N).
  public static var rankCount: Int { MPIEnvironment.world?.size ?? 1 }
}
