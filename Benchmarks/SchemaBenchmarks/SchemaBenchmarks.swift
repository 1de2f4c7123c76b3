import Benchmark
import Chorus

/// Schema handling and the client's side of a sample: building packed samples from values.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(3)
    )

    // Parse, validate and flatten a schema file with nested dicts and lists (done once per
    // connection on the wire, so its cost bounds handshake rates).
    let text = #"""
        {"obs": {"image": "uint8[84,84,4]", "state": "float32[16]"}, "action": "int64[]",
         "reward": "float32[]", "done": "bool[]", "info": {"lives": "int32[]", "frames": ["uint8[8]", "uint8[8]"]}}
        """#
    Benchmark("schema parse + flatten (8 leaves)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try Schema(json: text))
        }
    }

    // Encoding on the client: write a 20-byte CartPole step into a reused sample.
    Benchmark("Sample.set, 20 B step (2 leaves)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let schema = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
        var sample = Sample(schema: schema)
        let observation: [Float] = [0.1, 0.2, 0.3, 0.4]
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            try sample.set("obs", to: observation)
            try sample.set("reward", to: Float(index))
        }
        benchmark.stopMeasurement()
        blackHole(sample)
    }

    // A 16-step trajectory: add each step, then lend the whole sample (as to `client.send`).
    Benchmark("TrajectoryAccumulator, 16 steps + withBuilt", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var trajectory = try TrajectoryAccumulator(schema: Schema(json: #"""
            {"step": {"obs": "float32[16,4]", "reward": "float32[16]"}, "episode": {"return": "float32[]"}}
            """#))
        var step = Sample(schema: try trajectory.itemSchema(of: "step"))
        try step.set("obs", to: [0.1, 0.2, 0.3, 0.4] as [Float])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for _ in 0..<16 { try trajectory.add("step", step) }
            trajectory.withBuilt { blackHole($0) }
        }
        benchmark.stopMeasurement()
    }
}
