/// What the engine asks its transport to do. Commands come out in order from
/// ``EpochEngine/takeCommands()``; per worker they must be delivered in that order.
public enum EngineCommand: Hashable, Sendable {
    /// Queue `event` on `worker`'s stream.
    case send(WorkerID, WorkerEvent)
    /// End `worker`'s stream (after everything queued before).
    case disconnect(WorkerID, DisconnectReason)

    public enum DisconnectReason: Hashable, Sendable {
        /// The run is over (Evochi: the stream ends `CANCELLED`, the worker's normal stop).
        case runFinished
        /// The engine removed the worker (missed heartbeats, an overrunning task).
        case evicted(String)
    }
}
