import ChorusCore
import Crypto

/// The client's half of the v2 handshake, for every client that speaks it (``TcpClient``,
/// ``ShmClient``): read the server's hello, answer with ours (the schema, and the HMAC over the
/// nonce when the server wants a secret), read the verdict.
package enum ChorusHandshake {
    /// Runs the handshake on `socket` within `timeout`; returns the server's acceptance.
    ///
    /// - Throws: ``ClientError/refused(status:reason:)`` with the server's reason (or when it
    ///   wants a secret and none was given), ``ClientError/protocolViolation(_:)`` for bytes
    ///   that are no handshake, ``ClientError/connectFailed(_:)`` when the socket fails.
    package static func perform(
        on socket: BlockingSocket, schema: Schema, secret: [UInt8]?, sessionID: SessionID, lowestUnacked: UInt64,
        table: String?, timeout: Duration
    ) throws(ClientError) -> ChorusWire.Verdict {
        let deadline = ContinuousClock.now + timeout
        let hello = try readMessage(from: socket, until: deadline, ChorusWire.ServerHello.decode)
        var mac = [UInt8](repeating: 0, count: 32)
        if hello.authenticationRequired {
            guard let secret else {
                throw .refused(status: ChorusWire.Status.authenticationFailed.rawValue,
                               reason: "the server requires a secret and none was given")
            }
            mac = Array(HMAC<SHA256>.authenticationCode(for: hello.nonce + sessionID.bytes, using: SymmetricKey(data: secret)))
        }
        let clientHello = ChorusWire.ClientHello(sessionID: sessionID, lowestUnacked: lowestUnacked, mac: mac,
                                                 schemaText: Array(schema.canonicalJSON.utf8), table: table)
        do {
            try clientHello.encoded().withBytes { (bytes) throws(BlockingSocket.Failure) in try socket.send([bytes]) }
        } catch {
            throw .connectFailed("sending the hello: \(error)")
        }
        let verdict = try readMessage(from: socket, until: deadline, ChorusWire.Verdict.decode)
        guard verdict.status == .accepted else { throw .refused(status: verdict.status.rawValue, reason: verdict.reason) }
        return verdict
    }

    /// Reads until `decode` has a whole message, before `deadline`. Handshake messages are small
    /// and nothing follows them until the client speaks, so this reads a byte at a time and
    /// never takes bytes that belong to what comes next.
    package static func readMessage<Message>(
        from socket: BlockingSocket, until deadline: ContinuousClock.Instant,
        _ decode: (ArraySlice<UInt8>) -> WireDecoding<Message>
    ) throws(ClientError) -> Message {
        var received: [UInt8] = []
        var byte = [UInt8](repeating: 0, count: 1)
        while true {
            switch decode(received[...]) {
            case .complete(let message, _): return message
            case .malformed(let reason): throw .protocolViolation(reason)
            case .incomplete: break
            }
            do {
                let count = try byte.withMutableBytes { (buffer) throws(BlockingSocket.Failure) -> Int in
                    try socket.receive(into: buffer, timeout: max(deadline - .now, .zero))
                }
                received += byte[..<count]
            } catch {
                throw .connectFailed("during the handshake: \(error)")
            }
        }
    }
}
