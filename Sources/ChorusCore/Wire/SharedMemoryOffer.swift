/// What a shared-memory listener sends a producer it accepted, right after the verdict, with
/// three file descriptors attached (SCM_RIGHTS): the ring's memory file, the producer's own
/// lane, and the server's doorbell (an eventfd). The sizes let the producer map both files and
/// lay out the ring as the server does (`Schemas/chorus-wire-v2.md`, §10).
package struct SharedMemoryOffer: Hashable, Sendable {
    package static let magic: [UInt8] = Array("CHSM".utf8)
    package static let encodedSize = 4 + 4 + 4 * 8
    /// The descriptors that come with it, in this order.
    package static let descriptorCount = 3

    package var batchSize: UInt64
    package var numBuffers: UInt64
    package var ringBytes: UInt64
    package var laneBytes: UInt64

    package init(batchSize: UInt64, numBuffers: UInt64, ringBytes: UInt64, laneBytes: UInt64) {
        self.batchSize = batchSize
        self.numBuffers = numBuffers
        self.ringBytes = ringBytes
        self.laneBytes = laneBytes
    }

    package func encoded() -> [UInt8] {
        var bytes = Self.magic + [ChorusWire.version, 0, 0, 0]
        for value in [batchSize, numBuffers, ringBytes, laneBytes] { bytes.appendLittleEndian(value) }
        return bytes
    }

    package static func decode(_ bytes: ArraySlice<UInt8>) -> WireDecoding<SharedMemoryOffer> {
        var reader = WireReader(bytes)
        guard let head = reader.read(8) else { return .incomplete }
        guard Array(head.prefix(4)) == magic, head[head.startIndex + 4] == ChorusWire.version else {
            return .malformed("not a shared-memory offer")
        }
        guard let batchSize = reader.read(UInt64.self), let numBuffers = reader.read(UInt64.self),
              let ringBytes = reader.read(UInt64.self), let laneBytes = reader.read(UInt64.self)
        else { return .incomplete }
        let offer = SharedMemoryOffer(batchSize: batchSize, numBuffers: numBuffers, ringBytes: ringBytes, laneBytes: laneBytes)
        return .complete(offer, consumed: reader.consumed)
    }
}
