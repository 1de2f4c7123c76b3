/// Writes a schema tree in the schema file format: dict keys in optree order, leaves as
/// `"dtype[d0,d1,…]"`.
enum SchemaJSONWriter {
    /// No whitespace: the canonical text of wire protocol v2 (§7).
    static func canonical(_ node: SchemaNode) -> String {
        var out = ""
        write(node, indent: nil, into: &out)
        return out
    }

    /// Two-space indentation and a final newline, for files people read.
    static func pretty(_ node: SchemaNode) -> String {
        var out = ""
        write(node, indent: 0, into: &out)
        out.append("\n")
        return out
    }

    private static func write(_ node: SchemaNode, indent: Int?, into out: inout String) {
        switch node {
        case .leaf(let leaf):
            writeString(leaf.description, into: &out)
        case .dict(let children):
            let keys = Schema.sortedKeys(children)
            writeContainer(open: "{", close: "}", count: keys.count, indent: indent, into: &out) {
                position, inner, out in
                writeString(keys[position], into: &out)
                out.append(inner == nil ? ":" : ": ")
                write(children[keys[position]]!, indent: inner, into: &out)
            }
        case .list(let children):
            writeContainer(open: "[", close: "]", count: children.count, indent: indent, into: &out) {
                position, inner, out in
                write(children[position], indent: inner, into: &out)
            }
        }
    }

    private static func writeContainer(
        open: Character, close: Character, count: Int, indent: Int?, into out: inout String,
        element: (Int, Int?, inout String) -> Void
    ) {
        out.append(open)
        let inner = indent.map { $0 + 2 }
        for position in 0..<count {
            if position > 0 { out.append(",") }
            if let inner { out.append("\n" + String(repeating: " ", count: inner)) }
            element(position, inner, &out)
        }
        if let indent, count > 0 { out.append("\n" + String(repeating: " ", count: indent)) }
        out.append(close)
    }

    private static func writeString(_ text: String, into out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
