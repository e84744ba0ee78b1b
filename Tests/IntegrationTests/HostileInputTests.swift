import Bus
import Foundation
import MeshProtocol
import TestSupport
import Testing
import ZeroMQ

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Hostile input: random and mutated messages at every ROUTER, malformed HTTP at the interceptor and
/// the portal. The services stay up, keep answering valid requests during the barrage, and their
/// data is unchanged.
@Suite(.serialized)
struct HostileInputTests {
    /// Deterministic pseudo-random bytes (SplitMix64), so a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    static let seeds: [String] = [
        #"{"v":1,"id":"a","op":"list.initiate","as":"market","body":{"list":"black","subject":"91330500MA2D7E8F2D","basis":"b","document":"d","until":"2030-01-01"}}"#,
        #"{"v":1,"id":"b","op":"records.import","as":"court","body":{"format":"shixin","rows":[{"row":1,"fields":{"iname":"x","cardNum":"91330500MA2D7E8F2D"}}]}}"#,
        #"{"v":1,"id":"c","op":"check","body":{"subject":"91330500MA2D7E8F2D","action":"government-procurement"}}"#,
        #"{"v":1,"id":"d","op":"replay","body":{"from":0,"limit":5}}"#,
        #"{"v":1,"id":"e","op":"feedback.submit","as":"finance","body":{"event":{"stream":"s","seq":1,"id":"x","type":"feedback.block","at":"","data":{}}}}"#,
        #"{"v":1,"id":"f","op":"repair.apply","body":{"listing":"L-000001"}}"#,
        // Valid requests the fuzzer's key has no authority for: refused, whatever the mutation.
        #"{"v":1,"id":"g","op":"list.remove","body":{"listing":"L-000001","reason":"fuzz"}}"#,
        #"{"v":1,"id":"h","op":"list.initiate","body":{"list":"red","subject":"91330500MA2D7E8F2D","basis":"b","document":"d","until":"2030-01-01"}}"#,
        #"{"v":1,"id":"i","op":"repair.approve","body":{"application":"A-000001"}}"#,
    ]

    /// One hostile message: random bytes, a mutated seed, wrong types, absurd values, or wrong frames.
    static func message(_ random: inout Random) -> [[UInt8]] {
        var seed = Array(seeds[random.below(seeds.count)].utf8)
        switch random.below(8) {
        case 0: return [[], random.bytes(random.below(300))]
        case 1:
            for _ in 0..<(1 + random.below(6)) where !seed.isEmpty {
                seed[random.below(seed.count)] = UInt8(truncatingIfNeeded: random.next())
            }
            return [[], seed]
        case 2: return [[], Array(seed.prefix(random.below(seed.count)))]
        case 3:
            let absurd = [#""until":"99999-99-99""#, #""limit":-5"#, #""from":"zero""#, #""rows":7"#, #""v":1e99"#, #""id":[]"#]
            let text = String(decoding: seed, as: UTF8.self).replacingOccurrences(
                of: #""id":"#, with: absurd[random.below(absurd.count)] + #","id":"#)
            return [[], Array(text.utf8)]
        case 4: return (0..<random.below(5)).map { _ in random.bytes(random.below(20)) }
        case 5: return [[], Array(String(repeating: "[", count: 5_000 + random.below(5_000)).utf8)]
        case 6: return [[], Array(#"{"v":1,"id":"x","op":"\#(String(repeating: "o", count: random.below(200)))"}"#.utf8)]
        default: return [random.bytes(3), [], seed]
        }
    }

    @Test func servicesSurviveAHundredThousandHostileMessagesEachAndStillAnswer() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        var processes = [
            try SuiteProcess("registry", layout: layout), try SuiteProcess("sanction-dispatch", layout: layout),
            try SuiteProcess("repair", layout: layout), try SuiteProcess("grading", layout: layout),
            try SuiteProcess("disclosure", layout: layout),
        ]
        processes.append(try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout))
        defer { processes.forEach { $0.stop() } }
        let shixin = BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json").path
        #expect(try await Commands.run("creditctl", ["import", "--as", "court", "--format", "shixin", shixin], layout: layout).status == 0)
        func listings() async throws -> [String] { try await suite.allIDs("dispatch", op: "list.active") }
        #expect(try await eventually { try await listings().count == 2 })
        let before = try await listings()
        // Followers (grading, disclosure) finish applying the import before the barrage starts.
        var headsBefore = try await heads(suite)
        #expect(
            try await eventually(timeout: .seconds(30), every: .seconds(1)) {
                let now = try await heads(suite)
                defer { headsBefore = now }
                return now == headsBefore
            })

        let registryRecords = try await registryCount(suite)
        // The fuzzer holds a registered key with no authority at all: everything it sends is either
        // malformed, a query, or refused — so no business data may change.
        try layout.addParty("fuzzer")
        let sections = ["registry", "dispatch", "repair", "grading", "disclosure", "interceptors.finance"]
        // Each service knows the key once it answers a request sent with it (it reloads its roster
        // at most every 200 ms; until then the handshake is refused).
        for section in sections {
            #expect(
                try await eventually {
                    let client = try suite.client(section, as: "fuzzer")
                    defer { client.close() }
                    return (try? await client.request("ping", timeout: .seconds(2))) != nil
                }, "\(section) never accepted the fuzzer's key")
        }
        let perService = Int(ProcessInfo.processInfo.environment["CREDIT_FUZZ_MESSAGES"] ?? "") ?? 100_000
        for (index, section) in sections.enumerated() {
            let loop = try SocketLoop(name: "fuzz")
            let dealer = try ZMQSocket(type: .dealer)
            try dealer.setHighWaterMarks(send: 0, receive: 0)
            try suite.security(toward: section, as: "fuzzer").apply(to: dealer)
            try dealer.connect(suite.router(section))
            let replies = Locked(0)
            let handle = loop.add(dealer) { _ in replies.withLock { $0 += 1 } }
            loop.start()
            var random = Random(state: UInt64(index + 1) * 0x1234_5678)
            for sent in 0..<perService {
                loop.send(Self.message(&random), on: handle)
                if sent % 5_000 == 0 {
                    // A valid request during the barrage is answered correctly.
                    let client = try suite.client(section)
                    let ping = try await client.request("ping", timeout: .seconds(30))
                    client.close()
                    #expect(ping["service"] != nil, "\(section) stopped answering after \(sent) hostile messages")
                    while sent - replies.value > 20_000 { try await Task.sleep(for: .milliseconds(5)) }
                }
            }
            #expect(try await eventually(timeout: .seconds(60)) { replies.value > perService / 2 }, "\(section) answered \(replies.value)")
            loop.stop()
        }
        for process in processes { #expect(process.isRunning, "\(process.name) died:\n\(process.log.suffix(2_000))") }
        // The data is unchanged: the same listings, no new event in any central stream (an event is
        // every change of state), the same registry records, and every audit chain verifies.
        let after = try await listings()
        #expect(Set(before) == Set(after), "listings changed: \(Set(before).symmetricDifference(after))")
        let headsAfter = try await heads(suite)
        #expect(headsBefore == headsAfter, "a stream changed under fuzzing: \(headsBefore) → \(headsAfter)")
        #expect(try await registryCount(suite) == registryRecords)
        for service in ["registry", "dispatch", "repair", "grading", "disclosure", "interceptor.finance"] {
            let verified = try await Commands.run("creditctl", ["audit", "verify", service], layout: layout)
            #expect(verified.status == 0, "\(service): \(verified.stdout)\(verified.stderr)")
        }

        // Malformed HTTP: the interceptor and the portal keep answering.
        let targets = [layout.http("interceptors.finance.http") + "/v1/checks", layout.http("disclosure.http") + "/api/v1/penalties"]
        var random = Random(state: 99)
        for number in 0..<(Int(ProcessInfo.processInfo.environment["CREDIT_FUZZ_HTTP"] ?? "") ?? 10_000) {
            var request = URLRequest(url: URL(string: targets[number % 2])!)
            request.httpMethod = ["POST", "PUT", "GET", "DELETE"][random.below(4)]
            request.httpBody = random.below(2) == 0 ? Data(random.bytes(random.below(2_000))) : Data(Self.message(&random).last ?? [])
            request.setValue(["application/json", "text/plain", "\u{1}"][random.below(3)], forHTTPHeaderField: "Content-Type")
            _ = try? await URLSession.shared.data(for: request)
        }
        let (answer, status) = try await postRaw(
            layout.http("interceptors.finance.http") + "/v1/checks", #"{"subject":"91330500MA2D7E8F2D","action":"government-procurement"}"#)
        #expect(status == 200 && answer.contains(#""decision":"block""#), "\(answer)")
        #expect(try await getRaw(layout.http("disclosure.http") + "/api/v1/blacklist").1 == 200)
        for process in processes { #expect(process.isRunning, "\(process.name) died") }
    }

    func registryCount(_ suite: SuiteClient) async throws -> Int64 {
        let client = try suite.client("registry")
        defer { client.close() }
        return try await client.request("status")["details"]?["records"]?.intValue ?? -1
    }

    /// The head seq of every central stream.
    func heads(_ suite: SuiteClient) async throws -> [Int64] {
        var result: [Int64] = []
        for section in ["registry", "dispatch", "repair", "grading", "disclosure"] {
            let client = try suite.client(section)
            defer { client.close() }
            result.append(try await client.request("ping")["head"]?.intValue ?? -1)
        }
        return result
    }
}
