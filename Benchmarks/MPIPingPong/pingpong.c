// MPI ping-pong between ranks 0 and 1: the latency α and bandwidth β that op2-bench scaling's
// performance model takes for a network (see BENCHMARKS.md, "Distributed airfoil"). Not part of
// the Swift package; build and run it by hand:
//
//     mpicc -O2 -o /tmp/pingpong Benchmarks/MPIPingPong/pingpong.c
//     mpirun -n 2 /tmp/pingpong            # two ranks on this node: shared memory
//
// For each message size it prints the best one-way time (half a round trip, over several batches)
// and size / time.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 2) {
    if (rank == 0) fprintf(stderr, "pingpong needs 2 ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const int largest = 1 << 24;
  char *buffer = malloc(largest);
  memset(buffer, 1, largest);
  if (rank == 0) printf("%12s %14s %12s\n", "bytes", "one-way (us)", "GB/s");
  for (int bytes = 8; bytes <= largest; bytes *= 4) {
    int repeats = bytes < 65536 ? 2000 : bytes < 1048576 ? 200 : 20;
    double best = 1e30;
    for (int batch = 0; batch < 5; batch++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double start = MPI_Wtime();
      for (int i = 0; i < repeats; i++) {
        if (rank == 0) {
          MPI_Send(buffer, bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
          MPI_Recv(buffer, bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
          MPI_Recv(buffer, bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          MPI_Send(buffer, bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
      }
      double oneWay = (MPI_Wtime() - start) / repeats / 2;
      if (oneWay < best) best = oneWay;
    }
    if (rank == 0) printf("%12d %14.3f %12.2f\n", bytes, best * 1e6, bytes / best / 1e9);
  }
  free(buffer);
  MPI_Finalize();
  return 0;
}
