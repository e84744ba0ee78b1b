import Bus
import Foundation
import GRDB
import Logging
import MeshMetrics
import MeshProtocol
import TestSupport
import Testing
import ZeroMQ

/// Publisher and follower over real loopback sockets in one process.
@Suite(.serialized) struct ReplicationTests {
    let logger = Logger(label: "test")

    /// A follower of the publisher's stream recording into `database`, reporting in `metrics`.
    func subscriber(
        of publisher: TestPublisher, into database: DatabaseQueue, metrics: ServiceMetrics = ServiceMetrics(service: "follower")
    ) -> StreamSubscriber {
        StreamSubscriber(
            stream: "test", options: .init(pubEndpoint: publisher.endpoints.pub, routerEndpoint: publisher.endpoints.router),
            sink: DatabaseStreamSink(stream: "test", writer: database, applier: RecordingApplier(), logger: logger), metrics: metrics,
            logger: logger)
    }

    /// The follower's samples of one metric, keyed by the `state` label when there is one.
    func scrape(_ metrics: ServiceMetrics, _ name: String) async -> [String: Double] {
        let samples = PrometheusText.samples(in: await metrics.exposition()).filter { $0.name == name }
        return Dictionary(uniqueKeysWithValues: samples.map { ($0.labels["state"] ?? "", $0.value) })
    }

    @Test func lateFollowerCatchesUpThenAppliesLiveEventsExactlyOnce() async throws {
        let publisher = try TestPublisher()
        try publisher.append(500)
        let follower = try followerDatabase()
        let metrics = ServiceMetrics(service: "follower")
        let subscriber = subscriber(of: publisher, into: follower, metrics: metrics)
        let server = Task { try await publisher.server.run() }
        let follow = Task { try await subscriber.run() }
        defer {
            follow.cancel()
            server.cancel()
        }
        #expect(try await eventually { try seen(follower).count == 500 }, "caught up to \(subscriber.status)")
        for _ in 0..<10 { try publisher.append(10) }
        #expect(try await eventually { try seen(follower).count == 600 }, "live: \(subscriber.status)")
        #expect(try seen(follower) == Array(1...600))
        #expect(subscriber.status.state == .live)
        #expect(try await follower.read { try Checkpoints.applied($0, stream: "test") } == 600)
        // What the follower reports: its position, no lag, live; the catch-up at start is no drop.
        #expect(await scrape(metrics, "credit_follower_applied_seq") == ["": 600])
        #expect(await scrape(metrics, "credit_follower_lag") == ["": 0])
        #expect(await scrape(metrics, "credit_follower_state")["live"] == 1)
        #expect(await scrape(metrics, "credit_follower_state").values.reduce(0, +) == 1)
        #expect(await scrape(metrics, "credit_pub_dropped_total") == ["": 0])
        #expect(try #require(await scrape(metrics, "credit_follower_silent_seconds")[""]) < 5)
    }

    @Test func followerConvergesWhenPubDropsAtATinyHighWaterMark() async throws {
        let publisher = try TestPublisher(pubHighWaterMark: 1)
        let follower = try followerDatabase()
        let metrics = ServiceMetrics(service: "follower")
        let subscriber = subscriber(of: publisher, into: follower, metrics: metrics)
        let server = Task { try await publisher.server.run() }
        let follow = Task { try await subscriber.run() }
        defer {
            follow.cancel()
            server.cancel()
        }
        #expect(try await eventually { subscriber.status.state == .live })
        for _ in 0..<50 { try publisher.append(100) }
        // Convergence, not speed: nearly every live event is dropped, so the follower replays page
        // after page; on a loaded CI machine (other suites writing hundreds of MB beside it) that
        // took more than 20 s once, where it takes 6 s alone.
        #expect(try await eventually(timeout: .seconds(120)) { try seen(follower).count == 5_000 }, "\(subscriber.status)")
        #expect(try seen(follower) == Array(1...5_000))
        // The events PUB dropped were counted as they were found missing and replayed.
        let dropped = try #require(await scrape(metrics, "credit_pub_dropped_total")[""])
        #expect(dropped > 0 && dropped <= 5_000, "\(dropped)")
    }

