// swift-tools-version: 6.1
// Micro benchmarks for Chorus: `make bench` (or `swift package benchmark` in this folder).
import PackageDescription

let package = Package(
    name: "ChorusBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Chorus", path: ".."),
        // Only the malloc interposer: it counts allocations; the default runtime interposer is
        // not needed and not served here.
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0",
                 traits: ["MallocInterposer"]),
    ],
    targets: ["RingBenchmarks", "ReplayBenchmarks", "SchemaBenchmarks", "ESBenchmarks", "GABenchmarks"].map { name in
        .executableTarget(
            name: name,
            dependencies: [
                .product(name: "Chorus", package: "Chorus"),
                .product(name: "ChorusES", package: "Chorus"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: name,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    },
    swiftLanguageModes: [.v6]
)
