// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "swift-op2",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "OP2", targets: ["OP2"]),
    .executable(name: "airfoil", targets: ["airfoil"]),
    .executable(name: "op2-bench", targets: ["op2-bench"]),
    .executable(name: "poisson", targets: ["poisson"]),
    .executable(name: "extruded-poisson", targets: ["extruded-poisson"]),
    .executable(name: "op2-cache", targets: ["op2-cache"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // C shims over MPI and PETSc (system libraries found with pkg-config); only the OP2 target's
    // *+Unsafe.swift files import them.
    .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi",
                   providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    .systemLibrary(name: "CPETSc", path: "Sources/CPETSc", pkgConfig: "PETSc",
                   providers: [.apt(["petsc-dev"])]),
    // Graph partitioners for OP2.partition: PT-Scotch (parallel; its header needs mpi.h, whose
    // include path comes from pkg-config "ompi") and METIS (serial, on rank 0).
    .systemLibrary(name: "CPTScotch", path: "Sources/CPTScotch", pkgConfig: "ompi",
                   providers: [.apt(["libptscotch-dev"])]),
    .systemLibrary(name: "CMETIS", path: "Sources/CMETIS",
                   providers: [.apt(["libmetis-dev"])]),
    // OpenCL (the opencl backend): the ICD loader and Khronos headers; PoCL runs kernels on the CPU.
    .systemLibrary(name: "COpenCL", path: "Sources/COpenCL",
                   providers: [.apt(["ocl-icd-opencl-dev", "opencl-c-headers", "pocl-opencl-icd"])]),
    // HDF5 (OP2's mesh files): Debian's parallel build over Open MPI, whose headers live in their
    // own folder (/usr/include/hdf5/openmpi) beside the serial ones.
    .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5-openmpi",
                   providers: [.apt(["libhdf5-openmpi-dev"])]),
    // The library: data model, code generation, compilation/cache, backends, lazy queue, mesh I/O.
    .target(
      name: "OP2",
      dependencies: ["CMPI", "CPETSc", "CPTScotch", "CMETIS", "COpenCL", "CHDF5"],
      path: "Sources/OP2",
      swiftSettings: swiftSettings,
      linkerSettings: [.linkedLibrary("dl")]
    ),
    // The airfoil application's reusable part (mesh generator, kernels, driver), over OP2's public API.
    .target(
      name: "AirfoilKit",
      dependencies: ["OP2"],
      path: "Apps/AirfoilKit",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "airfoil",
      dependencies: [
        "AirfoilKit", "OP2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Apps/Airfoil",
      swiftSettings: swiftSettings
    ),
    // The Poisson demo's reusable part (mesh, kernels, assembly and solve), over OP2's public API.
    .target(
      name: "PoissonKit",
      dependencies: ["OP2"],
      path: "Apps/PoissonKit",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "poisson",
      dependencies: [
        "PoissonKit", "OP2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Apps/Poisson",
      swiftSettings: swiftSettings
    ),
    // The extruded-mesh demo: P1 prisms on the unit cube (ExtrudedSet), over OP2's public API.
    .executableTarget(
      name: "extruded-poisson",
      dependencies: [
        "PoissonKit", "OP2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Apps/ExtrudedPoisson",
      swiftSettings: swiftSettings
    ),
    // Inspects and prunes the disk cache of compiled wrappers.
    .executableTarget(
      name: "op2-cache",
      dependencies: [
        "OP2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Apps/OP2Cache",
      swiftSettings: swiftSettings
    ),
    // Plain C loops measured beside the generated ones in the same run.
    .target(
      name: "CReference",
      dependencies: ["CMPI", "CPETSc"],
      path: "Benchmarks/CReference",
      cSettings: [.unsafeFlags(["-O3", "-march=native"])]
    ),
    .executableTarget(
      name: "op2-bench",
      dependencies: [
        "OP2", "AirfoilKit", "PoissonKit", "CReference",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/OP2Bench",
      swiftSettings: swiftSettings
    ),
    // The MPI tests: scenarios every rank runs, started under mpirun by Tests/AppTests/MPITests.swift.
    .executableTarget(
      name: "op2-mpi-tests",
      dependencies: ["OP2"],
      path: "Tests/MPIScenarios",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "OP2Tests",
      dependencies: [
        "OP2", "AirfoilKit",
        .product(name: "Numerics", package: "swift-numerics"),
      ],
      path: "Tests/OP2Tests",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "AppTests",
      dependencies: [
        "AirfoilKit", "PoissonKit", "OP2",
        .product(name: "Numerics", package: "swift-numerics"),
      ],
      path: "Tests/AppTests",
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
