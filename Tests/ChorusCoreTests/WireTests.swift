@testable import ChorusCore
import Foundation
import Testing

@Suite struct WireTests {
    @Test func echoHandshakeMatchesTheSpecExample() throws {
        let schema = try Schema(["b": .leaf(.int16, 2, 3), "a": .leaf(.float64), "c": ["z": .leaf(.uint8, 5)]])
        let hex = "4543484f01030000000800000000000000020000000200000002000000030000000100000001000000 05000000"
            .replacingOccurrences(of: " ", with: "")
        let handshake = EchoWire.handshake(for: schema)
        #expect(handshake.count == 45)
        #expect(handshake.map { String($0, radix: 16).leftPadded() }.joined() == hex)
        guard case .complete(let records, let consumed) = EchoWire.decodeHandshake(handshake[...]) else {
            Issue.record("did not decode")
            return
        }
        #expect(consumed == 45)
        #expect(EchoWire.mismatchReason(server: records, client: schema) == nil)
        #expect(EchoWire.decodeHandshake(handshake[..<44]).isIncomplete)
    }

    @Test func echoMismatchNamesTheLeaf() throws {
        let server = try Schema(["obs": .leaf(.float32, 4)])
        let client = try Schema(["obs": .leaf(.float64, 4)])
        #expect(EchoWire.mismatchReason(server: EchoWire.records(of: server), client: client)
                == #"leaf "obs" (position 0): client float64[4] (item size 8, dims [4]), server item size 4, dims [4]"#)
    }

    @Test func chorusMessagesRoundTrip() {
        let serverHello = ChorusWire.ServerHello(authenticationRequired: true, nonce: Array(0..<16), schemaText: Array("{}".utf8))
        let clientHello = ChorusWire.ClientHello(sessionID: SessionID(high: 1, low: 2), lowestUnacked: 99,
                                                 mac: Array(repeating: 7, count: 32), schemaText: Array("{\"a\":\"int8[]\"}".utf8))
        let accepted = ChorusWire.Verdict(status: .accepted, nextSequence: 12)
        let refused = ChorusWire.Verdict(status: .schemaMismatch, reason: "leaf \"obs\" differs")
        #expect(ChorusWire.ServerHello.decode(serverHello.encoded()[...]).value == serverHello)
        #expect(ChorusWire.ClientHello.decode(clientHello.encoded()[...]).value == clientHello)
        #expect(ChorusWire.Verdict.decode(accepted.encoded()[...]).value == accepted)
        #expect(ChorusWire.Verdict.decode(refused.encoded()[...]).value == refused)
        for cut in 0..<clientHello.encoded().count {
            #expect(ChorusWire.ClientHello.decode(clientHello.encoded()[..<cut]).isIncomplete)
        }
    }

    @Test func malformedHellosAreNamed() {
        var hello = ChorusWire.ClientHello(sessionID: SessionID(high: 1, low: 2), lowestUnacked: 0,
                                           mac: Array(repeating: 0, count: 32), schemaText: []).encoded()
        hello[4] = 3
        #expect(ChorusWire.ClientHello.decode(hello[...]).malformedReason == "unsupported Chorus wire version 3 (this side speaks 2)")
        #expect(ChorusWire.ClientHello.decode(Array("GET / HTTP/1.1\r\n".utf8)[...]).malformedReason?.hasPrefix("not a Chorus v2 peer") == true)
        var huge = [UInt8]("CHRS".utf8) + [2, 0, 0, 0] + Array(repeating: 0, count: 56)
        huge.appendLittleEndian(UInt32(ChorusWire.maximumSchemaText + 1))
        #expect(ChorusWire.ClientHello.decode(huge[...]).malformedReason == "schema text of 65537 bytes exceeds the limit of 65536")
    }

    @Test func schemaDifferenceNamesTheLeaf() throws {
        let server = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
        #expect(server.difference(fromClient: try Schema(["obs": .leaf(.float64, 4), "reward": .leaf(.float32)]))
                == #"leaf "obs": client float64[4], server float32[4]"#)
        #expect(server.difference(fromClient: try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32), "info": ["done": .leaf(.bool)]]))
                == #"client has leaf "info.done", server has none"#)
        #expect(server.difference(fromClient: try Schema(["obs": .leaf(.float32, 4)])) == #"server has leaf "reward", client has none"#)
        #expect(server.difference(fromClient: server) == nil)
        let list = try Schema(["x": [.leaf(.int8)]])
        let dict = try Schema(["x": ["0": .leaf(.int8)]])
        #expect(list.difference(fromClient: dict)?.hasPrefix("same leaves in a different tree") == true)
    }
}


extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
