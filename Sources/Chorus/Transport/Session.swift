import ChorusCore

/// One v2 client session as the server sees it: the next sequence number it expects, and which
/// connection owns the session now.
///
/// A connection commits samples only while it owns its session, under the session's lock, and
/// advances `nextSequence` in the same critical section. A reconnect takes ownership (on any I/O
/// thread) under that lock too, so the number it reads is exact: the old connection can commit
/// nothing more, and the client resends from there. Hence no loss and no duplicates.
final class Session: Sendable {
    struct State {
        var nextSequence: UInt64
        var owner: ConnectionOwner?
        var lastSeen: ContinuousClock.Instant
    }

    let id: SessionID
    /// Lock order: taken after the registry's lock (`attach`, `expire`), before the ring's
    /// (a commit under `ifOwned` may complete a batch and wake the consumer).
    private let state: Locked<State>

    init(id: SessionID, state: State) {
        self.id = id
        self.state = Locked(state)
    }

    /// Makes `owner` the owner; returns where the session continues.
    func takeOver(by owner: ConnectionOwner, now: ContinuousClock.Instant) -> UInt64 {
        state.withLock {
            $0.owner = owner
            $0.lastSeen = now
            return $0.nextSequence
        }
    }

    /// Runs `body` with the session's next sequence number if `owner` still owns the session;
    /// nil when another connection took it over.
    func ifOwned<R>(by owner: ConnectionOwner, now: ContinuousClock.Instant,
                    _ body: (inout UInt64) -> R) -> R? {
        state.withLock {
            guard $0.owner == owner else { return nil }
            $0.lastSeen = now
            return body(&$0.nextSequence)
        }
    }

    func isOwned(by owner: ConnectionOwner) -> Bool {
        state.withLock { $0.owner == owner }
    }

    /// Leaves the session without an owner, unless another connection took it over already.
    func release(by owner: ConnectionOwner, now: ContinuousClock.Instant) {
        state.withLock {
            guard $0.owner == owner else { return }
            $0.owner = nil
            $0.lastSeen = now
        }
    }

    var snapshot: State { state.withLock { $0 } }
}

/// Names one connection of one I/O loop: the loop, a slot and the generation of its occupant.
struct ConnectionOwner: Hashable, Sendable {
    let loop: Int
    let slot: Int
    let generation: UInt32
}

/// Every v2 session the server remembers, shared by all I/O loops. Bounded: sessions without
/// a connection expire, and when full the least recently seen idle one is forgotten.
final class SessionRegistry: Sendable {
    /// Lock order: the outermost of the transport's locks; each session's own lock is taken
    /// inside it.
    private let sessions = Locked<[SessionID: Session]>([:])
    let capacity: Int
    let expiry: Duration

    init(capacity: Int, expiry: Duration) {
        self.capacity = capacity
        self.expiry = expiry
    }

    /// The session `id`, taken over by `owner`: where it continues (the client's own lowest
    /// unacked number when the session is new here) and whether it was known.
    func attach(_ id: SessionID, lowestUnacked: UInt64, owner: ConnectionOwner, now: ContinuousClock.Instant)
        -> (session: Session, nextSequence: UInt64, resumed: Bool)
    {
        sessions.withLock { sessions in
            if let session = sessions[id] {
                return (session, session.takeOver(by: owner, now: now), true)
            }
            if sessions.count >= capacity {
                let idle = sessions.values.map { ($0, $0.snapshot) }.filter { $0.1.owner == nil }
                if let oldest = idle.min(by: { $0.1.lastSeen < $1.1.lastSeen }) { sessions[oldest.0.id] = nil }
            }
            let session = Session(id: id, state: .init(nextSequence: lowestUnacked, owner: owner, lastSeen: now))
            sessions[id] = session
            return (session, lowestUnacked, false)
        }
    }

    func expire(now: ContinuousClock.Instant) {
        sessions.withLock { sessions in
            sessions = sessions.filter {
                let state = $0.value.snapshot
                return state.owner != nil || now - state.lastSeen < expiry
            }
        }
    }
}
