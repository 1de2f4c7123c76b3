import CChorus
import ChorusClient
import ChorusCore

/// What a `chorus_client *` points to: a ``TcpClient`` (one thread at a time: the lock
/// serialises callers) and a buffer for packing samples.
final class ClientHandle {
    let schema: Schema
    private let client: Locked<TcpClient>
    private let packing: PackingBuffer  // guarded by `client`'s lock

    init(host: String, port: Int, schema: Schema, protocol wireProtocol: WireProtocol, secret: [UInt8]?,
         window: Int?, connectTimeout: Duration?, table: String? = nil, session: SessionID? = nil) throws(ABIError)
    {
        var options = ClientOptions()
        if let connectTimeout { options.connectTimeout = connectTimeout }
        do {
            client = Locked(try TcpClient(host: host, port: port, schema: schema, protocol: wireProtocol,
                                          window: window, secret: secret, table: table, session: session,
                                          options: options))
        } catch {
            throw ABIError(error)
        }
        self.schema = schema
        packing = PackingBuffer(sampleSize: schema.sampleSize)
    }

    /// Sends the samples; `priorities` holds one for all or one per sample (table clients).
    func send(_ samples: LeafMajorSamples, priorities: [Double] = [1]) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) {
                try samples.forEachPackedChunk(into: packing) { (packed, first) throws(ClientError) in
                    let count = packed.count / schema.sampleSize
                    try client.send(packed: packed, priorities: priorities.count == 1 ? priorities : Array(priorities[first..<first + count]))
                }
            } catch {
                throw ABIError(error)
            }
        }
    }

    func wait(timeout: Duration?) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) {
                if let timeout { try client.wait(timeout: timeout) } else { try client.wait() }
            } catch {
                throw ABIError(error)
            }
        }
    }

    func flush() throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) { try client.flush() } catch { throw ABIError(error) }
        }
    }

    func setSendBuffer(_ bytes: Int) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) { try client.setSendBuffer(bytes) } catch { throw ABIError(error) }
        }
    }

    var unacked: Int { client.withLock { $0.unacked } }

    var sessionStart: UInt64 { client.withLock { $0.sessionStart } }

    func close() {
        client.withLock { $0.close() }
    }
}
