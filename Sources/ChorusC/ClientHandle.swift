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
         window: Int?, connectTimeout: Duration?) throws(ABIError)
    {
        var options = ClientOptions()
        if let connectTimeout { options.connectTimeout = connectTimeout }
        do {
            client = Locked(try TcpClient(host: host, port: port, schema: schema, protocol: wireProtocol,
                                          window: window, secret: secret, options: options))
        } catch {
            throw ABIError(error)
        }
        self.schema = schema
        packing = PackingBuffer(sampleSize: schema.sampleSize)
    }

    func send(_ samples: LeafMajorSamples) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) {
                try samples.forEachPackedChunk(into: packing) { (packed) throws(ClientError) in
                    try client.send(packed: packed)
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

    var unacked: Int { client.withLock { $0.unacked } }

    func close() {
        client.withLock { $0.close() }
    }
}