    @Test func restartedFollowerResumesFromItsCheckpoint() async throws {
        let publisher = try TestPublisher()
        try publisher.append(100)
        let follower = try followerDatabase()
        let server = Task { try await publisher.server.run() }
        defer { server.cancel() }
        for round in 1...2 {
            let subscriber = subscriber(of: publisher, into: follower)
            let follow = Task { try await subscriber.run() }
            #expect(try await eventually { try seen(follower).count == 100 * round })
            follow.cancel()
            _ = await follow.result
            try publisher.append(100)  // published while no follower runs
        }
        #expect(try seen(follower) == Array(1...200))
    }

    @Test func clientTellsUnreachableFromRefused() async throws {
        let port = FreePorts.take(1)[0]
        let nobody = try BusClient(endpoint: "tcp://127.0.0.1:\(port)")
        defer { nobody.close() }
        await #expect {
            _ = try await nobody.request("ping", timeout: .milliseconds(300))
        } throws: { error in
            guard case BusClientError.unreachable = error else { return false }
            return "\(error)".contains("no connection to tcp://127.0.0.1:\(port)")
        }

        let publisher = try TestPublisher()
        let server = Task { try await publisher.server.run() }
        defer { server.cancel() }
        let client = try BusClient(endpoint: publisher.endpoints.router)
        defer { client.close() }
        let echoed = try await client.request("echo", body: .object(["x": .int(1)]))
        #expect(echoed == .object(["x": .int(1)]))
        await #expect {
            _ = try await client.request("nope")
        } throws: { error in
            guard case BusClientError.refused(let reply) = error else { return false }
            return reply.code == .unknownOp
        }
        await #expect {
            _ = try await client.request("replay", body: .object(["from": .string("x")]))
        } throws: { error in
            guard case BusClientError.refused(let reply) = error else { return false }
            return reply.code == .badRequest && reply.message.contains("body.from")
        }
    }

    /// A request whose one string ends in the middle of a three-byte character.
    static let truncatedCharacterInAString: [UInt8] =
        Array(#"{"v":1,"id":"a","op":"ping","body":{"x":""#.utf8) + [0xE6, 0x9D] + Array(#""}}"#.utf8)

    @Test(arguments: [
        ([Array("not json".utf8)], "not valid JSON: invalid JSON at byte 0: unexpected character"),
        ([Array(#"{"v":1,"id":"a","op":"ping",}x"#.utf8)], "invalid JSON at byte 29: unexpected text after the value"),
        ([[0xFF, 0xFE]], "not valid UTF-8"),
        ([Self.truncatedCharacterInAString], "not valid UTF-8"),
        ([Array(#"{"v":2,"id":"a","op":"ping"}"#.utf8)], "protocol version 2"),
        ([Array(#"{"v":1,"op":"ping"}"#.utf8)], "field id"),
        ([Array(#"{"v":1,"id":"a","op":"ping","body":[]}"#.utf8)], "body must be a JSON object"),
        ([Array("a".utf8), Array("b".utf8)], "got 2 frames"),
    ])
    func malformedRequestsGetAnErrorNamingTheProblem(frames: [[UInt8]], expected: String) async throws {
        let publisher = try TestPublisher()
        let server = Task { try await publisher.server.run() }
        defer { server.cancel() }
        let (replies, input) = AsyncStream<ZMQMessage>.makeStream()
        let loop = try SocketLoop(name: "raw")
        let dealer = try ZMQSocket(type: .dealer)
        try dealer.connect(publisher.endpoints.router)
        let handle = loop.add(dealer) { input.yield($0) }
        loop.start()
        defer { loop.stop() }
        loop.send([[]] + frames, on: handle)
        var reply: Reply?
        for await message in replies {
            reply = try WireCoding.decode(Reply.self, from: message.frames.last!)
            break
        }
        let error = try #require(reply?.error)
        #expect(reply?.ok == false)
        #expect(error.message.contains(expected), "\(error)")
        // The server still answers a good request afterwards.
        let client = try BusClient(endpoint: publisher.endpoints.router)
        defer { client.close() }
        #expect(try await client.request("ping")["stream"] == .string("test"))
    }
}
