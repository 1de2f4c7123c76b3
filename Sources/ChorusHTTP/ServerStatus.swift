import Chorus

/// A server's section of `/api/status`: its configuration and counters now. The dashboard
/// turns consecutive snapshots into rates.
public struct ServerStatus: Codable, Sendable {
    public struct Listener: Codable, Sendable {
        public var wire: String
        public var address: String
        public var port: Int
        public var connectionsAccepted: UInt64
        public var samplesReceived: UInt64
        public var bytesReceived: UInt64
    }

    public struct Table: Codable, Sendable {
        public var name: String
        public var size: Int
        public var maxSize: Int
        public var inserts: UInt64
        public var samples: UInt64
        public var insertBlocks: UInt64
        public var sampleBlocks: UInt64
    }

    public var schema: String
    public var sampleBytes: Int
    public var batchSize: Int
    public var ringCapacity: Int
    public var ringFill: Int
    public var samplesCommitted: UInt64
    public var batchesDelivered: UInt64
    public var producerWaits: UInt64
    public var consumerWaits: UInt64
    public var connectionsActive: Int
    public var connectionsAccepted: UInt64
    public var samplesReceived: UInt64
    public var bytesReceived: UInt64
    public var samplesTruncated: UInt64
    public var refusals: [String: UInt64]
    public var listeners: [Listener]
    public var tables: [Table]

    public init(_ server: Server) {
        let metrics = server.metrics
        schema = server.schema.description
        sampleBytes = server.schema.sampleSize
        batchSize = server.batchSize
        ringCapacity = metrics.ring.capacity
        ringFill = metrics.ring.fill
        samplesCommitted = metrics.ring.samplesCommitted
        batchesDelivered = metrics.ring.batchesDelivered
        producerWaits = metrics.ring.producerWaits
        consumerWaits = metrics.ring.consumerWaits
        connectionsActive = metrics.transport.connectionsActive
        connectionsAccepted = metrics.transport.connectionsAccepted
        samplesReceived = metrics.transport.samplesReceived
        bytesReceived = metrics.transport.bytesReceived
        samplesTruncated = metrics.transport.samplesTruncated
        refusals = Dictionary(uniqueKeysWithValues: metrics.transport.refusals.map { ($0.key.rawValue, $0.value) })
        listeners = metrics.transport.listeners.map {
            Listener(wire: "\($0.listener.wireProtocol)", address: $0.listener.host, port: $0.listener.port,
                     connectionsAccepted: $0.connectionsAccepted, samplesReceived: $0.samplesReceived,
                     bytesReceived: $0.bytesReceived)
        }
        tables = server.tables.map(\.info).map {
            Table(name: $0.name, size: $0.size, maxSize: $0.maxSize, inserts: $0.inserts, samples: $0.samples,
                  insertBlocks: $0.insertBlocks, sampleBlocks: $0.sampleBlocks)
        }
    }
}

extension Server: StatusSource {
    public var statusSection: String { "server" }

    public func status() -> any Encodable & Sendable { ServerStatus(self) }
}
