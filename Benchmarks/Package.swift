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
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The ring's benchmarks also run with swift-prometheus, as `chorus serve` does.
        benchmark("RingBenchmarks", using: [
            .product(name: "Chorus", package: "Chorus"), .product(name: "ChorusHTTP", package: "Chorus"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
    ] + ["ReplayBenchmarks", "SchemaBenchmarks", "ESBenchmarks", "GABenchmarks"].map { name in
        benchmark(name, using: [.product(name: "Chorus", package: "Chorus"), .product(name: "ChorusES", package: "Chorus")])
    },
    swiftLanguageModes: [.v6]
)

/// A package-benchmark executable in the folder of its name.
func benchmark(_ name: String, using dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: dependencies + [.product(name: "Benchmark", package: "package-benchmark")],
        path: name,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
    )
}
