import CChorus
import ChorusClient
import ChorusCore

/// What a `chorus_sharded_client *` points to: a ``ShardedClient`` (one thread at a time: the
/// lock serialises callers) and a buffer for packing samples.
final class ShardedClientHandle {
    let schema: Schema
    private let client: Locked<ShardedClient>
    private let packing: PackingBuffer  // guarded by `client`'s lock

    init(shards: [ShardedClient.Shard], schema: Schema, secret: [UInt8]?, window: Int?, connectTimeout: Duration?,
         retryDelay: Duration?, maximumRetryDelay: Duration?, timeout: Duration?) throws(ABIError)
    {
        var options = ClientOptions()
        if let connectTimeout { options.connectTimeout = connectTimeout }
        let retryDelay = retryDelay ?? .milliseconds(100)
        do {
            client = Locked(try ShardedClient(shards: shards, schema: schema, window: window, secret: secret, options: options,
                                              retryDelay: retryDelay,
                                              maximumRetryDelay: maximumRetryDelay ?? max(retryDelay, .seconds(5)),
                                              timeout: timeout ?? .seconds(30)))
        } catch {
            throw ABIError(error)
        }
        self.schema = schema
        packing = PackingBuffer(sampleSize: schema.sampleSize)
    }

    /// Sends the samples round-robin, or all to the shard of `key`.
    func send(_ samples: LeafMajorSamples, key: UInt64?) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) {
                try samples.forEachPackedChunk(into: packing) { (packed, _) throws(ClientError) in
                    if let key { try client.send(packed: packed, key: key) } else { try client.send(packed: packed) }
                }
            } catch {
                throw ABIError(error)
            }
        }
    }

    func wait(timeout: Duration?) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) { try client.wait(timeout: timeout) } catch { throw ABIError(error) }
        }
    }

    /// Each shard's state: whether it is up, and the samples handed to it.
    var shards: (up: [Bool], sent: [Int]) { client.withLock { ($0.shardsUp, $0.samplesSent) } }

    func close() {
        client.withLock { $0.close() }
    }
}
