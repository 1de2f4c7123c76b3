import ChorusClient
import ChorusCore
#if canImport(Glibc)
import Glibc
#endif

/// Samples from the socket into the ring or a replay table: whole samples are committed
/// (through the receive buffer, or straight from the socket for large ones bound for the ring),
/// then acked.
extension TransportLoop {
    enum Ingested {
        case committed(Int)
        /// The ring is full, or the table's rate limiter allows no insert now.
        case noRoom
        /// The ring or table was shut down.
        case closed
        case superseded
    }

    /// Commits every whole sample received (to the ring, or to the connection's table as many
    /// as its rate limiter allows now), then owes an ack for them. A sample for a table with an
    /// invalid priority ends the connection after the samples before it.
    func ingest(_ connection: Connection) {
        let recordSize = connection.recordSize
        var committed = 0
        var invalidPriority: Double?  // set when a record carries one: the connection ends
        ingesting: while invalidPriority == nil, connection.buffer.wholeSamples(of: recordSize) > 0 {
            let count = connection.buffer.wholeSamples(of: recordSize)
            let received = UnsafeRawBufferPointer(rebasing: connection.buffer.unconsumed[..<(count * recordSize)])
            let outcome = if let table = connection.table {
                commit(connection) { () -> Ingested in
                    do throws(ReplayError) {
                        let result = try table.tryInsert(records: received, prioritized: connection.carriesPriorities)
                        invalidPriority = result.invalidPriority
                        return result.inserted == 0 && invalidPriority == nil ? .noRoom : .committed(result.inserted)
                    } catch {
                        return .closed
                    }
                }
            } else {
                commitToRing(connection, upTo: count) { ring, reservation in
                    ring.write(UnsafeRawBufferPointer(rebasing: received[..<(reservation.count * recordSize)]),
                               into: reservation)
                    return reservation.count
                }
            }
            switch outcome {
            case .committed(let count):
                connection.buffer.consume(count * recordSize)
                committed += count
            case .noRoom:
                stall(connection)
                break ingesting
            case .closed, .superseded:
                closeConnection(connection, because: "\(outcome)")
                return
            }
        }
        connection.buffer.compact()
        acknowledge(committed, on: connection)
        if invalidPriority != nil, !connection.isClosing {
            refused(.invalidPriority, "a sample's priority was \(invalidPriority!)", connection)
            connection.receive = connection.receive.isInFlight ? connection.receive : .peerClosed
            closeConnection(connection, because: "invalid priority")
        }
    }

    /// Samples at least this large skip the receive buffer when whole ones are already waiting
    /// in the socket: they are read straight into their ring slots (one copy instead of two).
    /// Smaller samples gain nothing from it and read better in big chunks.
    static let directReadMinimumSampleSize = 4096
    /// Bytes one connection may read directly before the loop turns to other work.
    static let directReadBudget = 8 << 20

    /// Reads whole samples waiting in the socket straight into reserved ring slots, while the
    /// receive buffer holds no partial sample; returns how many.
    @discardableResult
    func readDirectly(_ connection: Connection) -> Int {
        let sampleSize = schema.sampleSize
        let perRead = max(1, 1024 / schema.leaves.count)  // iovecs per recvmsg stay within IOV_MAX
        var budget = Self.directReadBudget
        var committed = 0
        reading: while budget >= sampleSize, connection.buffer.isEmpty {
            let waiting = Socket.waitingBytes(connection.fd) / sampleSize
            guard waiting > 0 else { break }
            var short: ShortRead?
            let outcome = commitToRing(connection, upTo: min(waiting, perRead, budget / sampleSize)) { ring, reservation in
                let slots = ring.slotBuffers(for: reservation)
                let read = Socket.readWaiting(connection.fd, into: slots, limit: options.directReadLimit)
                guard read != reservation.count * sampleSize else { return reservation.count }
                short = completeShortRead(connection, read: max(read, 0), slots: slots, reservation: &reservation)
                return short == .voided ? max(read, 0) / sampleSize : reservation.count
            }
            switch outcome {
            case .committed(let count):
                committed += count
                budget -= count * sampleSize
                if short == .voided {
                    violated("a direct read stayed short; the unfilled samples were voided", connection)
                    return committed
                }
            case .noRoom:
                stall(connection)
                break reading
            case .closed, .superseded:
                closeConnection(connection, because: "\(outcome)")
                return committed
            }
        }
        if committed > 0 {
            connection.lastReceive = .now
            counters.received(committed * sampleSize, on: connection.listener)
            counters.samplesDirect.add(UInt64(committed), ordering: .relaxed)
        }
        acknowledge(committed, on: connection)
        return committed
    }

