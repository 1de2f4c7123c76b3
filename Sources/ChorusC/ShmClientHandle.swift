import CChorus
import ChorusClient
import ChorusCore

/// What a `chorus_shm_client *` points to: a ``ShmClient`` (one thread at a time: the lock
/// serialises callers).
final class ShmClientHandle {
    let schema: Schema
    private let client: Locked<ShmClient>

    init(path: String, schema: Schema, secret: [UInt8]?, connectTimeout: Duration?) throws(ABIError) {
        var options = ClientOptions()
        if let connectTimeout { options.connectTimeout = connectTimeout }
        do {
            client = Locked(try ShmClient(path: path, schema: schema, secret: secret, options: options))
        } catch {
            throw ABIError(error)
        }
        self.schema = schema
    }

    /// Writes the samples into the ring: each leaf-major buffer straight into its leaf's slots.
    func send(_ samples: LeafMajorSamples) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do {
                try client.reserve(samples.count) { slots in samples.copy(slots) }
            } catch let error as ClientError {
                throw ABIError(error)
            } catch {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "\(error)")
            }
        }
    }

    func wait(timeout: Duration?) throws(ABIError) {
        try client.withLock { (client) throws(ABIError) in
            do throws(ClientError) {
                try client.wait(timeout: timeout)
            } catch {
                throw ABIError(error)
            }
        }
    }

    func close() {
        client.withLock { $0.close() }
    }
}
