// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Chorus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Chorus", targets: ["Chorus"]),
        .library(name: "ChorusES", targets: ["ChorusES"]),
        .executable(name: "chorus", targets: ["ChorusCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
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
        .executableTarget(
            name: "ChorusCLI",
            dependencies: [
                "Chorus",
                "ChorusES",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/chorus"
        ),
        .testTarget(name: "ChorusTests", dependencies: ["Chorus"]),
        .testTarget(name: "ChorusESTests", dependencies: ["ChorusES", "Chorus"]),
    ],
    swiftLanguageModes: [.v6]
)
