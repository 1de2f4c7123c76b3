@testable import ChorusCore
import Testing

@Suite struct DTypeTests {
    @Test(arguments: [
        (DType.bool, 1), (.int8, 1), (.int16, 2), (.int32, 4), (.int64, 8),
        (.uint8, 1), (.uint16, 2), (.uint32, 4), (.uint64, 8),
        (.float16, 2), (.bfloat16, 2), (.float32, 4), (.float64, 8),
    ])
    func itemSize(dtype: DType, bytes: Int) {
        #expect(dtype.itemSize == bytes)
    }

    @Test func everyDTypeHasASizedSwiftElement() {
        let elements: [any LeafElement.Type] = [
            Bool.self, Int8.self, Int16.self, Int32.self, Int64.self, UInt8.self, UInt16.self,
            UInt32.self, UInt64.self, Float16.self, BFloat16.self, Float.self, Double.self,
        ]
        #expect(Set(elements.map { $0.dtype }) == Set(DType.allCases))
        for element in elements {
            #expect(element.dtype.itemSize == stride(of: element))
        }
    }

    @Test func bfloat16RoundsToNearestEven() {
        #expect(BFloat16(1.0).bitPattern == 0x3F80)
        #expect(BFloat16(1.0).float == 1.0)
        #expect(BFloat16(-2.5).float == -2.5)
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even pattern, 1.
        #expect(BFloat16(1 + 0x1p-8).float == 1.0)
        #expect(BFloat16(1 + 0x1p-8 + 0x1p-16).float == 1 + 0x1p-7)
        #expect(BFloat16(.nan).float.isNaN)
        #expect(BFloat16(.infinity).float == .infinity)
    }
}

private func stride(of type: any LeafElement.Type) -> Int {
    func open<T: LeafElement>(_: T.Type) -> Int { MemoryLayout<T>.stride }
    return open(type)
}
