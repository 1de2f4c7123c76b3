import CChorus
import ChorusClient
import ChorusCore

// A same-host producer's half of chorus.h (see there for the contract).

@_cdecl("chorus_shm_client_connect")
public func chorus_shm_client_connect(_ path: UnsafePointer<CChar>?, _ schema: OpaquePointer?,
                                      _ secret: UnsafePointer<UInt8>?, _ secretLength: Int, _ connectTimeoutNanoseconds: Int64,
                                      _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let schema = try Handles.borrow(schema, as: SchemaHandle.self).schema
        guard let path else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null path") }
        let key = secret.map { Array(UnsafeBufferPointer(start: $0, count: secretLength)) }
        try Handles.store(
            try ShmClientHandle(path: String(cString: path), schema: schema, secret: key,
                                connectTimeout: timeout(nanoseconds: connectTimeoutNanoseconds)),
            to: out)
    }
}

@_cdecl("chorus_shm_client_free")
public func chorus_shm_client_free(_ client: OpaquePointer?) {
    Handles.release(client, as: ShmClientHandle.self)  // a dropped ShmClient leaves the server
}

@_cdecl("chorus_shm_client_send")
public func chorus_shm_client_send(_ client: OpaquePointer?, _ leaves: UnsafePointer<UnsafeRawPointer?>?, _ count: Int)
    -> chorus_status
{
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(client, as: ShmClientHandle.self)
        guard let samples = LeafMajorSamples(schema: handle.schema, leaves: leaves, count: count) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "no samples, or a null leaf pointer")
        }
        try handle.send(samples)
    }
}

@_cdecl("chorus_shm_client_wait")
public func chorus_shm_client_wait(_ client: OpaquePointer?, _ timeoutNanoseconds: Int64) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        try Handles.borrow(client, as: ShmClientHandle.self).wait(timeout: timeout(nanoseconds: timeoutNanoseconds))
    }
}

@_cdecl("chorus_shm_client_close")
public func chorus_shm_client_close(_ client: OpaquePointer?) {
    (try? Handles.borrow(client, as: ShmClientHandle.self))?.close()
}
