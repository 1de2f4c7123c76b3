@testable import ChorusCore
import Testing

@Suite struct SampleTests {
    let schema = try! Schema(["obs": .leaf(.float32, 2, 2), "step": .leaf(.int64), "flags": [.leaf(.bool, 3)]])

    @Test func writesLeavesAtTheirOffsets() throws {
        var sample = Sample(schema: schema)
        try sample.set("obs", to: [1, 2, 3, 4] as [Float])
        try sample.set("step", to: Int64(-2))
        try sample.set("flags.0", to: [true, false, true])
        #expect(sample.bytes.count == 16 + 8 + 3)
        #expect(try sample.values("obs", as: Float.self) == [1, 2, 3, 4])
        #expect(try sample.values("step", as: Int64.self) == [-2])
        #expect(try sample.values("flags.0", as: Bool.self) == [true, false, true])
        #expect(Array(sample.bytes[0..<3]) == [1, 0, 1], "flags.0 comes first in flatten order")
    }

    @Test func acceptsNonContiguousCollections() throws {
        var sample = Sample(schema: schema)
        try sample.set("obs", to: (1...4).lazy.map(Float.init))
        #expect(try sample.values("obs", as: Float.self) == [1, 2, 3, 4])
    }

    @Test func refusesWrongPathsTypesAndCounts() {
        var sample = Sample(schema: schema)
        #expect(throws: SampleError.unknownLeaf("flags")) { try sample.set("flags", to: [true]) }
        #expect(throws: SampleError.dtypeMismatch(path: "obs", leaf: .float32, given: .float64)) {
            try sample.set("obs", to: [1, 2, 3, 4] as [Double])
        }
        #expect(throws: SampleError.wrongElementCount(path: "obs", expected: 4, given: 3)) {
            try sample.set("obs", to: [1, 2, 3] as [Float])
        }
        #expect(sample.bytes.allSatisfy { $0 == 0 }, "a refused write changes nothing")
        #expect(SampleError.wrongElementCount(path: "obs", expected: 4, given: 3).description
                == #"leaf "obs" holds 4 elements, given 3"#)
    }
}
