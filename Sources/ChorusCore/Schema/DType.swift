/// The element type of a leaf, named as numpy names it.
///
/// The raw value is the name used in schema files and on the wire (`float32`, `bfloat16`, …).
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case bool
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case float16, bfloat16, float32, float64

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .bool, .int8, .uint8: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    public var description: String { rawValue }
}
