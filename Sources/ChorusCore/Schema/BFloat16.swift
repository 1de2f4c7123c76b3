/// A bfloat16 value: the upper 16 bits of an IEEE-754 `Float`, as ML frameworks store it.
///
/// Swift has no native bfloat16; this type gives such leaves a checked element type and
/// converts to and from `Float`.
public struct BFloat16: Hashable, Sendable, BitwiseCopyable, CustomStringConvertible {
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) {
        self.bitPattern = bitPattern
    }

    /// Rounds `value` to the nearest bfloat16, ties to even; NaN stays NaN.
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(bits >> 16) | 0x0040
        } else {
            let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
            bitPattern = UInt16((bits &+ roundingBias) >> 16)
        }
    }

    public var float: Float { Float(bitPattern: UInt32(bitPattern) << 16) }

    public var description: String { float.description }
}
