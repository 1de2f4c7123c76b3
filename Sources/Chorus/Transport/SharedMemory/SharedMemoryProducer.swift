import CSharedMemory
import ChorusClient
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// The server's record of one same-host producer: its socket (which closes when the process
/// dies), its lane, and the authoritative account of what it was granted and has committed.
/// Only the pump thread touches it. Everything read from the lane is checked against this
/// account before it changes the ring.
///
/// Unchecked `Sendable`: the handshake thread creates it and hands it to the pump through a
/// lock, once; from then on only the pump thread touches it.
final class SharedMemoryProducer: @unchecked Sendable {
    let socket: Int32
    let pid: Int32
    /// Names the producer's process itself (-1 if it could not be opened): the grant lease
    /// kills through it, so a process that later reused the pid is never hit.
    private let pidfd: Int32
    let lane: ProducerLane
    /// The producer's grants not yet fully committed, oldest first: ring sequence numbers.
    private var grants: [(first: UInt64, count: Int)] = []
    private var firstOpenGrant = 0
    /// What the lane said last (validated), and what the server did.
    private(set) var requested: UInt64 = 0
    private(set) var committed: UInt64 = 0
    private(set) var granted: UInt64 = 0
    private var grantsPublished: UInt64 = 0
    /// Where futex wake-ups sent to the producer are counted.
    private let counters: TransportCounters
    /// The grant lease's account: since when the producer has held granted slots without
    /// committing, and its committed count then.
    private var holdingSince: ContinuousClock.Instant?
    private var committedWhenHoldingBegan: UInt64 = 0
    /// The grant lease ran out and the process was sent SIGKILL; it is retired when its socket
    /// closes.
    private(set) var isKilled = false

    init(socket: Int32, pid: Int32, lane: ProducerLane, counters: TransportCounters) {
        self.socket = socket
        self.pid = pid
        pidfd = pid > 0 ? chorus_pidfd_open(pid) : -1
        self.lane = lane
        self.counters = counters
    }

    deinit {
        close(socket)
        if pidfd >= 0 { close(pidfd) }
    }

    /// Whether the producer has been granted slots it has not committed yet.
    var holdsGrants: Bool { granted > committed }

    /// How long, as of `now`, the producer has held granted slots without committing any: zero
    /// when it holds none. The pump asks now and then (the lease's resolution is its interval).
    func heldWithoutCommitting(now: ContinuousClock.Instant) -> Duration {
        guard holdsGrants else {
            holdingSince = nil
            return .zero
        }
        guard let since = holdingSince, committed == committedWhenHoldingBegan else {
            holdingSince = now
            committedWhenHoldingBegan = committed
            return .zero
        }
        return now - since
    }

    /// Sends SIGKILL to the producer's process (its grant lease ran out); nil when it was sent,
    /// else why not.
    func kill() -> String? {
        isKilled = true
        guard pidfd >= 0 else { return "no handle on its process (pid \(pid) not found at its handshake)" }
        guard chorus_pidfd_kill(pidfd) == 0 else { return "pidfd_send_signal failed: \(String(cString: strerror(errno)))" }
        return nil
    }

    /// Why a lane's words cannot be right: the producer is cut off.
    struct Violation: Error, CustomStringConvertible {
        let description: String
    }

    /// Commits to the ring what the producer committed since the last call, lets `counted`
    /// count it, then acknowledges it (so a producer that saw its ack finds it counted); returns
    /// how many samples that was.
    func absorbCommits(into ring: Ring, counted: (Int) -> Void) throws(Violation) -> Int {
        let seen = lane[word: .committed].load(ordering: .sequentiallyConsistent)
        guard seen >= committed, seen <= granted else {
            throw Violation(description: "its committed count went from \(committed) to \(seen) with \(granted) slots granted")
        }
        var newly = Int(seen - committed)
        let count = newly
        while newly > 0 {
            let open = grants[firstOpenGrant]
            let taken = min(open.count, newly)
            ring.commit(Reservation(first: open.first, count: taken))
            newly -= taken
            if taken == open.count {
                firstOpenGrant += 1
            } else {
                grants[firstOpenGrant] = (open.first + UInt64(taken), open.count - taken)
            }
        }
        if firstOpenGrant > 64, firstOpenGrant * 2 > grants.count {
            grants.removeFirst(firstOpenGrant)
            firstOpenGrant = 0
        }
        committed = seen
        if count > 0 {
            counted(count)
            lane[word: .acknowledged].store(seen, ordering: .sequentiallyConsistent)
            wakeIfSleeping()
        }
        return count
    }

    /// Reserves ring slots for what the producer asked and has not been granted, and publishes
    /// them; returns false when the ring had no room for all of it.
    func grantRequests(from ring: Ring) throws(Violation) -> Bool {
        let asked = lane[word: .requested].load(ordering: .sequentiallyConsistent)
        guard asked >= requested else {
            throw Violation(description: "its requested count went back from \(requested) to \(asked)")
        }
        requested = asked
        var published = false
        var roomForAll = true
        while granted < requested, grants.count - firstOpenGrant < ProducerLane.grantCapacity {
            let wanted = Int(clamping: requested - granted)
            let reservation: Reservation?
            do {
                reservation = try ring.tryReserve(upTo: wanted)
            } catch {
                break  // shut down: the producer learns it from its socket
            }
            guard let reservation else {
                roomForAll = false
                break
            }
            lane.writeGrant(grantsPublished, first: reservation.first, count: UInt64(reservation.count))
            grants.append((reservation.first, reservation.count))
            grantsPublished += 1
            granted += UInt64(reservation.count)
            published = true
        }
        if published {
            lane[word: .grants].store(grantsPublished, ordering: .sequentiallyConsistent)
            wakeIfSleeping()
        }
        return roomForAll
    }

    /// Completes every granted slot the producer did not commit as invalid (it left, died or
    /// was cut off), after letting `counted` count them (so a learner that sees one finds it
    /// counted); returns how many.
    func voidOpenGrants(in ring: Ring, counted: (Int) -> Void) -> Int {
        let open = grants[firstOpenGrant...]
        let voided = open.reduce(0) { $0 + $1.count }
        counted(voided)
        for grant in open where grant.count > 0 {
            ring.void(Reservation(first: grant.first, count: grant.count))
        }
        grants.removeAll()
        firstOpenGrant = 0
        return voided
    }

    /// Asks the producer to ring the doorbell after its next request or commit (the pump is
    /// about to sleep).
    func announcePumpSleeping() {
        lane[flag: .pumpAsleep].store(1, ordering: .sequentiallyConsistent)
    }

    private func wakeIfSleeping() {
        guard lane[flag: .producerSleeping].load(ordering: .sequentiallyConsistent) != 0 else { return }
        lane[flag: .signal].add(1, ordering: .sequentiallyConsistent)
        lane.wakeProducer()
        counters.producerWakeups.add(1, ordering: .relaxed)
    }
}
