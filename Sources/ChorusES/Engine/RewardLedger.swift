import Chorus

/// Where accepted rewards go: each one enters a Chorus ``Server`` ring as a sample
/// `{"epoch": int32, "index": int32, "reward": float32}`, and the ledger consumes the ring's
/// batches into the epoch's reward vector, so evaluation results take the same path as any
/// other Chorus data. Submitting and consuming happen on the engine's thread: the ledger drains
/// every complete batch after each submit, so the ring never fills.
final class RewardLedger {
    static let schema = try! Schema(["epoch": .leaf(.int32), "index": .leaf(.int32), "reward": .leaf(.float32)])

    let populationSize: Int
    private let server: Server
    private(set) var epoch = 0
    private(set) var rewards: [Float]
    private(set) var delivered = 0

    init(populationSize: Int) {
        self.populationSize = populationSize
        rewards = [Float](repeating: 0, count: populationSize)
        // A batch size that divides the population, so an epoch's last reward completes a batch.
        let batchSize = (1...min(populationSize, 64)).last { populationSize % $0 == 0 }!
        server = try! Server(schema: Self.schema, batchSize: batchSize, numBuffers: 2)
    }

    deinit {
        server.shutdown()
    }

    var isComplete: Bool { delivered == populationSize }

    /// The reward ring's counters.
    var metrics: RingMetrics { server.metrics.ring }

    /// Starts collecting epoch `epoch`'s rewards. Every reward of the previous epoch has been
    /// delivered (or none was submitted), so the ring is empty here.
    func begin(epoch: Int) {
        self.epoch = epoch
        delivered = 0
        for index in rewards.indices { rewards[index] = 0 }
    }

    /// Records member `index`'s reward (each index once per epoch; the engine checks).
    func record(index: Int, reward: Float) {
        var sample = Sample(schema: Self.schema)
        try! sample.set("epoch", to: [Int32(epoch)])
        try! sample.set("index", to: [Int32(index)])
        try! sample.set("reward", to: [reward])
        try! server.submit(sample)
        drain()
    }

    private func drain() {
        while let batch = server.tryNext() {
            let epochs = try! batch["epoch", as: Int32.self]
            let indices = try! batch["index", as: Int32.self]
            let values = try! batch["reward", as: Float.self]
            for row in 0..<batch.batchSize {
                precondition(Int(epochs.buffer[row]) == epoch, "a reward of epoch \(epochs.buffer[row]) in epoch \(epoch)")
                rewards[Int(indices.buffer[row])] = values.buffer[row]
                delivered += 1
            }
        }
    }
}
