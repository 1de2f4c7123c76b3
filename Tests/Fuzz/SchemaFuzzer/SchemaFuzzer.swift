import ChorusCore
#if !CHORUS_LIBFUZZER
import FuzzReplay
#endif

// libFuzzer target: arbitrary bytes as a schema file. The parser must return a schema or a
// `SchemaError`, never crash, hang or overflow; an accepted schema must survive its canonical
// round trip.

@_cdecl("LLVMFuzzerTestOneInput")
public func schemaFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let schema = try? Schema(jsonBytes: bytes) else { return 0 }
    let again = try! Schema(json: schema.canonicalJSON)
    precondition(again.canonicalJSON == schema.canonicalJSON, "canonical text does not round-trip")
    precondition(again.leaves == schema.leaves, "leaves differ after a round trip")
    return 0
}

#if !CHORUS_LIBFUZZER
@main
enum Main {
    static func main() { FuzzReplay.run(schemaFuzzerTestOneInput) }
}
#endif
