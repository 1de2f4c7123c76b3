extension Schema {
    /// Reads a schema in the schema file format (see `Schemas/README.md`).
    public init(json text: String) throws(SchemaError) {
        try self.init(jsonBytes: Array(text.utf8))
    }

    /// Reads a schema from the UTF-8 bytes of a schema file or of a wire hello.
    public init(jsonBytes bytes: [UInt8]) throws(SchemaError) {
        try self.init(SchemaJSONReader.parse(bytes))
    }

    /// The schema file text: keys sorted, two-space indentation, a final newline.
    public var json: String { SchemaJSONWriter.pretty(root) }
}
