import CSharedMemory
import Synchronization

/// The control page one same-host producer shares with the server: one memory file per
/// producer, so a producer can only ever scribble on its own lane. Each side writes only its
/// own words; the server keeps its authoritative state (grants, reservations) in its own memory
/// and checks every word it reads here against it.
///
/// The protocol (`Schemas/chorus-wire-v2.md`, §10): the producer raises `requested` by the
/// samples it wants to write; the server reserves ring slots for them and publishes each
/// reservation as a grant (`grants` counts them, the table holds the last `grantCapacity`);
/// the producer fills granted slots in grant order and raises `committed`; the server commits
/// them to the ring and raises `acknowledged`. Who sleeps says so first (`producerSleeping`,
/// `pumpAsleep`), so the other side makes a system call to wake it only then.
package struct ProducerLane {
    package static let byteCount = 4096
    /// Grants the table holds: the server never has more than this many outstanding.
    package static let grantCapacity = 224

    /// A 64-bit word of the lane.
    package enum Word: Int {
        /// Producer: samples asked for so far.
        case requested = 64
        /// Producer: samples written and committed so far, in grant order.
        case committed = 128
        /// Server: grants published so far.
        case grants = 192
        /// Server: committed samples it has committed to the ring so far.
        case acknowledged = 256
    }

    /// A 32-bit word of the lane (futex words among them).
    package enum Flag: Int {
        /// Producer: 1 while it sleeps (or is about to) on `signal`.
        case producerSleeping = 200
        /// Server: bumped after publishing grants or acks to a sleeping producer; the producer's
        /// futex word.
        case signal = 204
        /// Server: 1 while it sleeps (or is about to); a producer that raises `requested` or
        /// `committed` and finds it set clears it and rings the server's doorbell.
        case pumpAsleep = 320
    }

    private static let grantTable = 512

    // Invariant: `mapping` has at least `byteCount` bytes (checked in init), page-aligned, so
    // every word's offset is aligned for its type. The words are atomics at fixed offsets; the
    // memory file starts zero-filled, which is each atomic's initial value. The grant table
    // holds plain 16-byte entries (first slot's sequence number, count) that the server writes
    // before its releasing store to `grants` and the producer reads after acquiring it.
    package let mapping: SharedMapping

    package init(mapping: SharedMapping) {
        precondition(mapping.byteCount >= Self.byteCount, "a producer lane needs \(Self.byteCount) bytes")
        self.mapping = mapping
    }

    package subscript(word word: Word) -> Atomic<UInt64> {
        unsafeAddress { UnsafePointer((mapping.base + word.rawValue).assumingMemoryBound(to: Atomic<UInt64>.self)) }
    }

    package subscript(flag flag: Flag) -> Atomic<UInt32> {
        unsafeAddress { UnsafePointer((mapping.base + flag.rawValue).assumingMemoryBound(to: Atomic<UInt32>.self)) }
    }

    /// Writes grant `number`'s entry (server; before publishing it through `grants`).
    package func writeGrant(_ number: UInt64, first: UInt64, count: UInt64) {
        let entry = Self.grantTable + Int(number % UInt64(Self.grantCapacity)) * 16
        mapping.base.storeBytes(of: first, toByteOffset: entry, as: UInt64.self)
        mapping.base.storeBytes(of: count, toByteOffset: entry + 8, as: UInt64.self)
    }

    /// Grant `number`'s entry (producer; after seeing `grants` pass it).
    package func grant(_ number: UInt64) -> (first: UInt64, count: UInt64) {
        let entry = Self.grantTable + Int(number % UInt64(Self.grantCapacity)) * 16
        return (mapping.base.load(fromByteOffset: entry, as: UInt64.self),
                mapping.base.load(fromByteOffset: entry + 8, as: UInt64.self))
    }

    /// Sleeps while `signal` still reads `seen`, at most `nanoseconds` (a futex in the shared
    /// page). Returns at once if the server bumped it meanwhile.
    package func sleep(onSignalSeen seen: UInt32, nanoseconds: Int64) {
        _ = chorus_futex_wait(futexWord(.signal), seen, nanoseconds)
    }

    /// Wakes a producer sleeping on `signal` (after bumping it).
    package func wakeProducer() {
        _ = chorus_futex_wake(futexWord(.signal), 1)
    }

    private func futexWord(_ flag: Flag) -> UnsafeMutablePointer<UInt32> {
        (mapping.base + flag.rawValue).assumingMemoryBound(to: UInt32.self)
    }
}
