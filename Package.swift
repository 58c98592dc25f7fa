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
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // The library: data model, code generation, compilation/cache, backends, lazy queue, mesh I/O.
    .target(
      name: "OP2",
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
    // Plain C loops measured beside the generated ones in the same run.
    .target(
      name: "CReference",
      path: "Benchmarks/CReference",
      cSettings: [.unsafeFlags(["-O3", "-march=native"])]
    ),
    .executableTarget(
      name: "op2-bench",
      dependencies: [
        "OP2", "AirfoilKit", "CReference",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Benchmarks/OP2Bench",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "OP2Tests",
      dependencies: [
        "OP2",
        .product(name: "Numerics", package: "swift-numerics"),
      ],
      path: "Tests/OP2Tests",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "AppTests",
      dependencies: [
        "AirfoilKit", "OP2",
        .product(name: "Numerics", package: "swift-numerics"),
      ],
      path: "Tests/AppTests",
      swiftSettings: swiftSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)
