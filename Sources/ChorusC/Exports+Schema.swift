import CChorus
import ChorusCore

// The library's version and the schema half of chorus.h (see there for the contract).

@_cdecl("chorus_abi_version")
public func chorus_abi_version() -> Int32 {
    CHORUS_ABI_VERSION
}

@_cdecl("chorus_version")
public func chorus_version() -> UnsafePointer<CChar> {
    ChorusCVersion.release
}

@_cdecl("chorus_last_error")
public func chorus_last_error() -> UnsafePointer<CChar> {
    LastError.message
}

@_cdecl("chorus_schema_parse")
public func chorus_schema_parse(_ json: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        guard let json else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null schema text") }
        let schema: Schema
        do {
            schema = try Schema(json: String(cString: json))
        } catch {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "\(error)")
        }
        try Handles.store(SchemaHandle(schema), to: out)
    }
}

@_cdecl("chorus_schema_free")
public func chorus_schema_free(_ schema: OpaquePointer?) {
    Handles.release(schema, as: SchemaHandle.self)
}

@_cdecl("chorus_schema_canonical_json")
public func chorus_schema_canonical_json(_ schema: OpaquePointer?) -> UnsafePointer<CChar>? {
    (try? Handles.borrow(schema, as: SchemaHandle.self)).map { UnsafePointer($0.canonicalJSON) }
}

@_cdecl("chorus_schema_leaf_count")
public func chorus_schema_leaf_count(_ schema: OpaquePointer?) -> Int {
    (try? Handles.borrow(schema, as: SchemaHandle.self))?.schema.leaves.count ?? 0
}

@_cdecl("chorus_schema_sample_size")
public func chorus_schema_sample_size(_ schema: OpaquePointer?) -> Int {
    (try? Handles.borrow(schema, as: SchemaHandle.self))?.schema.sampleSize ?? 0
}

@_cdecl("chorus_schema_leaf")
public func chorus_schema_leaf(_ schema: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<chorus_leaf_info>?) -> chorus_status {
    reportingErrors { () throws(ABIError) in
        let handle = try Handles.borrow(schema, as: SchemaHandle.self)
        guard let out else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        guard handle.schema.leaves.indices.contains(index) else {
            throw ABIError(CHORUS_INVALID_ARGUMENT, "leaf \(index) is outside the schema's \(handle.schema.leaves.count)")
        }
        out.pointee = handle.info(ofLeaf: index)
    }
}