    /// How a short direct read ended.
    enum ShortRead {
        /// The whole samples were kept, the partial one staged, the rest given back.
        case fellBack
        /// A later reservation kept the slots: the missing bytes arrived after all.
        case completed
        /// The missing bytes never came: the unfilled samples are completed as invalid (zeroed,
        /// marked in their batch) and not acked.
        case voided
    }

    /// A direct read came up short: the kernel handed over less than it reported waiting (or a
    /// test limited the read). The whole samples read stay in their slots; the partial one moves
    /// to the receive buffer, where ordinary receives complete it; the rest of the reservation
    /// is given back to the ring. Only if a later reservation prevents that are the missing
    /// bytes awaited (bounded by the handshake timeout); a peer that never sends them has the
    /// unfilled samples voided (see ``commitToRing(_:upTo:fill:)``) and its connection closed.
    private func completeShortRead(_ connection: Connection, read: Int, slots: [UnsafeMutableRawBufferPointer],
                                   reservation: inout Reservation) -> ShortRead {
        counters.shortDirectReads.add(1, ordering: .relaxed)
        let sampleSize = schema.sampleSize
        let whole = read / sampleSize
        var missing = slots
        missing.removeFirstBytes(read)
        var partial = slots
        partial.removeFirstBytes(whole * sampleSize)
        let tailCount = read - whole * sampleSize
        var tail: [UInt8] = []
        for piece in partial where tail.count < tailCount { tail += piece.prefix(tailCount - tail.count) }
        if ring.shrink(&reservation, to: whole) {
            tail.withUnsafeBytes { connection.buffer.freeSpace().copyMemory(from: $0) }
            connection.buffer.didReceive(tail.count)
            counters.received(tail.count, on: connection.listener)
            return .fellBack
        }
        guard Socket.readFully(connection.fd, into: missing, within: options.handshakeTimeout) else {
            counters.samplesVoided.add(UInt64(reservation.count - whole), ordering: .relaxed)
            return .voided
        }
        return .completed
    }

    private func stall(_ connection: Connection) {
        connection.receive = .stalled(peerClosed: connection.receive == .peerClosed)
        counters.stalls.add(1, ordering: .relaxed)
        if let table = connection.table {
            insertListeners[table.name].map(table.armInsertListener)
        } else if let spaceListener {
            ring.armSpaceListener(spaceListener)
        }
    }

    /// Owes the peer an ack for `committed` more samples, and sends it if nothing is in flight.
    private func acknowledge(_ committed: Int, on connection: Connection) {
        guard committed > 0 else { return }
        counters.committed(committed, on: connection.listener)
        switch connection.wireProtocol {
        case .echo: connection.send.oweEchoAcks(committed)
        case .chorus: connection.send.oweChorusAck()
        }
        sendNext(connection)
    }

    /// Reserves up to `count` samples' slots, lets `fill` write every byte of them (or shrink
    /// the reservation to the samples it did write) and say how many samples are valid, and
    /// commits those; slots after them are completed as invalid (``Ring/void(_:)``). The
    /// session and the acks advance by the valid ones. A v2 connection does this only
    /// while it owns its session, and advances the session in the same critical section.
    private func commitToRing(
        _ connection: Connection, upTo count: Int, fill: (Ring, inout Reservation) -> Int
    ) -> Ingested {
        commit(connection) {
            do throws(RingError) {
                guard var reservation = try ring.tryReserve(upTo: count) else { return .noRoom }
                let valid = fill(ring, &reservation)
                ring.commit(reservation.takePrefix(valid))
                ring.void(reservation)
                return .committed(valid)
            } catch {
                return .closed
            }
        }
    }

    /// Runs `attempt`, which commits samples somewhere and says how many; for a v2 connection only
    /// while it owns its session, advancing the session in the same critical section.
    private func commit(_ connection: Connection, _ attempt: () -> Ingested) -> Ingested {
        guard let session = connection.session else { return attempt() }
        let outcome = session.ifOwned(by: connection.owner, now: .now) { next -> Ingested in
            let outcome = attempt()
            if case .committed(let count) = outcome { next += UInt64(count) }
            return outcome
        } ?? .superseded
        if case .committed(let count) = outcome { connection.nextSequence += UInt64(count) }
        return outcome
    }
}
