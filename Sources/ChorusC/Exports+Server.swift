import CChorus
import Chorus
import ChorusCore

// The learner's half of chorus.h (see there for the contract).

@_cdecl("chorus_server_create")
public func chorus_server_create(_ schema: OpaquePointer?, _ batchSize: Int, _ numBuffers: Int,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        try Handles.store(try ServerHandle(schema: schema, batchSize: batchSize, numBuffers: numBuffers), to: out)
    }
}

@_cdecl("chorus_server_free")
public func chorus_server_free(_ server: OpaquePointer?) {
    Handles.release(server, as: ServerHandle.self)  // a dropped Server shuts down
}

@_cdecl("chorus_server_listen")
public func chorus_server_listen(_ server: OpaquePointer?, _ listeners: UnsafePointer<chorus_listener>?, _ count: Int,
                                 _ ioThreads: Int, _ boundPorts: UnsafeMutablePointer<UInt16>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard count > 0, let listeners, let boundPorts else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no listeners, or a null pointer")
        }
        var configurations: [ListenerConfiguration] = []
        var leases: Set<Int64> = []
        for listener in UnsafeBufferPointer(start: listeners, count: count) {
            guard let host = listener.host else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a listener without a host") }
            let secret = listener.secret.map { Array(UnsafeBufferPointer(start: $0, count: listener.secret_length)) }
            let (address, port) = (String(cString: host), Int(listener.port))
            if listener.protocol == CHORUS_PROTOCOL_SHARED_MEMORY {
                configurations.append(.sharedMemory(path: address, secret: secret))
                leases.insert(listener.grant_lease_ns)
                continue
            }
            switch try WireProtocol(listener.protocol, secret: secret) {
            case .echo: configurations.append(.echo(host: address, port: port))
            case .chorus: configurations.append(.chorus(host: address, port: port, secret: secret))
            }
        }
        // The server lists TCP listeners first; report ports in the caller's order.
        guard leases.count <= 1 else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "shared-memory listeners with different grant leases (one per server)")
        }
        var options = TransportOptions()
        options.ioThreads = max(1, ioThreads)
        switch leases.first ?? 0 {
        case 0: break
        case ..<0: options.sharedMemoryGrantLease = nil
        case let nanoseconds: options.sharedMemoryGrantLease = .nanoseconds(nanoseconds)
        }
        var tcpPorts = try handle.listen(configurations, options: options).filter { $0.path == nil }.map(\.port)[...]
        for (index, configuration) in configurations.enumerated() {
            boundPorts[index] = configuration.path == nil ? UInt16(tcpPorts.popFirst() ?? 0) : 0
        }
    }
}

@_cdecl("chorus_server_submit")
public func chorus_server_submit(_ server: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int,
                                 _ timeoutNanoseconds: Int64, _ committed: UnsafeMutablePointer<Int>?) -> chorus_status {
    committed?.pointee = 0
    return reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.server.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        let outcome = handle.submit(samples, timeout: timeout(nanoseconds: timeoutNanoseconds))
        committed?.pointee = outcome.committed
        if let error = outcome.error { throw error }
    }
}

@_cdecl("chorus_server_next")
public func chorus_server_next(_ server: OpaquePointer?, _ timeoutNanoseconds: Int64,
                               _ sequence: UnsafeMutablePointer<UInt64>?,
                               _ metrics: UnsafeMutablePointer<chorus_server_metrics>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard let sequence else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        let taken = try handle.next(timeout: timeout(nanoseconds: timeoutNanoseconds))
        sequence.pointee = taken.sequence
        if let metrics {
            var snapshot = chorus_server_metrics(taken.metrics)
            snapshot.batch_invalid = UInt64(taken.invalid)
            try writeVersioned(&snapshot, to: metrics)
        }
    }
}

@_cdecl("chorus_server_release")
public func chorus_server_release(_ server: OpaquePointer?) {
    (try? Handles.borrow(server, as: ServerHandle.self))?.release()
}

@_cdecl("chorus_server_batch_validity")
public func chorus_server_batch_validity(_ server: OpaquePointer?, _ sequence: UInt64,
                                         _ valid: UnsafeMutablePointer<UInt8>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard let valid else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        try handle.validity(sequence: sequence, into: UnsafeMutableBufferPointer(start: valid, count: handle.server.batchSize))
    }
}

@_cdecl("chorus_server_leaf_data")
public func chorus_server_leaf_data(_ server: OpaquePointer?, _ sequence: UInt64, _ leaf: Int,
                                    _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                    _ length: UnsafeMutablePointer<Int>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard let data, let length else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        let bytes = try handle.leafBytes(sequence: sequence, leaf: leaf)
        // The ring's memory is the consumer's to read and, as NumPy views allow, to write.
        data.pointee = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
        length.pointee = bytes.count
    }
}

@_cdecl("chorus_server_shutdown")
public func chorus_server_shutdown(_ server: OpaquePointer?) {
    (try? Handles.borrow(server, as: ServerHandle.self))?.server.shutdown()
}

@_cdecl("chorus_server_metrics_get")
public func chorus_server_metrics_get(_ server: OpaquePointer?, _ out: UnsafeMutablePointer<chorus_server_metrics>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(server, as: ServerHandle.self)
        guard let out else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        try write(handle.server.metrics, to: out)
    }
}

private func write(_ metrics: ServerMetrics, to out: UnsafeMutablePointer<chorus_server_metrics>) throws(ABIError) {
    var snapshot = chorus_server_metrics(metrics)
    try writeVersioned(&snapshot, to: out)
}

/// Writes the fields of `value` that the caller's struct has: a struct whose first field is its
/// `size_t struct_size`, set by the caller; an older caller's is shorter, and says so there.
func writeVersioned<Value>(_ value: inout Value, to out: UnsafeMutablePointer<Value>) throws(ABIError) {
    let callerSize = UnsafeRawPointer(out).load(as: Int.self)
    guard callerSize >= MemoryLayout<Int>.size else {
        throw ABIError(CHORUS_INVALID_ARGUMENT, "struct_size \(callerSize) is too small")
    }
    withUnsafeBytes(of: &value) { bytes in
        UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: min(callerSize, bytes.count))
    }
    UnsafeMutableRawPointer(out).storeBytes(of: callerSize, as: Int.self)
}

extension chorus_server_metrics {
    init(_ metrics: ServerMetrics) {
        let ring = metrics.ring, transport = metrics.transport
        self.init(
            struct_size: MemoryLayout<chorus_server_metrics>.size,
            samples_committed: ring.samplesCommitted,
            batches_delivered: ring.batchesDelivered,
            producer_waits: ring.producerWaits,
            consumer_waits: ring.consumerWaits,
            ring_fill: UInt64(ring.fill),
            ring_capacity: UInt64(ring.capacity),
            connections_accepted: transport.connectionsAccepted,
            connections_active: UInt64(transport.connectionsActive),
            connections_reset: transport.connectionsReset,
            connections_refused: transport.refusals.values.reduce(0, +),
            samples_received: transport.samplesReceived,
            samples_truncated: transport.samplesTruncated,
            bytes_received: transport.bytesReceived,
            ack_writes: transport.ackWrites,
            stalls: transport.stalls,
            sessions_resumed: transport.sessionsResumed,
            internal_errors: transport.internalErrors,
            samples_read_directly: transport.samplesReadDirectly,
            samples_voided: transport.samplesVoided,
            batch_invalid: 0)
    }
}
