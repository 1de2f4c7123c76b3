import CChorus
import ChorusClient
import ChorusCore

// The rollout worker's half of chorus.h (see there for the contract).

@_cdecl("chorus_client_connect")
public func chorus_client_connect(_ host: UnsafePointer<CChar>?, _ port: UInt16, _ schema: OpaquePointer?,
                                  _ wireProtocol: chorus_protocol, _ secret: UnsafePointer<UInt8>?, _ secretLength: Int,
                                  _ window: Int, _ connectTimeoutNanoseconds: Int64,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let host else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null host") }
        let key = secret.map { Array(UnsafeBufferPointer(start: $0, count: secretLength)) }
        let chosen = try WireProtocol(wireProtocol, secret: key)
        try Handles.store(
            try ClientHandle(host: String(cString: host), port: Int(port), schema: schema, protocol: chosen, secret: key,
                             window: window > 0 ? window : nil,
                             connectTimeout: timeout(nanoseconds: connectTimeoutNanoseconds)),
            to: out)
    }
}

@_cdecl("chorus_client_connect_session")
public func chorus_client_connect_session(_ host: UnsafePointer<CChar>?, _ port: UInt16, _ schema: OpaquePointer?,
                                          _ table: UnsafePointer<CChar>?, _ secret: UnsafePointer<UInt8>?,
                                          _ secretLength: Int, _ session: UnsafePointer<UInt8>?, _ window: Int,
                                          _ connectTimeoutNanoseconds: Int64,
                                          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let host, let session else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null host or session") }
        let id = SessionID(bytes: ArraySlice(UnsafeBufferPointer(start: session, count: SessionID.byteCount)))
        try Handles.store(
            try ClientHandle(host: String(cString: host), port: Int(port), schema: schema, protocol: .chorus,
                             secret: secret.map { Array(UnsafeBufferPointer(start: $0, count: secretLength)) },
                             window: window > 0 ? window : nil,
                             connectTimeout: timeout(nanoseconds: connectTimeoutNanoseconds),
                             table: table.map { String(cString: $0) }, session: id),
            to: out)
    }
}

@_cdecl("chorus_client_session_start")
public func chorus_client_session_start(_ client: OpaquePointer?) -> UInt64 {
    (try? Handles.borrow(client, as: ClientHandle.self))?.sessionStart ?? 0
}

@_cdecl("chorus_client_free")
public func chorus_client_free(_ client: OpaquePointer?) {
    Handles.release(client, as: ClientHandle.self)  // a dropped TcpClient closes its socket
}

@_cdecl("chorus_client_send")
public func chorus_client_send(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(client, as: ClientHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        try handle.send(samples)
    }
}

@_cdecl("chorus_client_wait")
public func chorus_client_wait(_ client: OpaquePointer?, _ timeoutNanoseconds: Int64) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        try Handles.borrow(client, as: ClientHandle.self).wait(timeout: timeout(nanoseconds: timeoutNanoseconds))
    }
}

@_cdecl("chorus_client_flush")
public func chorus_client_flush(_ client: OpaquePointer?) -> chorus_status {
    reportingErrors { () throws(ABIError) in try Handles.borrow(client, as: ClientHandle.self).flush() }
}

@_cdecl("chorus_client_set_send_buffer")
public func chorus_client_set_send_buffer(_ client: OpaquePointer?, _ bytes: Int) -> chorus_status {
    reportingErrors { () throws(ABIError) in try Handles.borrow(client, as: ClientHandle.self).setSendBuffer(bytes) }
}

@_cdecl("chorus_client_unacked")
public func chorus_client_unacked(_ client: OpaquePointer?) -> Int {
    (try? Handles.borrow(client, as: ClientHandle.self))?.unacked ?? 0
}

@_cdecl("chorus_client_close")
public func chorus_client_close(_ client: OpaquePointer?) {
    (try? Handles.borrow(client, as: ClientHandle.self))?.close()
}
