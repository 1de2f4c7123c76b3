/// The server's batches, in order: a `Sequence` for threads and an `AsyncSequence` for tasks.
///
/// Iterating takes batches from the server, exactly like calling ``Server/next()``: each step
/// releases the batch before it.
public struct Batches: Sequence, AsyncSequence, Sendable {
    public typealias Element = Batch
    public typealias Failure = Never

    let server: Server

    public struct Iterator: IteratorProtocol {
        let server: Server
        public mutating func next() -> Batch? { server.next() }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let server: Server
        public mutating func next() async -> Batch? { await server.nextAsync() }
    }

    public func makeIterator() -> Iterator { Iterator(server: server) }
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(server: server) }
}
