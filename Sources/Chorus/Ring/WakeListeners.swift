/// Callbacks for producers that must not block (the transport's I/O loops), kept by what they
/// wait on (the ring, a replay table) under its lock: a producer that finds no room arms its
/// listener, and the owner calls it once room appears. A callback runs under the owner's lock,
/// so it must only signal (write an eventfd).
struct WakeListeners {
    private var listeners: [Int: (notify: @Sendable () -> Void, armed: Bool)] = [:]
    private var nextID = 0

    var count: Int { listeners.count }

    /// Registers `notify`; returns its id.
    mutating func add(_ notify: @escaping @Sendable () -> Void) -> Int {
        defer { nextID += 1 }
        listeners[nextID] = (notify, false)
        return nextID
    }

    /// Forgets listener `id`: it is not called again.
    mutating func remove(_ id: Int) {
        listeners[id] = nil
    }

    /// Calls listener `id` at once when `now` (room is already there), or arms it for the next
    /// ``notify(all:)``.
    mutating func arm(_ id: Int, now: Bool) {
        guard let listener = listeners[id] else { return }
        if now {
            listener.notify()
        } else {
            listeners[id]?.armed = true
        }
    }

    /// Calls, and disarms, the armed listeners (every listener when `all`: at shutdown).
    mutating func notify(all: Bool) {
        for (id, listener) in listeners where all || listener.armed {
            listeners[id]?.armed = false
            listener.notify()
        }
    }
}
