import Bus
import Foundation
import MeshProtocol
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Nothing lost, nothing doubled: catch-up, restarts, kills and PUB drops, across real processes.
@Suite(.serialized)
struct DeliveryTests {
    static func initiateBody(_ number: Int) -> JSONValue {
        .object([
            "list": "black", "subject": .string(GeneratedSubjects.uscc(number)), "basis": "《测试条例》第一条",
            "document": .string("测〔2026〕\(number)号"), "until": "2030-12-31",
        ])
    }

    /// Initiates listings `range` (as market) with `concurrency` requests in flight, retrying through
    /// restarts; a conflict means an earlier attempt committed. Returns the listing ids.
    static func initiate(_ range: Range<Int>, suite: SuiteClient, concurrency: Int = 16) async throws -> [Int: String] {
        let ids = Locked<[Int: String]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    let client = try suite.client("dispatch", as: "market")
                    defer { client.close() }
                    for number in stride(from: range.lowerBound + lane, to: range.upperBound, by: concurrency) {
                        switch try await suite.request(client, "list.initiate", as: "market", body: initiateBody(number)) {
                        case .success(let listing):
                            ids.withLock { $0[number] = listing["id"]?.stringValue }
                        case .failure(let error) where error.code == .conflict:
                            let existing = error.message.split(separator: " ").last.map(String.init)
                            ids.withLock { $0[number] = existing }
                        case .failure(let error):
                            Issue.record("initiate \(number): \(error)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return ids.withLock { $0 }
    }

    static func remove(_ listings: [String], suite: SuiteClient) async throws {
        let client = try suite.client("dispatch", as: "market")
        defer { client.close() }
        for id in listings {
            let result = try await suite.request(
                client, "list.remove", as: "market", body: .object(["listing": .string(id), "reason": "test removal"]))
            if case .failure(let error) = result, error.code != .conflict { Issue.record("remove \(id): \(error)") }
        }
    }

    /// Waits until each interceptor's replica holds exactly dispatch's active set; reports the difference.
    static func expectReplicasConverge(_ departments: [String], suite: SuiteClient, timeout: Duration = .seconds(120)) async throws {
        var active: [String] = []
        var differences: [String: String] = [:]
        let converged = try await eventually(timeout: timeout, every: .milliseconds(500)) {
            active = try await suite.allIDs("dispatch", op: "list.active")
            differences = [:]
            for department in departments {
                let replica = (try? await suite.allIDs("interceptors.\(department)", op: "replica.ids")) ?? []
                if replica != active {
                    let missing = Set(active).subtracting(replica).count
                    let extra = Set(replica).subtracting(active).count
                    differences[department] = "\(replica.count) held, \(missing) missing, \(extra) not active in dispatch"
                }
            }
            return differences.isEmpty
        }
        #expect(converged, "dispatch has \(active.count) active listings; replicas diverged: \(differences)")
    }

    @Test func interceptorStartedAfterTenThousandListingsHoldsExactlyTheActiveSet() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let ids = try await Self.initiate(0..<10_000, suite: suite, concurrency: 32)
        #expect(ids.count == 10_000)
        try await Self.remove(stride(from: 0, to: 10_000, by: 10).compactMap { ids[$0] }, suite: suite)
        let interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        defer { interceptor.stop() }
        try await Self.expectReplicasConverge(["finance"], suite: suite)
        #expect(interceptor.log.contains("Snapshot loaded"), "a fresh interceptor starts from a snapshot")
        #expect(try await suite.allIDs("dispatch", op: "list.active").count == 9_000)
    }

    @Test func killingInterceptorDispatchAndRegistryMidStreamLosesAndDoublesNothing() async throws {
        let layout = try TestSuiteLayout(departments: ["finance", "commerce"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let processes = Locked<[String: SuiteProcess]>([:])
        @Sendable func start(_ name: String) throws {
            let process: SuiteProcess
            switch name {
            case "interceptor-finance": process = try SuiteProcess("interceptor", ["--dept", "finance"], name: name, layout: layout)
            case "interceptor-commerce": process = try SuiteProcess("interceptor", ["--dept", "commerce"], name: name, layout: layout)
            default: process = try SuiteProcess(name, layout: layout)
            }
            processes.withLock { $0[name] = process }
        }
        for name in ["registry", "sanction-dispatch", "interceptor-finance", "interceptor-commerce"] { try start(name) }
        defer { for process in processes.value.values { process.stop() } }

        let total = 10_000
        let created = Locked(0)
        let done = Locked(false)
        let answeredBlocks = Locked<Int64>(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The stream: listings in chunks, every fifth removed again.
            group.addTask {
                defer { done.withLock { $0 = true } }
                for chunk in stride(from: 0, to: total, by: 1_000) {
                    let ids = try await Self.initiate(chunk..<(chunk + 1_000), suite: suite)
                    created.withLock { $0 = chunk + 1_000 }
                    try await Self.remove(stride(from: chunk, to: chunk + 1_000, by: 5).compactMap { ids[$0] }, suite: suite)
                }
            }
            // Business traffic: checks at both departments, blocks become feedback.
            for (department, action) in [("finance", "government-procurement"), ("commerce", "hotel-booking-4star")] {
                group.addTask {
                    let client = try suite.client("interceptors.\(department)")
                    defer { client.close() }
                    var number = 1
                    while !done.value {
                        let upTo = created.withLock { $0 }
                        if upTo > 0 {
                            let subject = GeneratedSubjects.uscc((number * 7_919) % upTo)
                            let answer = try await suite.request(
                                client, "check", body: .object(["subject": .string(subject), "action": .string(action)]))
                            if case .success(let answer) = answer, answer["decision"] == "block" { answeredBlocks.withLock { $0 += 1 } }
                            number += 1
                        }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
            }
            // Kills, in turn, while the stream runs.
            group.addTask {
                for (threshold, name) in [
                    (2_000, "interceptor-finance"), (4_500, "sanction-dispatch"), (7_000, "registry"), (8_500, "interceptor-commerce"),
                ] {
                    while created.withLock({ $0 }) < threshold { try await Task.sleep(for: .milliseconds(50)) }
                    let victim = processes.withLock { $0[name] }
                    victim?.stop(signal: SIGKILL)
                    try await Task.sleep(for: .milliseconds(500))
                    try start(name)
                }
            }
            try await group.waitForAll()
        }
        try await Self.expectReplicasConverge(["finance", "commerce"], suite: suite)
        #expect(try await suite.allIDs("dispatch", op: "list.active").count == total - total / 5)

        // Every block an interceptor logged is counted by dispatch exactly once.
        var logged: Int64 = 0
        var counted: Int64 = -1
        let balanced = try await eventually(timeout: .seconds(60), every: .milliseconds(500)) {
            logged = 0
            for department in ["finance", "commerce"] {
                let client = try suite.client("interceptors.\(department)")
                defer { client.close() }
                logged += try await client.request("checks.stats")["block"]?.intValue ?? 0
            }
            let dispatch = try suite.client("dispatch")
            defer { dispatch.close() }
            counted = try await dispatch.request("feedback.stats")["total"]?.intValue ?? -1
            return logged == counted && logged > 0
        }
        #expect(balanced, "interceptors logged \(logged) blocks, dispatch counted \(counted)")
        // A check is answered only once logged, so no answered block is lost to a kill (a check
        // killed between its log entry and its answer is logged without an answer).
        #expect(logged >= answeredBlocks.value, "\(answeredBlocks.value) blocks answered, \(logged) logged")
    }

    @Test func interceptorConvergesWhenDispatchPubDropsAtATinyHighWaterMark() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: ["CREDIT_DISPATCH_PUB_HIGH_WATER_MARK": "1"])
        defer { dispatch.stop() }
        let interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        defer { interceptor.stop() }
        _ = try await Self.initiate(0..<10, suite: suite)
        try await Self.expectReplicasConverge(["finance"], suite: suite)
        _ = try await Self.initiate(10..<5_000, suite: suite, concurrency: 64)
        try await Self.expectReplicasConverge(["finance"], suite: suite)
    }

    @Test func restartedPublisherResumesItsSequenceAndAFollowerWithoutItsDatabaseRebuildsFromSnapshot() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        var dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        var interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        defer { interceptor.stop() }
        _ = try await Self.initiate(0..<200, suite: suite)
        func head() async throws -> Int64 {
            let client = try suite.client("dispatch")
            defer { client.close() }
            guard case .success(let ping) = try await suite.request(client, "ping") else { return -1 }
            return ping["head"]?.intValue ?? -1
        }
        let before = try await head()
        #expect(before == 201, "catalogue + 200 listings")
        dispatch.stop()
        dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        #expect(try await head() == before, "a restarted publisher keeps its log")
        _ = try await Self.initiate(200..<201, suite: suite)
        #expect(try await head() == before + 1, "and continues its sequence")
        try await Self.expectReplicasConverge(["finance"], suite: suite)

        interceptor.stop()
        let data = layout.directory.appendingPathComponent("data")
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(at: data.appendingPathComponent("interceptor-finance.sqlite\(suffix)"))
        }
        _ = try await Self.initiate(201..<250, suite: suite)
        interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance-2", layout: layout)
        try await Self.expectReplicasConverge(["finance"], suite: suite)
        #expect(interceptor.log.contains("Snapshot loaded"))
        // Its reported position is the snapshot's seq, not 0, although no event followed the snapshot.
        let health = try suite.client("interceptors.finance")
        defer { health.close() }
        let finalHead = try await head()
        #expect(try await eventually { try await health.request("health")["replica"]?["seq"]?.intValue == finalHead })
    }
}

extension DeliveryTests {
    @Test func tailFromASeqReplaysThenFollowsLiveWithNoGapOrDuplicateAtTheSeam() async throws {
        let layout = try TestSuiteLayout(departments: [])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        _ = try await Self.initiate(0..<50, suite: suite)
        let tail = Process()
        tail.executableURL = BuiltProducts.directory().appendingPathComponent("creditctl")
        tail.arguments = ["tail", "dispatch", "--from", "1", "--json"]
        tail.environment = layout.environment
        let output = layout.directory.appendingPathComponent("tail.out")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        tail.standardOutput = try FileHandle(forWritingTo: output)
        try tail.run()
        defer { tail.terminate() }
        // Live events arrive while the history is still being replayed.
        _ = try await Self.initiate(50..<100, suite: suite, concurrency: 4)
        func seqs() -> [Int64] {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? WireCoding.decode(Event.self, from: Array($0.utf8)).seq }
        }
        #expect(try await eventually { seqs().count >= 101 }, "tail printed \(seqs().count) events")
        // One more listing, made once the 101 are printed: when tail prints it, anything it would
        // print twice from before it has been printed too.
        _ = try await Self.initiate(100..<101, suite: suite, concurrency: 1)
        #expect(try await eventually { seqs().contains(102) }, "tail printed \(seqs().suffix(5))")
        #expect(seqs() == Array(1...102), "catalogue and 101 listings, each once, in order")
    }
}
