/// Chorus wire protocol v2 (see `Schemas/chorus-wire-v2.md`): hellos both ways with the full
/// schema, an optional shared-secret HMAC, a verdict with a reason, sequence-numbered samples and
/// cumulative 8-byte acks, so a session resumes after a reconnect without loss or duplicates.
enum ChorusWire {
    static let magic: [UInt8] = Array("CHRS".utf8)
    static let version: UInt8 = 2
    /// The longest schema text either side accepts.
    static let maximumSchemaText = 64 * 1024
    /// Reasons are cut to this many bytes so a verdict stays small.
    static let maximumReason = 1024
    static let serverHelloHeaderSize = 4 + 1 + 1 + 2 + 16 + 4
    static let clientHelloHeaderSize = 4 + 1 + 3 + 16 + 8 + 32 + 4

    /// The verdict's status byte.
    enum Status: UInt8, Sendable, CaseIterable {
        case accepted = 0
        case schemaMismatch = 1
        case authenticationFailed = 2
        case malformedHello = 3
        case serverFull = 4
        /// Reserved: a reconnect takes its session over instead (see the spec, §6).
        case sessionAlreadyConnected = 5
        case shuttingDown = 6
    }

    struct ServerHello: Hashable, Sendable {
        var authenticationRequired: Bool
        var nonce: [UInt8]
        var schemaText: [UInt8]

        func encoded() -> [UInt8] {
            var bytes = magic + [version, authenticationRequired ? 1 : 0, 0, 0] + nonce
            bytes.appendLittleEndian(UInt32(schemaText.count))
            return bytes + schemaText
        }

        static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<ServerHello> {
            var reader = WireReader(bytes)
            guard let head = reader.read(8) else { return .incomplete }
            if let problem = checkHead(head) { return .malformed(problem) }
            guard let nonce = reader.read(16), let length = reader.read(UInt32.self) else { return .incomplete }
            guard length <= maximumSchemaText else { return .malformed("server schema text of \(length) bytes") }
            guard let text = reader.read(Int(length)) else { return .incomplete }
            let hello = ServerHello(authenticationRequired: head[head.startIndex + 5] & 1 == 1,
                                    nonce: Array(nonce), schemaText: Array(text))
            return .complete(hello, consumed: reader.consumed)
        }
    }

    struct ClientHello: Hashable, Sendable {
        var sessionID: SessionID
        /// The lowest sequence number the client has not seen acked.
        var lowestUnacked: UInt64
        var mac: [UInt8]
        var schemaText: [UInt8]

        func encoded() -> [UInt8] {
            var bytes = magic + [version, 0, 0, 0] + sessionID.bytes
            bytes.appendLittleEndian(lowestUnacked)
            bytes += mac
            bytes.appendLittleEndian(UInt32(schemaText.count))
            return bytes + schemaText
        }

        static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<ClientHello> {
            var reader = WireReader(bytes)
            guard let head = reader.read(8) else { return .incomplete }
            if let problem = checkHead(head) { return .malformed(problem) }
            guard let session = reader.read(16), let lowest = reader.read(UInt64.self),
                  let mac = reader.read(32), let length = reader.read(UInt32.self) else { return .incomplete }
            guard length <= maximumSchemaText else {
                return .malformed("schema text of \(length) bytes exceeds the limit of \(maximumSchemaText)")
            }
            guard let text = reader.read(Int(length)) else { return .incomplete }
            let hello = ClientHello(sessionID: SessionID(bytes: session), lowestUnacked: lowest,
                                    mac: Array(mac), schemaText: Array(text))
            return .complete(hello, consumed: reader.consumed)
        }
    }

    struct Verdict: Hashable, Sendable {
        var status: Status
        /// When accepted: the sequence number of the first sample the server expects.
        var nextSequence: UInt64 = 0
        /// When refused: why, in UTF-8.
        var reason: String = ""

        func encoded() -> [UInt8] {
            var bytes = [status.rawValue]
            if status == .accepted {
                bytes.appendLittleEndian(nextSequence)
            } else {
                let text = Array(reason.utf8.prefix(maximumReason))
                bytes.appendLittleEndian(UInt16(text.count))
                bytes += text
            }
            return bytes
        }

        static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<Verdict> {
            var reader = WireReader(bytes)
            guard let code = reader.read(UInt8.self) else { return .incomplete }
            guard let status = Status(rawValue: code) else { return .malformed("unknown verdict status \(code)") }
            if status == .accepted {
                guard let next = reader.read(UInt64.self) else { return .incomplete }
                return .complete(Verdict(status: status, nextSequence: next), consumed: reader.consumed)
            }
            guard let length = reader.read(UInt16.self), let text = reader.read(Int(length)) else { return .incomplete }
            return .complete(Verdict(status: status, reason: String(decoding: text, as: UTF8.self)),
                             consumed: reader.consumed)
        }
    }

    /// An ack: every sample below `nextExpected` is committed to the ring.
    static func ack(_ nextExpected: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(nextExpected)
        return bytes
    }

    private static func checkHead(_ head: ArraySlice<UInt8>) -> String? {
        guard Array(head.prefix(4)) == magic else { return "not a Chorus v2 peer (it sent \(describeMagic(head.prefix(4))))" }
        let version = head[head.startIndex + 4]
        return version == self.version ? nil : "unsupported Chorus wire version \(version) (this side speaks 2)"
    }
}
