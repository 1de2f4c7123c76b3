import CChorus

/// The opaque handles of the C ABI: a Swift object retained once when handed out, borrowed by
/// every call, released by its `*_free`.
enum Handles {
    static func export<Object: AnyObject>(_ object: Object) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    /// The object behind `pointer`. Invariant (the caller's, per chorus.h): `pointer` came from
    /// `export` with this type and has not been freed.
    static func borrow<Object: AnyObject>(_ pointer: OpaquePointer?, as _: Object.Type) throws(ABIError) -> Object {
        guard let pointer else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null handle") }
        return Unmanaged<Object>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func release<Object: AnyObject>(_ pointer: OpaquePointer?, as _: Object.Type) {
        guard let pointer else { return }
        Unmanaged<Object>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }

    /// Writes a new handle to `out`, or fails when `out` is null.
    static func store<Object: AnyObject>(_ object: @autoclosure () throws(ABIError) -> Object,
                                         to out: UnsafeMutablePointer<OpaquePointer?>?) throws(ABIError) {
        guard let out else { throw ABIError(CHORUS_INVALID_ARGUMENT, "a null output pointer") }
        out.pointee = export(try object())
    }
}

/// A C timeout in nanoseconds: negative means none.
func timeout(nanoseconds: Int64) -> Duration? {
    nanoseconds < 0 ? nil : .nanoseconds(nanoseconds)
}
