/// A Swift type that is the element type of exactly one ``DType``.
///
/// Views and writes are checked against it: asking for a `float32` leaf as `Double` is an
/// error, never a reinterpretation of the bytes.
public protocol LeafElement: BitwiseCopyable, Sendable {
    static var dtype: DType { get }
}

extension Bool: LeafElement { public static var dtype: DType { .bool } }
extension Int8: LeafElement { public static var dtype: DType { .int8 } }
extension Int16: LeafElement { public static var dtype: DType { .int16 } }
extension Int32: LeafElement { public static var dtype: DType { .int32 } }
extension Int64: LeafElement { public static var dtype: DType { .int64 } }
extension UInt8: LeafElement { public static var dtype: DType { .uint8 } }
extension UInt16: LeafElement { public static var dtype: DType { .uint16 } }
extension UInt32: LeafElement { public static var dtype: DType { .uint32 } }
extension UInt64: LeafElement { public static var dtype: DType { .uint64 } }
extension Float16: LeafElement { public static var dtype: DType { .float16 } }
extension BFloat16: LeafElement { public static var dtype: DType { .bfloat16 } }
extension Float: LeafElement { public static var dtype: DType { .float32 } }
extension Double: LeafElement { public static var dtype: DType { .float64 } }
