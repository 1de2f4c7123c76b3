/// Chorus wire protocol v2 (see `Schemas/chorus-wire-v2.md`): hellos both ways with the full
/// schema, an optional shared-secret HMAC, a verdict with a reason, sequence-numbered samples and
/// cumulative 8-byte acks, so a session resumes after a reconnect without loss or duplicates.
package enum ChorusWire {
    package static let magic: [UInt8] = Array("CHRS".utf8)
    package static let version: UInt8 = 2
    /// The longest schema text either side accepts.
    package static let maximumSchemaText = 64 * 1024
    /// Reasons are cut to this many bytes so a verdict stays small.
    package static let maximumReason = 1024
    package static let serverHelloHeaderSize = 4 + 1 + 1 + 2 + 16 + 4
    package static let clientHelloHeaderSize = 4 + 1 + 3 + 16 + 8 + 32 + 4

    /// The verdict's status byte.
    package enum Status: UInt8, Sendable, CaseIterable {
        case accepted = 0
        case schemaMismatch = 1
        case authenticationFailed = 2
        case malformedHello = 3
        case serverFull = 4
        /// Reserved: a reconnect takes its session over instead (see the spec, §6).
        case sessionAlreadyConnected = 5
        case shuttingDown = 6
        /// The hello names a replay table the server does not have.
        case unknownTable = 7
    }

    /// The longest table name a hello may carry.
    package static let maximumTableName = 255
    /// Bytes before each sample on a connection that writes a replay table: its priority.
    package static let priorityPrefixSize = 8

    package struct ServerHello: Hashable, Sendable {
        package var authenticationRequired: Bool
        package var nonce: [UInt8]
        package var schemaText: [UInt8]

        package init(authenticationRequired: Bool, nonce: [UInt8], schemaText: [UInt8]) {
            self.authenticationRequired = authenticationRequired
            self.nonce = nonce
            self.schemaText = schemaText
        }

        package func encoded() -> [UInt8] {
            var bytes = magic + [version, authenticationRequired ? 1 : 0, 0, 0] + nonce
            bytes.appendLittleEndian(UInt32(schemaText.count))
            return bytes + schemaText
        }

        package static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<ServerHello> {
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

    package struct ClientHello: Hashable, Sendable {
        package var sessionID: SessionID
        /// The lowest sequence number the client has not seen acked.
        package var lowestUnacked: UInt64
        package var mac: [UInt8]
        package var schemaText: [UInt8]
        /// The replay table the samples go to (flag bit 0; each sample then carries a priority);
        /// nil: the server's default destination.
        package var table: String?

        package init(sessionID: SessionID, lowestUnacked: UInt64, mac: [UInt8], schemaText: [UInt8], table: String? = nil) {
            self.sessionID = sessionID
            self.lowestUnacked = lowestUnacked
            self.mac = mac
            self.schemaText = schemaText
            self.table = table
        }

        package func encoded() -> [UInt8] {
            var bytes = magic + [version, table == nil ? 0 : 1, 0, 0] + sessionID.bytes
            bytes.appendLittleEndian(lowestUnacked)
            bytes += mac
            bytes.appendLittleEndian(UInt32(schemaText.count))
            bytes += schemaText
            if let table {
                let name = Array(table.utf8.prefix(maximumTableName))
                bytes += [UInt8(name.count)] + name
            }
            return bytes
        }

        package static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<ClientHello> {
            var reader = WireReader(bytes)
            guard let head = reader.read(8) else { return .incomplete }
            if let problem = checkHead(head) { return .malformed(problem) }
            guard let session = reader.read(16), let lowest = reader.read(UInt64.self),
                  let mac = reader.read(32), let length = reader.read(UInt32.self) else { return .incomplete }
            guard length <= maximumSchemaText else {
                return .malformed("schema text of \(length) bytes exceeds the limit of \(maximumSchemaText)")
            }
            guard let text = reader.read(Int(length)) else { return .incomplete }
            var table: String?
            if head[head.startIndex + 5] & 1 == 1 {
                guard let length = reader.read(UInt8.self), let name = reader.read(Int(length)) else { return .incomplete }
                guard length > 0, let valid = String(validating: name, as: UTF8.self) else {
                    return .malformed("the table name is empty or not UTF-8")
                }
                table = valid
            }
            let hello = ClientHello(sessionID: SessionID(bytes: session), lowestUnacked: lowest,
                                    mac: Array(mac), schemaText: Array(text), table: table)
            return .complete(hello, consumed: reader.consumed)
        }
    }

    package struct Verdict: Hashable, Sendable {
        package var status: Status
        /// When accepted: the sequence number of the first sample the server expects.
        package var nextSequence: UInt64 = 0
        /// When refused: why, in UTF-8.
        package var reason: String = ""

        package init(status: Status, nextSequence: UInt64 = 0, reason: String = "") {
            self.status = status
            self.nextSequence = nextSequence
            self.reason = reason
        }

        package func encoded() -> [UInt8] {
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

        package static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<Verdict> {
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
    package static func ack(_ nextExpected: UInt64) -> [UInt8] {
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
