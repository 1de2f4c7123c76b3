import CChorus
import Chorus
import ChorusCore

/// A failure on its way out through the C ABI: the status a caller branches on and the message
/// `chorus_last_error` returns.
struct ABIError: Error {
    let status: chorus_status
    let message: String

    init(_ status: chorus_status, _ message: String) {
        self.status = status
        self.message = message
    }

    init(_ error: ClientError) {
        switch error {
        case .unresolvedHost: self.init(CHORUS_ADDRESS_ERROR, "\(error)")
        case .connectFailed, .connectionLost, .protocolViolation: self.init(CHORUS_CONNECTION_FAILED, "\(error)")
        case .refused(let status, let reason):
            // v1 servers state no status: their refusal is always a schema mismatch.
            let isMismatch = status == nil || status == ChorusWire.Status.schemaMismatch.rawValue
            self.init(isMismatch ? CHORUS_SCHEMA_MISMATCH : CHORUS_REFUSED,
                      isMismatch ? "schema mismatch: \(reason)" : "\(error)")
        case .schemaMismatch, .wrongSampleSize, .invalidArgument: self.init(CHORUS_INVALID_ARGUMENT, "\(error)")
        case .timedOut: self.init(CHORUS_TIMED_OUT, "\(error)")
        case .closed: self.init(CHORUS_CLOSED, "the client is closed")
        }
    }

    init(_ error: SubmitError) {
        switch error {
        case .schemaMismatch, .wrongSize: self.init(CHORUS_INVALID_ARGUMENT, "\(error)")
        case .timedOut: self.init(CHORUS_TIMED_OUT, "\(error)")
        case .shutDown: self.init(CHORUS_CLOSED, "\(error)")
        }
    }

    init(_ error: TransportError) {
        switch error {
        case .invalidAddress: self.init(CHORUS_ADDRESS_ERROR, "\(error)")
        case .system(_, let code) where code == EADDRINUSE || code == EACCES || code == EADDRNOTAVAIL:
            self.init(CHORUS_ADDRESS_ERROR, "\(error)")
        case .unsupportedSchema: self.init(CHORUS_INVALID_ARGUMENT, "\(error)")
        case .notStartable: self.init(CHORUS_CLOSED, "\(error)")
        case .system: self.init(CHORUS_INTERNAL_ERROR, "\(error)")
        }
    }

    init(_ error: ReplayError) {
        switch error {
        case .timedOut: self.init(CHORUS_TIMED_OUT, "\(error)")
        case .closed: self.init(CHORUS_CLOSED, "\(error)")
        case .unknownTable, .unknownKey: self.init(CHORUS_NOT_FOUND, "\(error)")
        case .schemaMismatch: self.init(CHORUS_SCHEMA_MISMATCH, "\(error)")
        case .checkpoint: self.init(CHORUS_IO_ERROR, "\(error)")
        case .invalidTable, .invalidRateLimiter, .invalidPriority, .priorityCount, .wrongSize, .invalidBatchSize:
            self.init(CHORUS_INVALID_ARGUMENT, "\(error)")
        }
    }

    /// Records the message for the calling thread and returns the status.
    var reported: chorus_status { LastError.set(status, message) }
}

/// Runs `body`, turning a thrown ``ABIError`` into its status (and the thread's last error).
func reportingErrors(_ body: () throws(ABIError) -> Void) -> chorus_status {
    do {
        try body()
        return CHORUS_OK
    } catch {
        return error.reported
    }
}

#if canImport(Glibc)
import Glibc
#endif
