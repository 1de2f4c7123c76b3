import ChorusCore
import Crypto

/// The v2 handshake: the client's hello is read, checked (authentication, schema) and answered
/// with a verdict; a refusal names its reason and closes the connection gently.
extension TransportLoop {
    func readHello(_ connection: Connection, nonce: [UInt8]) {
        switch ChorusWire.ClientHello.decode(Array(connection.buffer.unconsumed)[...]) {
        case .incomplete:
            return
        case .malformed(let reason):
            refuse(connection, .malformedHello, reason, .malformedHello)
        case .complete(let hello, let consumed):
            connection.buffer.consume(consumed)
            accept(hello, nonce: nonce, on: connection)
        }
    }

    private func accept(_ hello: ChorusWire.ClientHello, nonce: [UInt8], on connection: Connection) {
        if stopping {
            return refuse(connection, .shuttingDown, "the server is shutting down", .shuttingDown)
        }
        if let key = listeners[connection.listener].key,
           !HMAC<SHA256>.isValidAuthenticationCode(
               hello.mac, authenticating: nonce + hello.sessionID.bytes, using: key) {
            return refuse(connection, .authenticationFailed,
                          "authentication failed: the client's secret does not match the server's",
                          .authenticationFailed)
        }
        let clientSchema: Schema
        do {
            clientSchema = try Schema(jsonBytes: hello.schemaText)
        } catch {
            return refuse(connection, .schemaMismatch, "the client's schema is invalid: \(error)", .schemaMismatch)
        }
        if let reason = schema.difference(fromClient: clientSchema) {
            return refuse(connection, .schemaMismatch, reason, .schemaMismatch)
        }
        var table = tables.defaultTable
        if let name = hello.table {
            do {
                table = try tables.named(name)
            } catch {
                return refuse(connection, .unknownTable, "\(error)", .unknownTable)
            }
            connection.carriesPriorities = true
            connection.recordSize = ChorusWire.priorityPrefixSize + schema.sampleSize
        }
        connection.table = table
        let (session, next, resumed) = sessions.attach(
            hello.sessionID, lowestUnacked: hello.lowestUnacked, owner: connection.owner, now: .now)
        if resumed { counters.resumed.add(1, ordering: .relaxed) }
        connection.session = session
        connection.nextSequence = next
        connection.phase = .streaming
        connection.deadline = nil
        connection.send.queue(ChorusWire.Verdict(status: .accepted, nextSequence: next).encoded(),
                              at: SendQueue.Slot.verdict)
        sendNext(connection)
        ingest(connection)
    }

    func refuse(_ connection: Connection, _ status: ChorusWire.Status, _ reason: String,
                        _ refusal: TransportMetrics.Refusal) {
        refused(refusal, reason, connection)
        connection.send.queue(ChorusWire.Verdict(status: status, reason: reason).encoded(), at: SendQueue.Slot.verdict)
        connection.phase = .refusing
        connection.deadline = .now + options.handshakeTimeout
        sendNext(connection)
    }
}
