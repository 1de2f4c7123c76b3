/// Samples from the socket into the ring: whole samples are committed (through the receive
/// buffer, or straight from the socket for large ones), then acked.
extension TransportLoop {
    enum Ingested {
        case committed(Int)
        case ringFull
        case ringShutDown
        case superseded
    }

    /// Commits every whole sample received, then owes an ack for them.
    func ingest(_ connection: Connection) {
        let sampleSize = schema.sampleSize
        var committed = 0
        ingesting: while connection.buffer.wholeSamples(of: sampleSize) > 0 {
            let received = connection.buffer.unconsumed
            let outcome = commit(connection, upTo: connection.buffer.wholeSamples(of: sampleSize)) { ring, reservation in
                ring.write(UnsafeRawBufferPointer(rebasing: received[..<(reservation.count * sampleSize)]),
                           into: reservation)
            }
            switch outcome {
            case .committed(let count):
                connection.buffer.consume(count * sampleSize)
                committed += count
            case .ringFull:
                stall(connection)
                break ingesting
            case .ringShutDown, .superseded:
                closeConnection(connection)
                return
            }
        }
        connection.buffer.compact()
        acknowledge(committed, on: connection)
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
            let outcome = commit(connection, upTo: min(waiting, perRead, budget / sampleSize)) { ring, reservation in
                Socket.readWaiting(connection.fd, into: ring.slotBuffers(for: reservation))
            }
            switch outcome {
            case .committed(let count):
                committed += count
                budget -= count * sampleSize
            case .ringFull:
                stall(connection)
                break reading
            case .ringShutDown, .superseded:
                closeConnection(connection)
                return committed
            }
        }
        if committed > 0 {
            connection.lastReceive = .now
            counters.bytes.add(UInt64(committed * sampleSize), ordering: .relaxed)
            counters.samplesDirect.add(UInt64(committed), ordering: .relaxed)
        }
        acknowledge(committed, on: connection)
        return committed
    }

    private func stall(_ connection: Connection) {
        connection.stalled = true
        counters.stalls.add(1, ordering: .relaxed)
        ring.armSpaceListener(spaceListener)
    }

    /// Owes the peer an ack for `committed` more samples, and sends it if nothing is in flight.
    private func acknowledge(_ committed: Int, on connection: Connection) {
        guard committed > 0 else { return }
        counters.samples.add(UInt64(committed), ordering: .relaxed)
        switch connection.wireProtocol {
        case .echo: connection.echoAcksOwed += committed
        case .chorus: connection.chorusAckOwed = true
        }
        sendNext(connection)
    }

    /// Reserves up to `count` samples' slots, lets `fill` write every byte of them, and commits.
    /// A v2 connection does this only while it owns its session, and advances the session in
    /// the same critical section.
    private func commit(
        _ connection: Connection, upTo count: Int, fill: (Ring, borrowing Reservation) -> Void
    ) -> Ingested {
        func attempt() -> Ingested {
            do throws(RingError) {
                guard let reservation = try ring.tryReserve(upTo: count) else { return .ringFull }
                let committed = reservation.count
                fill(ring, reservation)
                ring.commit(reservation)
                return .committed(committed)
            } catch {
                return .ringShutDown
            }
        }
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
