import ArgumentParser
import Chorus
import Foundation
import Synchronization

/// `chorus demo`: show Chorus working on this machine.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Demonstrations that run on one machine.",
        subcommands: [ClusterDemo.self, RingDemo.self, ESDemo.self, GADemo.self],
        defaultSubcommand: ClusterDemo.self
    )
}

/// Producer threads fill the ring in-process while a learner loop takes batches, reads every
/// sample through the zero-copy views, and checks that each arrived exactly once, in order.
struct RingDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ring",
        abstract: "In-process producers feed a learner loop; prints batches/s and checks every sample."
    )

    @Option(help: "Producer threads.") var producers = 2
    @Option(help: "Samples per batch.") var batchSize = 256
    @Option(help: "Buffers in the ring (at least 2).") var numBuffers = 3
    @Option(help: "How long to run, in seconds.") var seconds = 5.0

    func validate() throws {
        guard producers >= 1 else { throw ValidationError("--producers must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        // 20 bytes, the CartPole-step shape of id-echo's quick start. The producer id and its
        // running count (as the bit pattern of a float, exact to 2^32) ride in the observation
        // so the learner can check order and loss.
        let schema = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
        let server = try Server(schema: schema, batchSize: batchSize, numBuffers: numBuffers)
        print("chorus demo ring: \(producers) producers → ring of \(numBuffers) × \(batchSize) samples "
              + "of \(schema.sampleSize) B → learner, for \(seconds) s")

        let threads = (0..<producers).map { id in
            Thread { produce(into: server, producer: id) }
        }
        threads.forEach { $0.start() }
        let stopper = Thread {
            Thread.sleep(forTimeInterval: seconds)
            server.shutdown()
        }
        stopper.start()

        let report = try consume(server)
        print(String(format: "done: %d batches, %d samples in %.2f s (%.2f M samples/s); "
                     + "order and counts verified for %d producers; producer waits %d, consumer waits %d",
                     report.batches, report.samples, report.elapsed, Double(report.samples) / report.elapsed / 1e6,
                     producers, server.metrics.ring.producerWaits, server.metrics.ring.consumerWaits))
    }

    private func produce(into server: Server, producer: Int) {
        var sample = Sample(schema: server.schema)
        var sequence: UInt32 = 0
        do {
            while true {
                try sample.set("obs", to: [Float(producer), Float(bitPattern: sequence), 0, 0])
                try sample.set("reward", to: Float(1))
                try server.submit(sample)
                sequence &+= 1
            }
        } catch SubmitError.shutDown {
            return
        } catch {
            fatalError("producer \(producer): \(error)")
        }
    }

    private struct Report {
        var batches = 0
        var samples = 0
        var elapsed = 0.0
    }

    /// The learner loop: checks each producer's sequence continues where it left off.
    private func consume(_ server: Server) throws -> Report {
        var expected = [UInt32](repeating: 0, count: producers)
        var report = Report()
        let start = ContinuousClock.now
        var lastPrint = start
        var batchesAtLastPrint = 0
        for batch in server.batches() {
            try batch["obs", as: Float.self].withSpan { obs in
                for index in 0..<batchSize {
                    let producer = Int(obs[index * 4])
                    let sequence = obs[index * 4 + 1].bitPattern
                    guard sequence == expected[producer] else {
                        throw CommandFailure("producer \(producer): sample \(sequence) arrived, expected \(expected[producer])")
                    }
                    expected[producer] &+= 1
                }
            }
            report.batches += 1
            let now = ContinuousClock.now
            if now - lastPrint >= .seconds(1) {
                let interval = (now - lastPrint).seconds
                let rate = Double(report.batches - batchesAtLastPrint) / interval
                print(String(format: "%6.0f batches/s  %7.2f M samples/s  fill %d/%d",
                             rate, rate * Double(batchSize) / 1e6,
                             server.metrics.ring.fill, server.metrics.ring.capacity))
                lastPrint = now
                batchesAtLastPrint = report.batches
            }
        }
        report.elapsed = (ContinuousClock.now - start).seconds
        report.samples = report.batches * batchSize
        return report
    }
}
