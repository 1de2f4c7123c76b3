// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Chorus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Chorus", targets: ["Chorus"]),
        .executable(name: "chorus", targets: ["ChorusCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // liburing through pkg-config; `make deps` installs Debian's liburing-dev.
        .systemLibrary(
            name: "CLibURing",
            pkgConfig: "liburing",
            providers: [.apt(["liburing-dev"])]
        ),
        .target(name: "Chorus"),
        .executableTarget(
            name: "ChorusCLI",
            dependencies: [
                "Chorus",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/chorus"
        ),
        .testTarget(name: "ChorusTests", dependencies: ["Chorus"]),
    ],
    swiftLanguageModes: [.v6]
)
