import Chorus
import ChorusHTTP
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Prometheus
import Testing

/// The endpoint end to end: a real server's counters through swift-prometheus, the JSON
/// status, the dashboard, and what bad requests get.
@Suite struct MonitoringEndpointTests {
    /// A server with its own registry (tests run in parallel in one process: no global
    /// bootstrap), fed `samples` in process and drained, behind an endpoint on a free port.
    final class Fixture: Sendable {
        let server: Server
        let endpoint: MonitoringEndpoint
        let base: URL

        private init(samples: Int, batchSize: Int = 100) async throws {
            let registry = PrometheusCollectorRegistry()
            let schema = try Schema(["obs": .leaf(.float32, 4), "reward": .leaf(.float32)])
            server = try Server(schema: schema, batchSize: batchSize,
                                metricsFactory: PrometheusMetricsFactory.chorus(registry: registry))
            endpoint = MonitoringEndpoint(port: 0, sources: [server], registry: registry)
            base = URL(string: "http://127.0.0.1:\(try await endpoint.start())")!
            try feed(samples)
        }

        /// Runs `body` on a fixture, then stops its endpoint and server whatever `body` did.
        static func with(samples: Int, _ body: (Fixture) async throws -> Void) async throws {
            let fixture = try await Fixture(samples: samples)
            do {
                try await body(fixture)
            } catch {
                await fixture.close()
                throw error
            }
            await fixture.close()
        }

        private func close() async {
            await endpoint.stop()
            server.shutdown()
        }

        func feed(_ samples: Int) throws {
            for _ in 0..<samples {
                try server.submit(Sample(schema: server.schema), timeout: .seconds(5))
                while server.tryNext() != nil {}  // takes each batch as it completes (never a full ring)
            }
            server.releaseBatch()
        }

        func get(_ path: String, method: String = "GET") async throws -> (status: Int, headers: [AnyHashable: Any], body: String) {
            var request = URLRequest(url: base.appending(path: path))
            request.httpMethod = method
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            return (http.statusCode, http.allHeaderFields, String(decoding: data, as: UTF8.self))
        }

        /// The value of the sample `name` (with its labels, as written) in a `/metrics` text.
        static func value(of name: String, in text: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
        }
    }

    @Test func metricsCarryTheServersCountersAndHistograms() async throws {
        try await Fixture.with(samples: 1000) { fixture in
            let text = try await fixture.get("/metrics").body
            #expect(Fixture.value(of: "chorus_ring_samples_committed_total", in: text) == 1000)
            #expect(Fixture.value(of: "chorus_ring_batches_delivered_total", in: text) == 10)
            #expect(Fixture.value(of: "chorus_batch_delivery_seconds_count", in: text) == 10)
            #expect(Fixture.value(of: "chorus_learner_hold_seconds_count", in: text) == 10)
            #expect(Fixture.value(of: "chorus_ring_capacity_samples", in: text) == 300)
            #expect(text.contains("# TYPE chorus_learner_wait_seconds histogram"))
            #expect(text.contains(#"chorus_refusals_total{reason="schemaMismatch"} 0"#), "every refusal reason is a series")
        }
    }

    @Test func aSecondScrapeAddsOnlyTheGrowth() async throws {
        try await Fixture.with(samples: 500) { fixture in
            _ = try await fixture.get("/metrics")
            try fixture.feed(300)
            let text = try await fixture.get("/metrics").body
            #expect(Fixture.value(of: "chorus_ring_samples_committed_total", in: text) == 800)
            #expect(Fixture.value(of: "chorus_ring_batches_delivered_total", in: text) == 8)
        }
    }

    @Test func statusIsAJSONSnapshotOfTheServer() async throws {
        try await Fixture.with(samples: 200) { fixture in
            let reply = try await fixture.get("/api/status")
            #expect(reply.status == 200)
            #expect((reply.headers["Content-Type"] as? String)?.hasPrefix("application/json") == true)
            let document = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
            let server = try #require(document?["server"] as? [String: Any])
            #expect(server["samplesCommitted"] as? Int == 200)
            #expect(server["batchSize"] as? Int == 100)
            #expect(document?["time"] is Double)
        }
    }

    @Test func theDashboardIsOneSelfContainedPage() async throws {
        try await Fixture.with(samples: 0) { fixture in
            let page = try await fixture.get("/")
            #expect(page.status == 200)
            #expect(page.body.contains(#"id="samples-per-second""#) && page.body.contains(#"id="epoch""#))
            #expect(!page.body.contains("http://") && !page.body.contains("https://"), "no CDN: everything is in the page")
        }
    }

    @Test func unknownPathsAre404AndOtherMethods405() async throws {
        try await Fixture.with(samples: 0) { fixture in
            #expect(try await fixture.get("/nope").status == 404)
            let post = try await fixture.get("/metrics", method: "POST")
            #expect(post.status == 405)
            #expect(post.headers["Allow"] as? String == "GET, HEAD")
            #expect(try await fixture.get("/api/status", method: "DELETE").status == 405)
            #expect(try await fixture.get("/metrics").status == 200, "the endpoint goes on serving")
        }
    }
}
