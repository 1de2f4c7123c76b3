/// The engine's answer to a worker's Finish call.
public enum FinishReply: Hashable, Sendable {
    /// Taken into account.
    case accepted
    /// Harmless but useless (a late or duplicate result, a task of an epoch that is over):
    /// answered without an error so a peer that dies on errors keeps running.
    case stale(String)
    /// Wrong: refused with a reason; nothing of it was consumed.
    case rejected(EngineRejection)
}
