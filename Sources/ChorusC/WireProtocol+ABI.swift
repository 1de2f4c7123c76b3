import CChorus
import ChorusCore

extension WireProtocol {
    /// The wire a C caller named (`chorus_protocol`), checked against the secret it comes with:
    /// only wire v2 authenticates.
    init(_ named: chorus_protocol, secret: [UInt8]?) throws(ABIError) {
        switch named {
        case CHORUS_PROTOCOL_ECHO:
            guard secret == nil else {
                throw ABIError(CHORUS_INVALID_ARGUMENT, "the echo protocol has no authentication: a secret needs the chorus protocol")
            }
            self = .echo
        case CHORUS_PROTOCOL_CHORUS:
            self = .chorus
        default:
            throw ABIError(CHORUS_INVALID_ARGUMENT, "unknown protocol \(named.rawValue)")
        }
    }
}
