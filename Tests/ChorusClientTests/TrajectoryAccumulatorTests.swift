@testable import ChorusClient
import Testing

@Suite struct TrajectoryAccumulatorTests {
    let schema = try! Schema([
        "step": ["obs": .leaf(.float32, 3, 2), "reward": .leaf(.float32, 3)],
        "episode": ["return": .leaf(.float32), "length": .leaf(.int32, 2)],
        "bootstrap": ["value": .leaf(.float32, 1, 2)],
    ])

    @Test func timescalesFollowIdEchoRules() throws {
        let trajectory = try TrajectoryAccumulator(schema: schema)
        #expect(try trajectory.capacity(of: "step") == 3)
        #expect(try trajectory.itemSchema(of: "step") == Schema(["obs": .leaf(.float32, 2), "reward": .leaf(.float32)]))
        #expect(try trajectory.capacity(of: "episode") == 1, "a 0-d leaf makes a single-item timescale")
        #expect(try trajectory.itemSchema(of: "episode") == Schema(["return": .leaf(.float32), "length": .leaf(.int32, 2)]))
        #expect(try trajectory.capacity(of: "bootstrap") == 1, "leading dims all 1 make a single-item timescale")
        #expect(try trajectory.itemSchema(of: "bootstrap") == Schema(["value": .leaf(.float32, 2)]))
    }

    @Test func itemsFillSlotsAlongTheLeadingDimension() throws {
        var trajectory = try TrajectoryAccumulator(schema: schema)
        var step = Sample(schema: try trajectory.itemSchema(of: "step"))
        for t in 0..<3 {
            try step.set("obs", to: [Float(t), Float(t) + 0.5])
            try step.set("reward", to: Float(10 * t))
            try trajectory.add("step", step)
        }
        var episode = Sample(schema: try trajectory.itemSchema(of: "episode"))
        try episode.set("return", to: Float(30))
        try episode.set("length", to: [Int32(3), 4])
        try trajectory.add("episode", episode)
        let built = trajectory.build()
        #expect(try built.values("step.obs", as: Float.self) == [0, 0.5, 1, 1.5, 2, 2.5])
        #expect(try built.values("step.reward", as: Float.self) == [0, 10, 20])
        #expect(try built.values("episode.return", as: Float.self) == [30])
        #expect(try built.values("episode.length", as: Int32.self) == [3, 4])
        try trajectory.add("step", step)  // build() reset the slots
    }

    @Test func refusesUnknownTimescalesOverflowAndWrongItems() throws {
        var trajectory = try TrajectoryAccumulator(schema: schema)
        let step = Sample(schema: try trajectory.itemSchema(of: "step"))
        #expect(throws: AccumulatorError.unknownTimescale("steps", known: ["bootstrap", "episode", "step"])) {
            try trajectory.add("steps", step)
        }
        for _ in 0..<3 { try trajectory.add("step", step) }
        #expect(throws: AccumulatorError.full(timescale: "step", capacity: 3)) { try trajectory.add("step", step) }
        trajectory.reset()
        try trajectory.add("step", step)
        let episodeSchema = try trajectory.itemSchema(of: "episode")
        #expect(throws: AccumulatorError.itemSchemaMismatch(timescale: "episode", expected: episodeSchema, given: step.schema)) {
            try trajectory.add("episode", step)
        }
    }

    @Test func refusesSchemasThatAreNotTimescales() throws {
        #expect(throws: AccumulatorError.rootNotADict) { try TrajectoryAccumulator(schema: Schema([.leaf(.int8)])) }
        #expect(throws: AccumulatorError.mismatchedLeadingDimensions(timescale: "step", dimensions: [3, 4])) {
            try TrajectoryAccumulator(schema: Schema(["step": ["a": .leaf(.int8, 3), "b": .leaf(.int8, 4)]]))
        }
    }
}
