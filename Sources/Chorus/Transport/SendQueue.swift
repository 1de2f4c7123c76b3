import ChorusCore

/// A connection's send side: the segments queued (a handshake, a verdict, acks), the one in
/// flight, and the acks owed but not yet queued (a counter, so nothing grows while a peer does
/// not read).
struct SendQueue: ~Copyable {
    // Invariant: `outbox` segments point into `ownBuffer` (freed in `deinit`, which the loop lets
    // happen only when no send is in flight, as for the receive buffer) or into buffers the loop
    // keeps for its whole life. The first segment is the one in flight while `isInFlight`.
    private let ownBuffer: UnsafeMutableRawBufferPointer
    private var outbox: [UnsafeRawBufferPointer] = []
    private(set) var isInFlight = false
    /// When the send in flight last made progress (for `sendTimeout`).
    private(set) var lastProgress: ContinuousClock.Instant?
    /// v1: `0x01` bytes owed.
    private var echoAcksOwed = 0
    /// v2: an ack of the connection's next sequence number is owed.
    private var chorusAckOwed = false

    /// Offsets in `ownBuffer`: the 8-byte v2 ack, then a verdict, then the v2 server hello.
    enum Slot {
        static let ack = 0
        static let verdict = 8
        static let hello = verdict + 3 + ChorusWire.maximumReason + 8
    }

    init(helloSize: Int) {
        ownBuffer = .allocate(byteCount: Slot.hello + helloSize, alignment: 8)
    }

    deinit {
        ownBuffer.deallocate()
    }

    /// Copies `bytes` into the connection's own buffer at `slot` and queues them.
    mutating func queue(_ bytes: [UInt8], at slot: Int) {
        precondition(slot + bytes.count <= ownBuffer.count, "a message larger than its slot")
        let destination = UnsafeMutableRawBufferPointer(rebasing: ownBuffer[slot..<slot + bytes.count])
        bytes.withUnsafeBytes { destination.copyMemory(from: $0) }
        outbox.append(UnsafeRawBufferPointer(destination))
    }

    /// Queues bytes that live as long as the loop (the echo handshake).
    mutating func queue(shared bytes: UnsafeRawBufferPointer) {
        outbox.append(bytes)
    }

    mutating func oweEchoAcks(_ count: Int) { echoAcksOwed += count }
    mutating func oweChorusAck() { chorusAckOwed = true }

    /// The segment to send now, if nothing is in flight and something is queued or owed: queued
    /// segments first, then the acks owed (v1 from `echoAcks`, v2 as `ack(nextSequence)`).
    /// Marks it in flight. `isAck` tells the caller to count an ack write.
    mutating func startNext(echoAcks: UnsafeRawBufferPointer, chorusAck: () -> [UInt8],
                            now: @autoclosure () -> ContinuousClock.Instant)
        -> (segment: UnsafeRawBufferPointer, isAck: Bool)?
    {
        guard !isInFlight else { return nil }
        var isAck = false
        if outbox.isEmpty {
            if echoAcksOwed > 0 {
                let count = min(echoAcksOwed, echoAcks.count)
                echoAcksOwed -= count
                outbox.append(UnsafeRawBufferPointer(rebasing: echoAcks[..<count]))
            } else if chorusAckOwed {
                chorusAckOwed = false
                queue(chorusAck(), at: Slot.ack)
            } else {
                return nil
            }
            isAck = true
        }
        isInFlight = true
        if lastProgress == nil { lastProgress = now() }
        return (outbox[0], isAck)
    }

    /// The send in flight completed with `count` bytes sent. Returns true when the outbox is
    /// now empty (every queued segment is out).
    mutating func completed(_ count: Int, now: ContinuousClock.Instant) -> Bool {
        precondition(isInFlight, "a send completed that was not in flight")
        isInFlight = false
        let segment = outbox[0]
        if count < segment.count {
            outbox[0] = UnsafeRawBufferPointer(rebasing: segment[count...])
        } else {
            outbox.removeFirst()
        }
        lastProgress = outbox.isEmpty ? nil : now
        return outbox.isEmpty
    }

    /// The send in flight failed; nothing more will be sent.
    mutating func failed() {
        isInFlight = false
        outbox.removeAll()
        lastProgress = nil
    }
}
