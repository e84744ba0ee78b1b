import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing
import ZeroMQ

/// Heartbeats and silence on a clock the test moves: what happens per interval, and what does not
/// happen before it, checked without waiting for real time to pass.
@Suite(.serialized) struct ClockTests {
    let logger = Logger(label: "test")

    /// Everything a SUB socket receives from `endpoint`, in order: (topic, payload).
    final class Received: Sendable {
        let messages = Locked<[(topic: String, payload: [UInt8])]>([])
        let loop: SocketLoop

        init(from endpoint: String) throws {
            loop = try SocketLoop(name: "test-sub")
            let sub = try ZMQSocket(type: .sub)
            try sub.subscribe("")
            try sub.connect(endpoint)
            loop.add(sub) { [messages] message in
                guard message.frames.count == 2 else { return }
                messages.withLock { $0.append((String(decoding: message.frames[0], as: UTF8.self), message.frames[1])) }
            }
            loop.start()
        }

        var beats: [Heartbeat] {
            messages.value.filter { $0.topic == Heartbeat.topic }.compactMap { try? WireCoding.decode(Heartbeat.self, from: $0.payload) }
        }

        var events: [Event] { messages.value.filter { $0.topic != Heartbeat.topic }.compactMap { try? Event(payload: $0.payload) } }

        func stop() { loop.stop() }
    }

    @Test func heartbeatsGoOutOncePerIntervalOfTheServersClockAndCarryItsTime() async throws {
        let clock = TestClock()
        let publisher = try TestPublisher(clock: clock.service)  // heartbeats every 200 ms
        let received = try Received(from: publisher.endpoints.pub)
        defer { received.stop() }
        try await whileRunning([publisher.server]) {
            // The subscription reaches the PUB socket asynchronously; until it does, beats are lost.
            #expect(
                await eventually {
                    await clock.advance(by: .milliseconds(200), thenWaitForSleepers: 1)
                    return !received.beats.isEmpty
                })
            // What was sent before this marker event has arrived once the marker has.
            func settled() async throws -> Int {
                let marker = received.events.count + 1
                try publisher.append(1)
                #expect(await eventually { received.events.count == marker })
                return received.beats.count
            }
            let before = try await settled()

            await clock.advance(by: .milliseconds(199), thenWaitForSleepers: 1)
            #expect(try await settled() == before, "no beat before the interval is up")
            await clock.advance(by: .milliseconds(1), thenWaitForSleepers: 1)
            #expect(await eventually { received.beats.count == before + 1 })
            #expect(received.beats.last?.at == WireTime.format(clock.date), "dated by the server's clock")
            for _ in 0..<3 { await clock.advance(by: .milliseconds(200), thenWaitForSleepers: 1) }
            #expect(await eventually { received.beats.count == before + 4 })
            #expect(try await settled() == before + 4, "one beat per interval, no more")
            #expect(received.beats.last?.head == publisher.log.lastCommittedHead - 1, "the head when it was sent (before the last marker)")
        }
    }

    @Test func aFollowerIsReportedSilentOnlyOnceItsClockPassesTheSilenceBound() async throws {
        let publisherClock = TestClock()
        let publisher = try TestPublisher(clock: publisherClock.service)
        try publisher.append(3)
        let follower = try followerDatabase()
        let clock = TestClock()
        var options = StreamSubscriber.Options(pubEndpoint: publisher.endpoints.pub, routerEndpoint: publisher.endpoints.router)
        options.silenceAfter = .seconds(5)
        let subscriber = StreamSubscriber(
            stream: "test", options: options,
            sink: DatabaseStreamSink(stream: "test", writer: follower, applier: RecordingApplier(), logger: logger), clock: clock.service,
            logger: logger)
        // Only the two test clocks move time here: the publisher beats when the test says so.
        try await whileRunning([publisher.server, subscriber]) {
            #expect(
                await eventually {
                    await publisherClock.advance(by: .milliseconds(200), thenWaitForSleepers: 1)
                    return subscriber.status.state == .live
                })
            // Every beat sent so far is in once an event published after them is applied.
            try publisher.append(1)
            #expect(try await eventually { try seen(follower).count == 4 })
            await clock.waitForSleepers()
            for second in 1...5 {
                await clock.advance(by: .seconds(1), thenWaitForSleepers: 1)
                #expect(subscriber.status.state == .live, "unheard for \(second) s of 5")
            }
            await clock.advance(by: .seconds(1), thenWaitForSleepers: 1)
            #expect(subscriber.status.state == .silent, "unheard for 6 s")
            // The next heartbeat brings it back.
            await publisherClock.advance(by: .milliseconds(200), thenWaitForSleepers: 1)
            #expect(await eventually { subscriber.status.state == .live })
        }
    }

    /// Takes `take` requests, refusing them as `unavailable` (retryable) while `refusing` is set.
    struct Receiver: RequestHandler {
        let taken = Locked<[Int64]>([])
        let refusing = Locked(false)

        var commands: CommandTable {
            struct Body: Decodable, Sendable { var event: Event }
            var commands = CommandTable(service: "receiver")
            commands.on("take", access: .anyone, audit: .query, body: Body.self) { [taken, refusing] body, _ -> JSONValue in
                guard !refusing.value else { throw ReplyError(.unavailable, "take: refusing for the test") }
                taken.withLock { $0.append(body.event.seq) }
                return .object([:])
            }
            return commands
        }
    }

    @Test func anOutboxSendsOnCommitAndRetriesARefusalAfterItsBackoffOnItsClock() async throws {
        let receiver = Receiver()
        let rig = try OutboxRig(receiver: receiver, logger: logger)
        let (server, database, log) = (rig.server, rig.database, rig.log)
        let clock = TestClock()
        let outbox = OutboxForwarder(
            target: "receiver.take", log: log, writer: database, types: ["thing.happened"], endpoint: rig.router,
            op: "take", department: nil, clock: clock.service, logger: logger)
        func append() throws { try database.write { _ = try log.append($0, type: "thing.happened", json: .object([:])) } }
        try await whileRunning([server, outbox]) {
            await clock.waitForSleepers()  // the outbox's poll
            try append()
            #expect(await eventually { receiver.taken.value == [1] }, "a commit wakes the outbox; no time needs to pass")
            receiver.refusing.withLock { $0 = true }
            try append()
            await clock.waitForSleepers(2)  // the poll, and the backoff after the refusal
            receiver.refusing.withLock { $0 = false }
            await clock.advance(by: .milliseconds(199), thenWaitForSleepers: 2)
            #expect(receiver.taken.value == [1] && outbox.pending == 1, "not sent again before the backoff is over")
            clock.advance(by: .milliseconds(1))
            #expect(await eventually { receiver.taken.value == [1, 2] }, "sent again once it is")
            #expect(await eventually { outbox.pending == 0 })
        }
    }
}
