import CChorus
import ChorusClient
import ChorusCore

// A worker's client for sharded learners, in chorus.h (see there for the contract).

@_cdecl("chorus_sharded_client_connect")
public func chorus_sharded_client_connect(
    _ hosts: UnsafePointer<UnsafePointer<CChar>?>?, _ ports: UnsafePointer<UInt16>?, _ shardCount: Int,
    _ schema: OpaquePointer?, _ secret: UnsafePointer<UInt8>?, _ secretLength: Int, _ window: Int,
    _ connectTimeoutNanoseconds: Int64, _ retryDelayNanoseconds: Int64, _ maximumRetryDelayNanoseconds: Int64,
    _ timeoutNanoseconds: Int64, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let hosts, let ports, shardCount > 0 else { throw ABIError(CHORUS_INVALID_ARGUMENT, "no shards") }
        let shards = try (0..<shardCount).map { (index) throws(ABIError) in
            guard let host = hosts[index] else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null host for shard \(index)") }
            return ShardedClient.Shard(host: String(cString: host), port: Int(ports[index]))
        }
        let key = secret.map { Array(UnsafeBufferPointer(start: $0, count: secretLength)) }
        try Handles.store(
            try ShardedClientHandle(shards: shards, schema: schema, secret: key, window: window > 0 ? window : nil,
                                    connectTimeout: timeout(nanoseconds: connectTimeoutNanoseconds),
                                    retryDelay: positive(nanoseconds: retryDelayNanoseconds),
                                    maximumRetryDelay: positive(nanoseconds: maximumRetryDelayNanoseconds),
                                    timeout: timeout(nanoseconds: timeoutNanoseconds)),
            to: out)
    }
}

@_cdecl("chorus_sharded_client_free")
public func chorus_sharded_client_free(_ client: OpaquePointer?) {
    Handles.release(client, as: ShardedClientHandle.self)  // a dropped ShardedClient closes its shards
}

@_cdecl("chorus_sharded_client_send")
public func chorus_sharded_client_send(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?,
                                       _ count: Int) -> chorus_status {
    shardedSend(client, leaves, count, key: nil)
}

@_cdecl("chorus_sharded_client_send_key")
public func chorus_sharded_client_send_key(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?,
                                           _ count: Int, _ key: UInt64) -> chorus_status {
    shardedSend(client, leaves, count, key: key)
}

@_cdecl("chorus_sharded_client_wait")
public func chorus_sharded_client_wait(_ client: OpaquePointer?, _ timeoutNanoseconds: Int64) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        try Handles.borrow(client, as: ShardedClientHandle.self).wait(timeout: timeout(nanoseconds: timeoutNanoseconds))
    }
}

@_cdecl("chorus_sharded_client_shards")
public func chorus_sharded_client_shards(_ client: OpaquePointer?, _ up: UnsafeMutablePointer<UInt8>?,
                                         _ sent: UnsafeMutablePointer<UInt64>?) {
    guard let (states, counts) = (try? Handles.borrow(client, as: ShardedClientHandle.self))?.shards else { return }
    for (index, isUp) in states.enumerated() {
        up?[index] = isUp ? 1 : 0
        sent?[index] = UInt64(counts[index])
    }
}

@_cdecl("chorus_sharded_client_close")
public func chorus_sharded_client_close(_ client: OpaquePointer?) {
    (try? Handles.borrow(client, as: ShardedClientHandle.self))?.close()
}

private func shardedSend(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int,
                         key: UInt64?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(client, as: ShardedClientHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        try handle.send(samples, key: key)
    }
}

/// `nanoseconds` as a duration when positive; nil (the default) otherwise.
private func positive(nanoseconds: Int64) -> Duration? {
    nanoseconds > 0 ? .nanoseconds(nanoseconds) : nil
}
