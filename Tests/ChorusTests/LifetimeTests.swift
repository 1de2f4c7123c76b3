@testable import Chorus
@testable import ChorusClient
import Foundation
import Testing

/// Servers own their threads: dropping one, or failing to start one, leaves none behind.
@Suite(.timeLimit(.minutes(2))) struct LifetimeTests {
    /// Threads of this process with `name` (as the I/O threads name themselves).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    static func ioThreadName(_ port: Int) -> String { String("chorus-io:\(port)".prefix(15)) }

    /// Whether no thread is named `name`, allowing for one that was joined but not yet reaped: the
    /// kernel wakes `pthread_join` before it removes the thread from `/proc/self/task`.
    static func noThreads(named name: String) -> Bool { eventually { threads(named: name) == 0 } }

    @Test func aDroppedServerStopsItsThreadsAndClosesItsPorts() throws {
        var port = 0
        do {
            var options = TransportOptions()
            options.ioThreads = 2
            let server = try Server(schema: Tagged.small.schema, batchSize: 10)
            port = try server.listen([.chorus(port: 0)], options: options)[0].port
            let client = try TcpClient(host: "127.0.0.1", port: port, schema: Tagged.small.schema)
            try client.send(Tagged.small.sample(1))
            try client.wait()
            #expect(eventually { Self.threads(named: Self.ioThreadName(port)) == 2 }, "each names itself when it starts")
            #expect(eventually { server.ring.spaceListenerCount == 2 })
        }  // dropped here, never shut down
        #expect(Self.noThreads(named: Self.ioThreadName(port)))
        #expect(throws: ClientError.self, "nothing listens any more") {
            try TcpClient(host: "127.0.0.1", port: port, schema: Tagged.small.schema)
        }
    }

    @Test func stoppedLoopsRemoveTheirSpaceListeners() throws {
        let server = try Server(schema: Tagged.small.schema, batchSize: 10)
        var options = TransportOptions()
        options.ioThreads = 3
        try server.listen([.echo(port: 0)], options: options)
        #expect(eventually { server.ring.spaceListenerCount == 3 })
        server.shutdown()
        #expect(server.ring.spaceListenerCount == 0)
    }

    @Test func aFailedStartLeavesNoThreadOrPortBehind() throws {
        let probe = try Server(schema: Tagged.small.schema, batchSize: 1)
        let port = try probe.listen([.chorus(port: 0)])[0].port
        probe.shutdown()

        let server = try Server(schema: Tagged.small.schema, batchSize: 1)
        #expect(throws: TransportError.self) {
            try server.listen([.chorus(port: port), .echo(host: AddressTests.unknownName, port: 0)])
        }
        #expect(Self.noThreads(named: Self.ioThreadName(port)))
        #expect(server.ring.spaceListenerCount == 0)
        // The port bound before the failure was closed: a new server can take it.
        let again = try Server(schema: Tagged.small.schema, batchSize: 1)
        #expect(try again.withListening([.chorus(port: port)]) { $0[0].port } == port)
    }

    @Test func withListeningShutsTheServerDownWhenItsBodyThrows() throws {
        struct Failure: Error {}
        let server = try Server(schema: Tagged.small.schema, batchSize: 1)
        var port = 0
        #expect(throws: Failure.self) {
            try server.withListening([.chorus(port: 0)]) { bound in
                port = bound[0].port
                throw Failure()
            }
        }
        #expect(server.next() == nil, "shut down: the learner gets nil")
        #expect(Self.noThreads(named: Self.ioThreadName(port)))
    }
}
