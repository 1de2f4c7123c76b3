@testable import ChorusCore
import Testing

@Suite struct SchemaTests {
    /// The expected order was produced by optree 0.x (`optree.tree_paths`) on the same tree.
    @Test func flattenOrderIsOptrees() throws {
        let schema = try Schema([
            "b": .leaf(.float64, 2),
            "a": ["z": .leaf(.int8), "B": .leaf(.int8), "é": .leaf(.int8), "10": .leaf(.int8), "9": .leaf(.int8)],
            "c": .list([.leaf(.int8), .leaf(.int8), ["y": .leaf(.int8), "x": .leaf(.int8)]]
                       + Array(repeating: .leaf(.int8), count: 8)),
        ])
        #expect(schema.leaves.map(\.path) == [
            "a.10", "a.9", "a.B", "a.z", "a.é", "b",
            "c.0", "c.1", "c.2.x", "c.2.y", "c.3", "c.4", "c.5", "c.6", "c.7", "c.8", "c.9", "c.10",
        ])
        #expect(schema.leaves.map(\.index) == Array(0..<18))
    }

    @Test func offsetsAndSizesFollowFlattenOrder() throws {
        let schema = try Schema([
            "obs": .leaf(.float32, 4), "reward": .leaf(.float32), "info": ["done": .leaf(.bool)],
            "frames": [.leaf(.uint8, 2, 3), .leaf(.uint8, 2, 3)],
        ])
        let layout = schema.leaves.map { ($0.path, $0.offset, $0.byteCount, $0.elementCount) }
        #expect(layout.map(\.0) == ["frames.0", "frames.1", "info.done", "obs", "reward"])
        #expect(layout.map(\.1) == [0, 6, 12, 13, 29])
        #expect(layout.map(\.2) == [6, 6, 1, 16, 4])
        #expect(layout.map(\.3) == [6, 6, 1, 4, 1])
        #expect(schema.sampleSize == 33)
        #expect(schema.leaf(at: "info.done")?.dtype == .bool)
        #expect(schema.leaf(at: "info") == nil)
    }

    @Test func aSingleLeafIsAWholeSchema() throws {
        let schema = try Schema(.leaf(.uint8, 84, 84, 4))
        #expect(schema.leaves.map(\.path) == [""])
        #expect(schema.sampleSize == 28_224)
    }

    @Test func canonicalTextMatchesTheWireSpec() throws {
        let schema = try Schema(["reward": .leaf(.float32), "obs": .leaf(.float32, 4), "info": ["done": .leaf(.bool)]])
        #expect(schema.canonicalJSON == #"{"info":{"done":"bool[]"},"obs":"float32[4]","reward":"float32[]"}"#)
    }

    @Test func equalityIsByCanonicalText() throws {
        let one = try Schema(["a": .leaf(.int32, 2), "b": [.leaf(.bool)]])
        let same = try Schema(json: #"{ "b": ["bool[]"], "a": "int32[ 2 ]" }"#)
        let other = try Schema(["a": .leaf(.int32, 3), "b": [.leaf(.bool)]])
        #expect(one == same)
        #expect(one.hashValue == same.hashValue)
        #expect(one != other)
    }
}
