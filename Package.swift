// swift-tools-version: 6.1
import PackageDescription

// The targets are the layers of ../shared/DESIGN.md, bottom to top; a module never imports one
// above it (Tests/Interop/test_layers.py checks the declared graph and every import).
//   ChorusCore    schema, samples, wire codecs and framing, the lock family: no system calls
//   ChorusClient  POSIX sockets, TcpClient, TrajectoryAccumulator: no liburing
//   Chorus        ring, io_uring transport, server; re-exports the two above
//   ChorusES      evolution strategies on ChorusCore only
//   ChorusEvochi  Evochi v1 over gRPC (gRPC and NIO stay in this module and the CLI)
//   ChorusHTTP    the monitoring endpoint: /metrics (swift-prometheus), /api/status, the dashboard
//                 (Hummingbird; NIO stays in this module, ChorusEvochi and the CLI)
//   ChorusC       the C ABI over server and client (libChorusC.so), for the Python package
//   ChorusCLI     the `chorus` command
let package = Package(
    name: "Chorus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ChorusCore", targets: ["ChorusCore"]),
        .library(name: "ChorusClient", targets: ["ChorusClient"]),
        .library(name: "Chorus", targets: ["Chorus"]),
        .library(name: "ChorusES", targets: ["ChorusES"]),
        .library(name: "ChorusEvochi", targets: ["ChorusEvochi"]),
        .library(name: "ChorusHTTP", targets: ["ChorusHTTP"]),
        // The C ABI (Sources/CChorus/include/chorus.h) as libChorusC.so, for the Python package.
        .library(name: "ChorusC", type: .dynamic, targets: ["ChorusC"]),
        .executable(name: "chorus", targets: ["ChorusCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "ChorusCore"),
        .target(
            name: "ChorusClient",
            dependencies: ["ChorusCore", "CSharedMemory", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // memfd, futexes and SCM_RIGHTS for the shared-memory transport (C macros and variadic
        // system calls that Swift cannot reach).
        .target(name: "CSharedMemory"),
        // liburing through pkg-config; `make deps` installs Debian's liburing-dev.
        .systemLibrary(
            name: "CLibURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(
            name: "Chorus",
            dependencies: [
                "ChorusCore",
                "ChorusClient",
                "CLibURing",
                "CSharedMemory",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(name: "ChorusES", dependencies: ["ChorusCore"]),
        // The C ABI: the header (a module map, no sources) and its Swift implementation.
        .systemLibrary(name: "CChorus"),
        .target(
            name: "ChorusC",
            dependencies: ["CChorus", "Chorus", "ChorusClient", "ChorusCore", .product(name: "Logging", package: "swift-log")]
        ),
        // `Generated/` is protoc output, committed; `make protos` regenerates it.
        .target(
            name: "ChorusEvochi",
            dependencies: [
                "ChorusES",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The dashboard page is one file, compiled into the binary.
        .target(
            name: "ChorusHTTP",
            dependencies: [
                "Chorus",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Dashboard/dashboard.png"],  // the README's screenshot
            resources: [.embedInCode("Dashboard/dashboard.html")]
        ),
        .executableTarget(
            name: "ChorusCLI",
            dependencies: [
                "Chorus",
                "ChorusES",
                "ChorusEvochi",
                "ChorusHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // libFuzzer targets on ChorusCore. A plain build replays the files named on the command
        // line (regression runs); `make fuzz` builds them with -sanitize=fuzzer and
        // -DCHORUS_LIBFUZZER, where libFuzzer supplies `main`.
        .target(name: "FuzzReplay", path: "Tests/Fuzz/Replay"),
        .executableTarget(name: "SchemaFuzzer", dependencies: ["ChorusCore", "FuzzReplay"], path: "Tests/Fuzz/SchemaFuzzer"),
        .executableTarget(name: "HelloFuzzer", dependencies: ["ChorusCore", "FuzzReplay"], path: "Tests/Fuzz/HelloFuzzer"),
        .executableTarget(name: "FramerFuzzer", dependencies: ["ChorusCore", "FuzzReplay"], path: "Tests/Fuzz/FramerFuzzer"),
        // What more than one test target uses (a swift-log handler that keeps the lines).
        .target(name: "ChorusTestSupport", dependencies: [.product(name: "Logging", package: "swift-log")],
                path: "Tests/Support"),
        .testTarget(name: "ChorusCoreTests", dependencies: ["ChorusCore"]),
        .testTarget(name: "ChorusClientTests", dependencies: ["ChorusClient", "ChorusCore"]),
        .testTarget(
            name: "ChorusTests",
            dependencies: [
                "Chorus", "ChorusClient", "ChorusCore", "ChorusTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "ChorusESTests", dependencies: ["ChorusES", "ChorusCore"]),
        .testTarget(
            name: "ChorusEvochiTests",
            dependencies: ["ChorusEvochi", "ChorusES", "ChorusCore", "ChorusTestSupport",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "ChorusHTTPTests", dependencies: ["ChorusHTTP", "Chorus"]),
    ],
    swiftLanguageModes: [.v6]
)
