import CoreMetrics
import Foundation
import Logging
import MeshMetrics
import MeshProtocol
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// What a follower knows about its position in a stream, for `status` and health answers.
public struct SubscriberStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Waiting for the first message from the publisher (subscription not yet through).
        case connecting
        /// Replaying or loading a snapshot.
        case catchingUp = "catching-up"
        /// Applying live events as they come.
        case live
        /// The publisher's ROUTER did not answer; retried on the next heartbeat.
        case unreachable
        /// No heartbeat for longer than the silence bound.
        case silent
        /// The publisher went back (its head is behind what was applied, or the event applied last is
        /// not in its log any more: it was restored from a backup or replaced) and this follower
        /// cannot rebuild from it: it applies nothing more until an operator acts.
        case diverged
    }

    public var stream: String
    public var applied: Int64
    public var publisherHead: Int64?
    public var state: State
    public var lastHeard: String?
    public var lastError: String?
    /// When this follower last rebuilt its state from the publisher because the publisher went
    /// back, and why (nil when it never did since it started).
    public var rebuilt: String?

    public var lag: Int64? { publisherHead.map { max(0, $0 - applied) } }
}

/// Follows one stream: subscribes to the publisher's PUB, waits for the first message (the
/// subscription has then reached the publisher), catches up through `snapshot`/`replay` on its
/// ROUTER, then applies live events in seq order. A gap, a heartbeat announcing a head beyond what
/// was applied, or a reconnect triggers a replay of exactly the missing range (the Clone pattern of
/// the ZeroMQ Guide, chapter 5, with the publisher's event log as durable history).
public final class StreamSubscriber: Service {
    public struct Options: Sendable {
        public var pubEndpoint: String
        public var routerEndpoint: String
        /// A publisher unheard for longer than this is reported `silent`.
        public var silenceAfter: Duration = .seconds(5)
        /// How often silence is looked for.
        public var silenceCheckInterval: Duration = .seconds(1)
        public var replayBatch: Int = 2_000
        /// Items per snapshot chunk from a publisher that does not chunk by range.
        public var snapshotChunk: Int = 2_000
        /// Range of each snapshot chunk (`SnapshotRequest.span`), and how many are requested ahead
        /// of the one being applied: the publisher reads the next chunks while this side stores one.
        public var snapshotSpan: Int = 4_000
        public var snapshotInFlight: Int = 4
        public var requestTimeout: Duration = .seconds(10)
        /// CURVE client credentials toward the publisher (its server key and this party's keys).
        public var security: SocketSecurity

        public init(pubEndpoint: String, routerEndpoint: String, security: SocketSecurity = .none) {
            self.pubEndpoint = pubEndpoint
            self.routerEndpoint = routerEndpoint
            self.security = security
        }
    }

    public let stream: String
    public let options: Options
    private let sink: any StreamSink
    private let logger: Logger
    private let clock: ServiceClock
    private let state: Mutex<SubscriberStatus>
    /// When the publisher was last heard, by `clock`.
    private let heardAt = Mutex<ServiceClock.Instant?>(nil)
    private let startedAt: ServiceClock.Instant
    /// `credit_pub_dropped_total{stream}`, when the follower reports metrics.
    private let dropped: Counter?

    /// - Parameter metrics: the following service's metrics, in which the follower reports its
    ///   position, lag, silence and state (read when scraped) and the events that did not arrive live;
    ///   nil for none (creditctl's `tail`).
    public init(
        stream: String, options: Options, sink: any StreamSink, metrics: ServiceMetrics? = nil, clock: ServiceClock = .system,
        logger: Logger
    ) {
        self.stream = stream
        self.options = options
        self.sink = sink
        self.clock = clock
        self.logger = logger
        self.state = Mutex(SubscriberStatus(stream: stream, applied: 0, state: .connecting))
        startedAt = clock.now
        dropped = metrics?.counter(.pubDropped, [("stream", stream)])
        if let metrics { expose(in: metrics) }
    }

    public var status: SubscriberStatus { state.withLock { $0 } }

