/// Wire protocol v1 of the Python package id-echo (see `Schemas/echo-wire-v1.md`): the server
/// sends a handshake of leaf shapes and item sizes, the client then streams packed samples, and
/// the server acks each sample with one `0x01` byte.
package enum EchoWire {
    package static let magic: [UInt8] = Array("ECHO".utf8)
    package static let version: UInt8 = 1
    package static let ack: UInt8 = 0x01

    /// What the handshake says of one leaf: no dtype kind, names or tree, only this.
    package struct LeafRecord: Hashable, Sendable {
        package var itemSize: UInt32
        package var dims: [UInt32]
    }

    /// Why a schema cannot be described in v1's handshake (dimensions are u32 there).
    package static func unrepresentableReason(_ schema: Schema) -> String? {
        for leaf in schema.leaves where leaf.shape.contains(where: { $0 > Int(UInt32.max) }) {
            return "leaf \"\(leaf.path)\" has a dimension above \(UInt32.max), which echo v1 cannot carry"
        }
        return schema.leaves.count > Int(UInt32.max) ? "too many leaves for echo v1" : nil
    }

    package static func records(of schema: Schema) -> [LeafRecord] {
        schema.leaves.map { LeafRecord(itemSize: UInt32($0.dtype.itemSize), dims: $0.shape.map { UInt32($0) }) }
    }

    /// The bytes the server sends on accept.
    /// - Precondition: `unrepresentableReason(schema) == nil`.
    package static func handshake(for schema: Schema) -> [UInt8] {
        var bytes = magic + [version]
        let records = records(of: schema)
        bytes.appendLittleEndian(UInt32(records.count))
        for record in records {
            bytes.appendLittleEndian(record.itemSize)
            bytes.appendLittleEndian(UInt32(record.dims.count))
            for dim in record.dims { bytes.appendLittleEndian(dim) }
        }
        return bytes
    }

    /// Decodes a server handshake (the client side). Leaf counts and ranks are bounded so a
    /// hostile server cannot make the client allocate without limit.
    package static func decodeHandshake(_ bytes: ArraySlice<UInt8>) -> WireDecoding<[LeafRecord]> {
        var reader = WireReader(bytes)
        guard let head = reader.read(5) else { return .incomplete }
        guard Array(head.prefix(4)) == magic else { return .malformed("not an echo v1 server (it sent \(describeMagic(head.prefix(4))))") }
        guard head.last == version else { return .malformed("unsupported echo wire version \(head.last!)") }
        guard let count = reader.read(UInt32.self) else { return .incomplete }
        guard count <= 65_536 else { return .malformed("handshake announces \(count) leaves") }
        var records: [LeafRecord] = []
        for _ in 0..<count {
            guard let itemSize = reader.read(UInt32.self), let rank = reader.read(UInt32.self) else {
                return .incomplete
            }
            guard rank <= 64 else { return .malformed("handshake announces a leaf of rank \(rank)") }
            var dims: [UInt32] = []
            for _ in 0..<rank {
                guard let dim = reader.read(UInt32.self) else { return .incomplete }
                dims.append(dim)
            }
            records.append(LeafRecord(itemSize: itemSize, dims: dims))
        }
        return .complete(records, consumed: reader.consumed)
    }

    /// Why a server's leaves do not fit the client's schema, or nil when they do.
    package static func mismatchReason(server: [LeafRecord], client schema: Schema) -> String? {
        let client = records(of: schema)
        guard server.count == client.count else {
            return "server has \(server.count) leaves, client schema has \(client.count)"
        }
        for (index, (theirs, ours)) in zip(server, client).enumerated() where theirs != ours {
            let leaf = schema.leaves[index]
            return "leaf \"\(leaf.path)\" (position \(index)): client \(leaf.leaf) (item size \(ours.itemSize), dims \(ours.dims)), "
                + "server item size \(theirs.itemSize), dims \(theirs.dims)"
        }
        return nil
    }
}
