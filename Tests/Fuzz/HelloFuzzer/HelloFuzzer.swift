import ChorusCore
#if !CHORUS_LIBFUZZER
import FuzzReplay
#endif

// libFuzzer target: arbitrary bytes as a Chorus v2 client hello, server hello and verdict, and as an echo v1 handshake.
// Decoders must answer "more bytes", "malformed" or a value, never crash; a decoded hello must
// re-encode to the bytes it came from (reserved bytes aside).

@_cdecl("LLVMFuzzerTestOneInput")
public func helloFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if case .complete(let hello, let consumed) = ChorusWire.ClientHello.decode(bytes[...]) {
        // Equal up to the three reserved bytes, which a decoder ignores and an encoder zeroes.
        var original = Array(bytes.prefix(consumed))
        original.replaceSubrange(5..<8, with: [0, 0, 0])
        precondition(hello.encoded() == original, "client hello does not round-trip")
    }
    _ = ChorusWire.ServerHello.decode(bytes[...])
    _ = ChorusWire.Verdict.decode(bytes[...])
    _ = EchoWire.decodeHandshake(bytes[...])
    return 0
}

#if !CHORUS_LIBFUZZER
@main
enum Main {
    static func main() { FuzzReplay.run(helloFuzzerTestOneInput) }
}
#endif
