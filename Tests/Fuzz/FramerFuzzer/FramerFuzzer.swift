import ChorusCore
#if !CHORUS_LIBFUZZER
import FuzzReplay
#endif

// libFuzzer target: the sample framer (`ReceiveBuffer`) driven the way the transport loop drives
// it, with the fuzzer choosing the sample size, the buffer's capacity, how many bytes each receive
// brings and how many whole samples the ring takes each time. Checked: what leaves is exactly the
// byte stream cut into whole samples, in order, nothing partial; the buffer never overflows; and a
// buffer holding no whole sample always has room to receive (the loop can never wedge).

@_cdecl("LLVMFuzzerTestOneInput")
public func framerFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 3 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let sampleSize = Int(input[0]) % 64 + 1
    // From one sample's capacity up (the loop's buffer holds at least two, or one if two overflow).
    let capacity = sampleSize * (1 + Int(input[1]) % 4) + Int(input[1]) / 4 % sampleSize
    let limitsToSampleEnd = input[2] & 1 == 1
    var buffer = ReceiveBuffer(capacity: capacity)
    var streamed = 0     // bytes received so far; byte i of the stream is UInt8(truncatingIfNeeded: i &* 31)
    var delivered = 0    // bytes that left as whole samples

    func deliver(upTo samples: Int) {
        let count = min(samples, buffer.wholeSamples(of: sampleSize))
        let bytes = buffer.unconsumed.prefix(count * sampleSize)
        for (offset, byte) in bytes.enumerated() {
            precondition(byte == UInt8(truncatingIfNeeded: (delivered + offset) &* 31), "a sample was torn or reordered")
        }
        delivered += count * sampleSize
        buffer.consume(count * sampleSize)
        buffer.compact()
    }

    for operation in input.dropFirst(3) {
        let amount = Int(operation >> 1) + 1
        if operation & 1 == 0 {
            let space = buffer.freeSpace(endingAtSampleOf: limitsToSampleEnd ? sampleSize : nil)
            precondition(!space.isEmpty || buffer.wholeSamples(of: sampleSize) > 0, "full buffer without a whole sample")
            let count = min(amount, space.count)
            for index in 0..<count { space[index] = UInt8(truncatingIfNeeded: (streamed + index) &* 31) }
            buffer.didReceive(count)
            streamed += count
        } else {
            deliver(upTo: amount)
        }
        precondition(delivered + buffer.unconsumed.count == streamed, "bytes lost or invented")
    }
    deliver(upTo: .max)
    precondition(delivered == streamed / sampleSize * sampleSize && buffer.unconsumed.count == streamed % sampleSize,
                 "a whole sample was left behind")
    return 0
}

#if !CHORUS_LIBFUZZER
@main
enum Main {
    static func main() { FuzzReplay.run(framerFuzzerTestOneInput) }
}
#endif
