import Foundation
import OP2

// The MPI tests: every rank runs the named scenarios (all of them by default) in order, then the
// ranks agree on the outcome. Run by Tests/AppTests/MPITests.swift under `mpirun -n 2` and
// `-n 3`, with a timeout, as the README's test command runs it:
//
//     mpirun -n 3 --oversubscribe .build/debug/op2-mpi-tests [scenario ...]

let scenarios: [Scenario] = Scenario.basics + Scenario.halos + Scenario.differentialTests + Scenario.errors
  + Scenario.compilation + Scenario.reports + Scenario.partitioning
  + Scenario.parallelMats + Scenario.gridFiles + Scenario.hdf5Files + Scenario.algebraTests + Scenario.mixedTests
  + Scenario.extrudedTests + Scenario.subsetTests
// These end the job on purpose (a rank fails) or need a process of their own; they run only when named.
let jobEnders = Scenario.jobEnders + [Scenario.replicated, Scenario.environment]

guard MPIEnvironment.world != nil else {
  print("op2-mpi-tests runs under mpirun: mpirun -n 2 \(CommandLine.arguments[0]) [scenario ...]")
  exit(2)
}

let requested = Swift.Set(CommandLine.arguments.dropFirst())
let selected = requested.isEmpty || requested == ["all"]
  ? scenarios : (scenarios + jobEnders).filter { requested.contains($0.name) }
let unknown = requested.subtracting((scenarios + jobEnders).map(\.name) + ["all"])
guard unknown.isEmpty else {
  print("unknown scenarios: \(unknown.sorted().joined(separator: ", "))")
  exit(2)
}

var failures = 0
for scenario in selected {
  let started = ContinuousClock.now
  var message = ""
  do {
    try scenario.body()
  } catch {
    message = "rank \(OP2.rank): \(error)"
  }
  let messages = ScenarioSupport.gatherMessages(message)
  let elapsed = ContinuousClock.now - started
  if OP2.rank == 0 {
    if messages.allSatisfy(\.isEmpty) {
      print("ok \(scenario.name) (\(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))))")
    } else {
      failures += 1
      print("FAILED \(scenario.name):")
      for m in messages where !m.isEmpty { print("  " + m) }
    }
    fflush(nil)
  }
}
if OP2.rank == 0 { print(failures == 0 ? "passed: \(selected.count) scenarios on \(OP2.rankCount) ranks" : "failed: \(failures) of \(selected.count) scenarios") }
exit(failures == 0 ? 0 : 1)
