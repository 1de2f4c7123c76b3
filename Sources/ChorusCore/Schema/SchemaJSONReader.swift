/// Reads the schema file format, a strict subset of JSON: objects (dicts), arrays (lists) and
/// strings (leaves). Errors carry the path of the node being read and a line and column.
///
/// Hand-written rather than Foundation's JSON so that the core module stays light and every
/// refusal can name where it happened (this parser also reads untrusted text from the wire).
struct SchemaJSONReader {
    private let bytes: [UInt8]
    private var position = 0

    static func parse(_ bytes: [UInt8]) throws(SchemaError) -> SchemaNode {
        var reader = SchemaJSONReader(bytes: bytes)
        reader.skipWhitespace()
        let node = try reader.readNode(path: "", depth: 0)
        reader.skipWhitespace()
        guard reader.position == bytes.count else {
            throw reader.syntaxError("unexpected text after the schema", path: "")
        }
        return node
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func readNode(path: String, depth: Int) throws(SchemaError) -> SchemaNode {
        guard depth <= Schema.maximumDepth else { throw SchemaError(path: path, problem: .tooDeep) }
        switch peek() {
        case UInt8(ascii: "\""):
            let text = try readString(path: path)
            do throws(SchemaError.Problem) {
                return .leaf(try Leaf(parsing: text))
            } catch {
                throw SchemaError(path: path, problem: error)
            }
        case UInt8(ascii: "{"):
            return try readDict(path: path, depth: depth)
        case UInt8(ascii: "["):
            return try readList(path: path, depth: depth)
        case nil:
            throw syntaxError("unexpected end of text", path: path)
        default:
            throw syntaxError("expected a leaf string, a dict {…} or a list […]", path: path)
        }
    }

    private mutating func readDict(path: String, depth: Int) throws(SchemaError) -> SchemaNode {
        position += 1
        var children: [String: SchemaNode] = [:]
        try readElements(closing: "}", path: path) { reader throws(SchemaError) in
            guard reader.peek() == UInt8(ascii: "\"") else {
                throw reader.syntaxError("expected a key string", path: path)
            }
            let key = try reader.readString(path: path)
            guard children[key] == nil else {
                throw SchemaError(path: path, problem: .duplicateKey(key))
            }
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: ":") else {
                throw reader.syntaxError("expected \":\" after key \"\(key)\"", path: path)
            }
            reader.position += 1
            reader.skipWhitespace()
            children[key] = try reader.readNode(path: Schema.childPath(path, key), depth: depth + 1)
        }
        return .dict(children)
    }

    private mutating func readList(path: String, depth: Int) throws(SchemaError) -> SchemaNode {
        position += 1
        var children: [SchemaNode] = []
        try readElements(closing: "]", path: path) { reader throws(SchemaError) in
            let childPath = Schema.childPath(path, String(children.count))
            children.append(try reader.readNode(path: childPath, depth: depth + 1))
        }
        return .list(children)
    }

    /// Reads comma-separated elements up to `closing`; the opening bracket is already consumed.
    private mutating func readElements(
        closing: Unicode.Scalar, path: String,
        element: (inout SchemaJSONReader) throws(SchemaError) -> Void
    ) throws(SchemaError) {
        skipWhitespace()
        if peek() == UInt8(ascii: closing) {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: closing):
                position += 1
                return
            default:
                throw syntaxError("expected \",\" or \"\(closing)\"", path: path)
            }
        }
    }

    private mutating func readString(path: String) throws(SchemaError) -> String {
        position += 1
        var utf8: [UInt8] = []
        while let byte = peek() {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw syntaxError("string is not valid UTF-8", path: path)
                }
                return text
            case UInt8(ascii: "\\"):
                try readEscape(into: &utf8, path: path)
            case 0..<0x20:
                throw syntaxError("control character in string", path: path)
            default:
                utf8.append(byte)
            }
        }
        throw syntaxError("unterminated string", path: path)
    }

    private mutating func readEscape(into utf8: inout [UInt8], path: String) throws(SchemaError) {
        guard let byte = peek() else { throw syntaxError("unterminated escape", path: path) }
        position += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[byte] {
            utf8.append(replacement)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw syntaxError("invalid escape", path: path) }
        var value = try readHex4(path: path)
        if (0xD800..<0xDC00).contains(value) {
            guard peek() == UInt8(ascii: "\\"), peek(offset: 1) == UInt8(ascii: "u") else {
                throw syntaxError("unpaired surrogate", path: path)
            }
            position += 2
            let low = try readHex4(path: path)
            guard (0xDC00..<0xE000).contains(low) else {
                throw syntaxError("unpaired surrogate", path: path)
            }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw syntaxError("unpaired surrogate", path: path)
        }
        utf8.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func readHex4(path: String) throws(SchemaError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = hexValue(byte) else {
                throw syntaxError("expected four hex digits after \\u", path: path)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private func peek(offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    /// A syntax error at the current position, with a 1-based line and column (in bytes).
    private func syntaxError(_ message: String, path: String) -> SchemaError {
        let consumed = bytes[..<min(position, bytes.count)]
        let line = consumed.count(where: { $0 == 0x0A }) + 1
        let lineStart = consumed.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        return SchemaError(
            path: path,
            problem: .syntax(message, line: line, column: consumed.count - lineStart + 1))
    }
}