    /// Seconds since the publisher was last heard, or since the follower started if it was not yet.
    public var silentSeconds: Double {
        let since = heardAt.withLock { $0 } ?? startedAt
        let (seconds, attoseconds) = since.duration(to: clock.now).components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// The follower's gauges, set from `status` (what `status` and the health answers report) when
    /// the metrics are scraped.
    private func expose(in metrics: ServiceMetrics) {
        let labels = [("follower", metrics.service), ("stream", stream)]
        let applied = metrics.gauge(.followerAppliedSeq, labels)
        let lag = metrics.gauge(.followerLag, labels)
        let silent = metrics.gauge(.followerSilentSeconds, labels)
        let states = SubscriberStatus.State.allCases.map { ($0, metrics.gauge(.followerState, labels + [("state", $0.rawValue)])) }
        metrics.onScrape { [weak self] in
            guard let self else { return }
            let status = status
            applied.record(status.applied)
            lag.record(status.lag ?? 0)
            silent.record(silentSeconds)
            for (state, gauge) in states { gauge.record(state == status.state ? 1 : 0) }
        }
    }

    /// Events the publisher announced (by a later event or a heartbeat) that did not arrive live:
    /// they are replayed.
    private func missedLive(_ count: Int64) {
        guard count > 0 else { return }
        dropped?.increment(by: count)
    }

    public func run() async throws {
        var applied = try await sink.appliedSeq()
        state.withLock { $0.applied = applied }
        let client = try BusClient(endpoint: options.routerEndpoint, security: options.security)
        defer { client.close() }
        let loop = try SocketLoop(name: "sub-\(stream)")
        let sub = try ZMQSocket(type: .sub)
        try options.security.apply(to: sub)
        try sub.setMaxMessageSize(16 << 20)
        try sub.setHighWaterMarks(receive: 100_000)
        try sub.setReconnect(interval: 100, maximum: 2_000)
        try sub.subscribe("")
        try sub.connect(options.pubEndpoint)
        // The event `applied` came from, when the sink keeps it: a heartbeat or event that shows
        // another event at that seq means the publisher went back (restored from a backup).
        var anchor = try? await sink.appliedAnchor()
        var synced = false
        lane.withLock { [applied, anchor] in $0 = Lane(synced: false, applied: applied, anchor: anchor) }
        let (messages, input) = AsyncStream<ZMQMessage>.makeStream()
        loop.add(sub) { [self] message in
            if !applyLive(message) { input.yield(message) }
        }
        loop.start()
        defer { loop.stop() }
        logger.info(
            "Following stream",
            metadata: ["stream.name": "\(stream)", "stream.applied": "\(applied)", "bus.pub": "\(options.pubEndpoint)"])

        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchForSilence() }
            func resync() async {
                synced = await catchUp(client, applied: &applied)
                anchor = try? await sink.appliedAnchor()
            }
            for await message in messages.cancelOnGracefulShutdown() {
                // The socket's thread may have applied live events since the last message handled here;
                // this one, and every one after it until the task has handled them all, waits for the task.
                (synced, applied, anchor) = lane.withLock { ($0.synced, $0.applied, $0.anchor) }
                defer {
                    lane.withLock { [synced, applied, anchor] in
                        $0.synced = synced
                        $0.applied = applied
                        $0.anchor = anchor
                        $0.queued -= 1
                    }
                }
                guard message.frames.count == 2 else { continue }
                let topic = String(decoding: message.frames[0], as: UTF8.self)
                if topic == Heartbeat.topic {
                    guard let beat = try? WireCoding.decode(Heartbeat.self, from: message.frames[1]),
                        beat.stream == stream
                    else { continue }
                    heard(head: beat.head)
                    let replaced = beat.head < applied || (beat.head == applied && Self.differs(beat.last, from: anchor))
                    if !synced || beat.head > applied || replaced {
                        // In sync, a heartbeat is sent after the events it counts: those not here were dropped.
                        if synced, beat.head > applied { missedLive(beat.head - applied) }
                        await resync()
                    } else {
                        state.withLock { $0.state = .live }
                    }
                } else {
                    // Another stream on the same PUB (dispatch's `feedback`, protocol 1.3) is passed by on
                    // a skim of its members, without building the event.
                    guard Self.names(stream, message.frames[1]), let event = try? Event(payload: message.frames[1]),
                        event.stream == stream
                    else { continue }
                    heard(head: event.seq)
                    if !synced || (event.seq == applied && Self.differs(EventAnchor(event), from: anchor)) {
                        // The log already holds this event (it is published after commit).
                        await resync()
                    } else if event.seq == applied + 1 {
                        do {
                            try await deliver([event])
                            applied = event.seq
                            anchor = EventAnchor(event)
                            state.withLock { $0.applied = applied }
                        } catch {
                            synced = false
                            failed("apply", error)
                        }
                    } else if event.seq > applied + 1 {
                        missedLive(event.seq - applied - 1)
                        logger.debug(
                            "Gap in stream; replaying",
                            metadata: ["stream.name": "\(stream)", "stream.applied": "\(applied)", "event.seq": "\(event.seq)"])
                        await resync()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Where the follower is, shared by the task that follows the stream and the socket's thread,
    /// which applies the next live event itself when nothing waits for the task (`applyLive`).
    private struct Lane {
        var synced = false
        var applied: Int64 = 0
        var anchor: EventAnchor?
        /// Messages handed to the task and not yet handled by it: while there are any, every message
        /// goes to the task too, so that all are handled in the order they came.
        var queued = 0
    }

    private let lane = Mutex(Lane())

    /// On the socket's thread: applies the message when it is this stream's next event, the follower
    /// is in sync and the task has nothing waiting, with the sink's store waited for here — one
    /// thread instead of three for the usual live event. Passes by what the task would pass by (another
    /// stream's event on the same PUB, one that cannot be read). Returns false for the task to handle
    /// it: a heartbeat, a gap, anything while catching up.
    private func applyLive(_ message: ZMQMessage) -> Bool {
        guard message.frames.count == 2, message.frames[0] != Self.heartbeatTopic else { return handOver() }
        guard Self.names(stream, message.frames[1]), let event = try? Event(payload: message.frames[1]), event.stream == stream
        else { return true }
        return lane.withLock { lane -> Bool in
            guard lane.queued == 0, lane.synced, event.seq == lane.applied + 1 else {
                lane.queued += 1
                return false
            }
            heard(head: event.seq)
            do {
                guard try sink.applyWaiting([event]) else {
                    lane.queued += 1
                    return false
                }
            } catch {
                // As the task does: out of sync, so the next message goes to the task, which replays.
                lane.synced = false
                failed("apply", error)
                return true
            }
            lane.applied = event.seq
            lane.anchor = EventAnchor(event)
            state.withLock { $0.applied = event.seq }
            return true
        }
    }

    private func handOver() -> Bool {
        lane.withLock { $0.queued += 1 }
        return false
    }

    private static let heartbeatTopic = Array(Heartbeat.topic.utf8)

    /// Every `silenceCheckInterval`, reports the publisher `silent` when it has been unheard for
    /// longer than `silenceAfter`. A child of `run()`: it ends with it.
    private func watchForSilence() async {
        while true {
            do {
                try await clock.sleep(for: options.silenceCheckInterval)
            } catch {
                return
            }
            // Decided under `heardAt`'s lock: a message heard meanwhile either comes first (and
            // counts) or marks the follower heard again after this.
            heardAt.withLock { last in
                if let last, last.duration(to: clock.now) > options.silenceAfter { markSilent() }
            }
        }
    }

    private func deliver(_ events: [Event]) async throws {
        try await sink.apply(events)
    }

    /// Brings `applied` up to the publisher's head. Returns whether the follower is now in sync.
    private func catchUp(_ client: BusClient, applied: inout Int64) async -> Bool {
        state.withLock { if $0.state != .diverged { $0.state = .catchingUp } }
        do {
            if applied == 0, sink.acceptsSnapshot {
                applied = try await loadSnapshot(client)
                state.withLock { [applied] in $0.applied = applied }
            }
            // The event `applied` came from: the publisher must still hold it at that seq.
            var anchor = applied > 0 ? try await sink.appliedAnchor() : nil
            while true {
                let result = try await client.request(
                    "replay", body: ReplayRequest(from: applied, limit: options.replayBatch, stream: stream),
                    decoding: ReplayResult.self, timeout: options.requestTimeout)
                // A publisher before protocol 1.3 ignores `stream` and replays its own.
                guard result.stream == stream else {
                    throw BusClientError.malformedReply(
                        endpoint: options.routerEndpoint,
                        reason:
                            "replay of stream \(stream) answered with stream \(result.stream): the publisher has no stream \(stream) (a further stream of a service needs protocol revision 1.3)"
                    )
                }
                heard(head: result.head)
                if let wentBack = Self.wentBack(result, applied: applied, anchor: anchor) {
                    guard sink.rebuildsFromPublisher else {
                        diverged(wentBack, applied: applied, head: result.head)
                        return false
                    }
                    applied = try await rebuild(client, because: wentBack, head: result.head, applied: applied)
                    anchor = nil
                    continue
                }
                guard let last = result.events.last else { break }
                for (offset, event) in result.events.enumerated() where event.seq != applied + 1 + Int64(offset) {
                    throw BusClientError.malformedReply(
                        endpoint: options.routerEndpoint,
                        reason: "replay from \(applied) returned seq \(event.seq) at position \(offset)")
                }
                try await deliver(result.events)
                applied = last.seq
                anchor = EventAnchor(last)
                state.withLock { $0.applied = applied }
                if applied >= result.head { break }
            }
            state.withLock {
                $0.state = .live
                $0.lastError = nil
            }
            return true
        } catch {
            failed("catch-up", error)
            return false
        }
    }

    /// Whether an event's JSON names `stream` as its stream (false for one whose `stream` cannot be
    /// found and read).
    static func names(_ stream: String, _ payload: [UInt8]) -> Bool {
        guard let range = try? JSONSkim.firstMember("stream", of: payload) else { return false }
        return (try? JSONSkim.string(payload, in: range)) == stream
    }

    /// Whether the publisher announces another event at the seq of the one applied last (both known).
    public static func differs(_ announced: EventAnchor?, from applied: EventAnchor?) -> Bool {
        guard let announced, let applied, announced.seq == applied.seq else { return false }
        return announced != applied
    }

    /// Why the publisher's history no longer contains what this follower applied, or nil when it does.
    public static func wentBack(_ result: ReplayResult, applied: Int64, anchor: EventAnchor?) -> String? {
        if result.head < applied {
            return "publisher head \(result.head) is behind applied seq \(applied): its log was lost or replaced"
        }
        if let anchor, let previous = result.previous, previous != anchor {
            return "the publisher's event at seq \(applied) is \(previous), not the \(anchor) applied: its history was replaced"
        }
        return nil
    }

    private func diverged(_ reason: String, applied: Int64, head: Int64) {
        state.withLock {
            $0.state = .diverged
            $0.lastError = reason
            $0.publisherHead = head
        }
        logger.error(
            "Publisher is behind this follower; its event log was lost or replaced",
            metadata: ["stream.name": "\(stream)", "stream.applied": "\(applied)", "stream.head": "\(head)", "reason": "\(reason)"])
    }

    /// The publisher went back: drops what was derived from its stream and starts again from its
    /// snapshot, or from seq 0 (the replay that follows brings the rest). Returns the new applied seq.
    private func rebuild(_ client: BusClient, because reason: String, head: Int64, applied: Int64) async throws -> Int64 {
        logger.error(
            "Publisher went back; rebuilding this follower from it",
            metadata: ["stream.name": "\(stream)", "stream.applied": "\(applied)", "stream.head": "\(head)", "reason": "\(reason)"])
        try await sink.resetForRebuild()
        state.withLock {
            $0.applied = 0
            $0.publisherHead = head
            $0.rebuilt = "\(WireTimeNow.text()): \(reason)"
        }
        guard sink.acceptsSnapshot else { return 0 }
        let reflected = try await loadSnapshot(client)
        state.withLock { $0.applied = reflected }
        return reflected
    }

    /// Loads the publisher's snapshot. The first chunk comes alone: its `seq` is the position the
    /// snapshot reflects (the later chunks are read after it, so replaying from it misses nothing),
    /// and its echo of `span` says the publisher chunks by range. Then the following chunks are
    /// requested `snapshotInFlight` at a time, each cursor known in advance (credit-based flow as in
    /// the ZeroMQ Guide's file transfer), and applied in order as they come. A publisher that does
    /// not chunk by range is followed one chunk at a time, by its `next`.
    private func loadSnapshot(_ client: BusClient) async throws -> Int64 {
        let span = options.snapshotSpan
        let first = try await snapshotChunk(client, SnapshotRequest(limit: options.snapshotChunk, span: span))
        let seq = first.seq
        sink.expectSnapshot(items: first.total ?? 0)
        try await sink.applyEncodedSnapshotChunk(first.items, first: true)
        var chunks = 1
        if var cursor = first.next.flatMap({ Int64($0) }), first.span == span {
            // Applied in cursor order; requested up to `snapshotInFlight` ahead.
            try await withThrowingTaskGroup(of: (Int64, EncodedSnapshotChunk).self) { group in
                var requested = cursor
                var arrived: [Int64: EncodedSnapshotChunk] = [:]
                var done = false
                func request(_ at: Int64) {
                    group.addTask { [self] in
                        (at, try await snapshotChunk(client, SnapshotRequest(cursor: String(at), span: span)))
                    }
                }
                for _ in 0..<max(1, options.snapshotInFlight) {
                    request(requested)
                    requested += Int64(span)
                }
                while !done, let (at, chunk) = try await group.next() {
                    arrived[at] = chunk
                    while let ready = arrived.removeValue(forKey: cursor) {
                        try await sink.applyEncodedSnapshotChunk(ready.items, first: false)
                        chunks += 1
                        guard ready.next != nil else {
                            done = true
                            break
                        }
                        cursor += Int64(span)
                        request(requested)
                        requested += Int64(span)
                    }
                }
                // Chunks requested past the end hold nothing the replay from `seq` does not bring.
                group.cancelAll()
            }
        } else {
            var cursor = first.next
            while let at = cursor {
                let chunk = try await snapshotChunk(client, SnapshotRequest(cursor: at, limit: options.snapshotChunk))
                try await sink.applyEncodedSnapshotChunk(chunk.items, first: false)
                chunks += 1
                cursor = chunk.next
            }
        }
        try await sink.finishSnapshot(seq: seq)
        logger.info("Snapshot loaded", metadata: ["stream.name": "\(stream)", "stream.seq": "\(seq)", "snapshot.chunks": "\(chunks)"])
        return seq
    }

    /// A snapshot chunk, its items prepared by the sink (`prepareSnapshotItem`) as the reply is read,
    /// in the task that fetched it, so that chunks in flight are read while an earlier one is written.
    private func snapshotChunk(_ client: BusClient, _ request: SnapshotRequest) async throws -> EncodedSnapshotChunk {
        try await client.requestEncoded("snapshot", body: request, timeout: options.requestTimeout) { [sink] cursor in
            try EncodedSnapshotChunk(cursor: &cursor, prepare: sink.prepareSnapshotItem)
        }
    }

    private func heard(head: Int64) {
        heardAt.withLock { $0 = clock.now }
        state.withLock {
            $0.publisherHead = max($0.publisherHead ?? 0, head)
            $0.lastHeard = WireTimeNow.text()
            if $0.state == .silent || $0.state == .connecting { $0.state = .catchingUp }
        }
    }

    private func markSilent() {
        let changed = state.withLock { status -> Bool in
            guard status.state != .silent else { return false }
            status.state = .silent
            return true
        }
        if changed {
            logger.warning(
                "Publisher silent", metadata: ["stream.name": "\(stream)", "bus.pub": "\(options.pubEndpoint)"])
        }
    }

    private func failed(_ step: String, _ error: any Error) {
        let first = state.withLock { status -> Bool in
            // Diverged waits for an operator: a request that fails meanwhile does not hide it.
            guard status.state != .diverged else { return false }
            let wasFailing = status.state == .unreachable
            status.state = .unreachable
            status.lastError = "\(step): \(error)"
            return !wasFailing
        }
        if first {
            logger.warning(
                "Catch-up failed; retrying on the next heartbeat",
                metadata: ["stream.name": "\(stream)", "step": "\(step)", "error": "\(error)"])
        }
    }
}
