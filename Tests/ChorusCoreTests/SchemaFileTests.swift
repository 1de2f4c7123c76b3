@testable import ChorusCore
import Testing

@Suite struct SchemaFileTests {
    @Test func roundTripsThroughTheFileFormat() throws {
        let schema = try Schema([
            "obs": .leaf(.float32, 4), "reward": .leaf(.float32),
            "info": ["done": .leaf(.bool), "lives": .leaf(.int64)],
            "frames": [.leaf(.uint8, 84, 84), .leaf(.bfloat16, 2, 2)],
            "odd \"key\"\n": .leaf(.float16),
        ])
        let text = schema.json
        #expect(text.hasSuffix("}\n"))
        let reread = try Schema(json: text)
        #expect(reread == schema)
        #expect(reread.root == schema.root)
        #expect(reread.json == text)
        #expect(try Schema(json: schema.canonicalJSON) == schema)
    }

    @Test func prettyTextIsReadable() throws {
        let schema = try Schema(["obs": .leaf(.float32, 4), "frames": [.leaf(.uint8, 2)]])
        #expect(schema.json == """
            {
              "frames": [
                "uint8[2]"
              ],
              "obs": "float32[4]"
            }

            """)
    }

    @Test func readsEscapes() throws {
        let schema = try Schema(json: #"{"\u00e9\ud83d\ude00\t\/": "int8[]"}"#)
        #expect(schema.leaves.map(\.path) == ["é😀\t/"])
    }

    @Test(arguments: [
        (#"{"obs": "float33[4]"}"#,
         #"schema "obs": unknown dtype "float33" (known: bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 bfloat16 float32 float64)"#),
        (#"{"obs": "float32(4)"}"#,
         #"schema "obs": malformed leaf "float32(4)", expected dtype[d0,d1,…] such as "float32[4]" or "bool[]""#),
        (#"{"obs": "float32[4,,2]"}"#,
         #"schema "obs": malformed leaf "float32[4,,2]", expected dtype[d0,d1,…] such as "float32[4]" or "bool[]""#),
        (#"{"a": {"b": "int8[3,-2]"}}"#, #"schema "a.b": negative dimension -2"#),
        (#"{"x": "uint8[4,0]"}"#,
         #"schema "x": leaf uint8[4,0] has a zero dimension and so zero bytes; every leaf must hold at least one element"#),
        (#"{}"#, #"schema root: the schema has no leaves (a sample would be zero bytes)"#),
        (#"[]"#, #"schema root: the schema has no leaves (a sample would be zero bytes)"#),
        (#"{"a": [], "b": "int8[]"}"#, #"schema "a": empty dict or list; every container needs at least one leaf below it"#),
        (#"{"a.b": "int8[]"}"#, #"schema root: invalid key "a.b": keys must be non-empty and must not contain ".""#),
        (#"{"": "int8[]"}"#, #"schema root: invalid key "": keys must be non-empty and must not contain ".""#),
        (#"{"a": "int8[]", "a": "int8[]"}"#, #"schema root: duplicate key "a""#),
        (#"{"x": "float64[4611686018427387904]"}"#, #"schema "x": size overflows (more than 9223372036854775807 bytes)"#),
        (#"{"x": "int8[99999999999999999999]"}"#, #"schema "x": size overflows (more than 9223372036854775807 bytes)"#),
        (#"{"a": "int8[4611686018427387904]", "b": "int8[4611686018427387904]"}"#,
         #"schema "b": size overflows (more than 9223372036854775807 bytes)"#),
        (#"{"obs": 4}"#, #"schema "obs": expected a leaf string, a dict {…} or a list […] at line 1, column 9"#),
        ("{\"obs\": \"int8[]\",\n \"x\" \"int8[]\"}", #"schema root: expected ":" after key "x" at line 2, column 6"#),
        (#"{"obs": "int8[]""#, #"schema root: expected "," or "}" at line 1, column 17"#),
        (#"{"obs": "int8[]"} x"#, #"schema root: unexpected text after the schema at line 1, column 19"#),
        (#"{"obs": "int8[]"#, #"schema "obs": unterminated string at line 1, column 16"#),
        (#"{"\ud800": "int8[]"}"#, #"schema root: unpaired surrogate at line 1, column 9"#),
        ("", "schema root: unexpected end of text at line 1, column 1"),
    ])
    func errorsNameThePathAndTheProblem(text: String, message: String) {
        #expect(throws: SchemaError.self) { try Schema(json: text) }
        do {
            _ = try Schema(json: text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: SchemaError.self) { try Schema(jsonBytes: [0x22, 0xFF, 0x22]) }
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: Schema.maximumDepth + 1) + "\"int8[]\""
            + String(repeating: "]", count: Schema.maximumDepth + 1)
        let shallow = String(repeating: "[", count: Schema.maximumDepth) + "\"int8[]\""
            + String(repeating: "]", count: Schema.maximumDepth)
        #expect(throws: SchemaError(path: String(repeating: "0.", count: Schema.maximumDepth) + "0", problem: .tooDeep)) {
            try Schema(json: deep)
        }
        #expect((try? Schema(json: shallow))?.leaves.count == 1)
    }

    @Test func literalSchemasAreValidatedToo() {
        #expect(throws: SchemaError(path: "", problem: .emptySchema)) { try Schema([:]) }
        #expect(throws: SchemaError(path: "0", problem: .emptyContainer)) { try Schema([[:]]) }
        #expect(throws: SchemaError(path: "obs", problem: .negativeDimension(-1))) {
            try Schema(["obs": .leaf(.float32, -1)])
        }
    }
}
