// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Chorus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Chorus", targets: ["Chorus"]),
        .library(name: "ChorusES", targets: ["ChorusES"]),
        .library(name: "ChorusEvochi", targets: ["ChorusEvochi"]),
        .executable(name: "chorus", targets: ["ChorusCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        // gRPC only for ChorusEvochi and the CLI; `Chorus` and `ChorusES` stay free of NIO.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // liburing through pkg-config; `make deps` installs Debian's liburing-dev.
        .systemLibrary(
            name: "CLibURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(
            name: "Chorus",
            dependencies: [
                "CLibURing",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Evolution strategies on top of Chorus: noise, strategies, optimizers, the epoch engine.
        .target(name: "ChorusES", dependencies: ["Chorus"]),
        // The Evochi v1 protocol over gRPC: coordinator service and Swift worker client.
        // `Generated/` is protoc output, committed; `make protos` regenerates it.
        .target(
            name: "ChorusEvochi",
            dependencies: [
                "ChorusES",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "ChorusCLI",
            dependencies: [
                "Chorus",
                "ChorusES",
                "ChorusEvochi",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/chorus"
        ),
        .testTarget(name: "ChorusTests", dependencies: ["Chorus"]),
        .testTarget(name: "ChorusESTests", dependencies: ["ChorusES", "Chorus"]),
        .testTarget(name: "ChorusEvochiTests", dependencies: ["ChorusEvochi", "ChorusES"]),
    ],
    swiftLanguageModes: [.v6]
)
