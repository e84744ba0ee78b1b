import Bus
import Foundation
import MeshProtocol
import ServiceKit
import TestSupport
import Testing
import ZeroMQ

/// Departments are who their keys say they are: CURVE with the roster on real processes.
@Suite(.serialized)
struct SecurityTests {
    static func initiateBody(list: String = "black", subject: String = GeneratedSubjects.uscc(77)) -> JSONValue {
        .object([
            "list": .string(list), "subject": .string(subject), "basis": "test", "document": "doc 1",
            "until": "2031-01-01",
        ])
    }

    static func refusal(_ operation: () async throws -> JSONValue) async -> String {
        do {
            let result = try await operation()
            return "accepted: \(result)"
        } catch {
            return "\(error)"
        }
    }

    @Test func keysDecideWhoMayConnectAndWhoIsAsking() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let registry = try SuiteProcess("registry", layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { [registry, dispatch].forEach { $0.stop() } }
        let shixin = BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json").path
        let imported = try await Commands.run("creditctl", ["import", "--as", "court", "--format", "shixin", shixin], layout: layout)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try await eventually { try await suite.allIDs("dispatch", op: "list.active").count == 2 })
        let courtListing = try #require(try await suite.allIDs("dispatch", op: "list.active").first)

        // A key the roster does not hold cannot even connect; the service logs the refusal.
        let stranger = try BusClient(
            endpoint: suite.router("dispatch"),
            security: .curveClient(serverKey: try layout.keys(of: "dispatch").publicKey, keys: try layout.unregisteredKey("stranger")))
        defer { stranger.close() }
        let strangerAnswer = await Self.refusal { try await stranger.request("ping", timeout: .seconds(5)) }
        #expect(strangerAnswer.contains("refused this key"), "\(strangerAnswer)")
        #expect(try await eventually { dispatch.log.contains("Refused a connection") }, "\(dispatch.log.suffix(1_000))")

        // Neither can a plain client: the service speaks only CURVE.
        let plain = try BusClient(endpoint: suite.router("dispatch"))
        defer { plain.close() }
        let plainAnswer = await Self.refusal { try await plain.request("ping", timeout: .seconds(3)) }
        #expect(!plainAnswer.hasPrefix("accepted"), "\(plainAnswer)")

        // The department is the key: market's key cannot act as court.
        let market = try suite.client("dispatch", as: "market")
        defer { market.close() }
        let forged = await Self.refusal { try await market.request("list.initiate", as: "court", body: Self.initiateBody()) }
        #expect(forged.contains("forbidden") && forged.contains("does not match the authenticated key"), "\(forged)")

        // Authority: the court may initiate only black listings; market may not lift the court's.
        let court = try suite.client("dispatch", as: "court")
        defer { court.close() }
        let red = await Self.refusal { try await court.request("list.initiate", body: Self.initiateBody(list: "red")) }
        #expect(red.contains("authority.court.lists"), "\(red)")
        let lift = await Self.refusal {
            try await market.request("list.remove", body: .object(["listing": .string(courtListing), "reason": "not mine"]))
        }
        #expect(lift.contains("authority.market.approves"), "\(lift)")
        // The registry refuses records outside a department's authority the same way.
        let records = try await Commands.run("creditctl", ["import", "--as", "market", "--format", "shixin", shixin], layout: layout)
        #expect(records.status != 0 && records.stderr.contains("authority.market.records"), "\(records.stderr)")

        // What market may do, it does, under its own name.
        let listing = try await market.request("list.initiate", body: Self.initiateBody())
        #expect(listing["initiator"]?.stringValue == "market")
        #expect(try await suite.allIDs("dispatch", op: "list.active").contains(courtListing))

        // Revocation takes effect without a restart: the open connection is refused on its next
        // request, new connections fail the handshake, and a subscriber is cut off.
        let marketHeard = Heard()
        let courtHeard = Heard()
        let loop = try SocketLoop(name: "revoked-sub")
        for (party, heard) in [("market", marketHeard), ("court", courtHeard)] {
            let sub = try ZMQSocket(type: .sub)
            try suite.security(toward: "dispatch", as: party).apply(to: sub)
            try sub.subscribe("")
            let monitor = try sub.monitorHandshakeFailures()
            try sub.connect("tcp://127.0.0.1:\(layout.ports["dispatch.pub"]!)")
            loop.add(sub) { heard.note($0) }
            loop.add(monitor) { heard.noteHandshakeFailure($0) }
        }
        loop.start()
        defer { loop.stop() }
        #expect(try await eventually { marketHeard.beats.count >= 2 }, "the subscriber heard nothing before the revocation")
        let revoked = try await Commands.run("creditctl", ["keys", "revoke", "--dept", "market", "--reason", "test"], layout: layout)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        var afterRevocation = ""
        #expect(
            try await eventually(timeout: .seconds(10)) {
                afterRevocation = await Self.refusal { try await market.request("list.query", body: .object(["subject": "X"])) }
                return afterRevocation.contains("revoked")
            }, "\(afterRevocation)")
        let fresh = try suite.client("dispatch", as: "operator")
        defer { fresh.close() }
        _ = try await fresh.request("ping")  // other keys still work
        let again = try BusClient(endpoint: suite.router("dispatch"), security: try suite.security(toward: "dispatch", as: "court"))
        defer { again.close() }
        _ = try await again.request("ping")
        let marketAgain = try BusClient(
            endpoint: suite.router("dispatch"),
            security: .curveClient(serverKey: try layout.keys(of: "dispatch").publicKey, keys: try layout.keys(of: "market")))
        defer { marketAgain.close() }
        let reconnect = await Self.refusal { try await marketAgain.request("ping", timeout: .seconds(5)) }
        #expect(reconnect.contains("refused this key"), "\(reconnect)")
        // The PUB socket dropped its subscribers; the revoked one cannot come back. What was sent
        // after the rebind is told by the head it carries: a listing made once the rebind is logged
        // raises the head, and every heartbeat announcing that head or a later one left afterwards.
        #expect(try await eventually { dispatch.log.contains("subscriber connections dropped") }, "\(dispatch.log.suffix(1_000))")
        _ = try await court.request("list.initiate", body: Self.initiateBody(subject: GeneratedSubjects.uscc(78)))
        let marker = try #require(try await fresh.request("ping")["head"]?.intValue)
        #expect(
            try await eventually { courtHeard.beats.filter { $0 >= marker }.count >= 2 },
            "a subscriber with a valid key did not reconnect after the rebind: \(courtHeard.beats.suffix(5))")
        #expect(try await eventually { marketHeard.refusals >= 1 }, "the revoked subscriber's reconnection was not refused")
        #expect(
            marketHeard.beats.filter { $0 >= marker }.isEmpty && marketHeard.events.filter { $0 >= marker }.isEmpty,
            "a revoked subscriber still receives: beats \(marketHeard.beats.suffix(5)), events \(marketHeard.events.suffix(5)), marker \(marker)"
        )
        #expect(dispatch.isRunning && registry.isRunning)
    }

    @Test func keyLifecycleThroughCreditctl() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let directory = layout.directory.appendingPathComponent("ndrc-host").path
        let generated = try await Commands.run(
            "creditctl", ["keys", "generate", "--dept", "education", "--dir", directory, "--replace"], layout: layout)
        #expect(generated.status == 0, "\(generated.stderr)")
        let secret = directory + "/education.key"
        let mode = try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        // Not yet registered: the new key is refused; registered, it works at once.
        let before = try await Commands.run("creditctl", ["listings", "--key", secret, "--subject", "X"], layout: layout)
        #expect(before.status != 0, "\(before.stdout)")
        let registered = try await Commands.run("creditctl", ["keys", "register", directory + "/education.pub"], layout: layout)
        #expect(registered.status == 0, "\(registered.stderr)")
        var after = try await Commands.run("creditctl", ["listings", "--key", secret, "--subject", "X"], layout: layout)
        #expect(
            try await eventually(timeout: .seconds(10), every: .milliseconds(200)) {
                after = try await Commands.run("creditctl", ["listings", "--key", secret, "--subject", "X"], layout: layout)
                return after.status == 0
            }, "\(after.stderr)")
        // A secret key others can read is refused before it is used.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secret)
        let loose = try await Commands.run("creditctl", ["listings", "--key", secret, "--subject", "X"], layout: layout)
        #expect(loose.status != 0 && loose.stderr.contains("chmod 600"), "\(loose.stderr)")
        let listed = try await Commands.run("creditctl", ["keys", "list"], layout: layout)
        #expect(listed.stdout.contains("education") && listed.stdout.contains("revoked: education"), "\(listed.stdout)")
    }

    @Test func insecureModeIsExplicitAndLoud() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let dispatch = try SuiteProcess("sanction-dispatch", ["--insecure"], layout: layout)
        defer { dispatch.stop() }
        var status = try await Commands.run("creditctl", ["status", "--insecure", "--json"], layout: layout)
        #expect(
            try await eventually {
                status = try await Commands.run("creditctl", ["status", "--insecure", "--json"], layout: layout)
                return status.stdout.contains(#""security":"insecure""#)
            }, "\(status.stdout)")
        #expect(dispatch.log.contains("INSECURE MODE"), "\(dispatch.log.prefix(2_000))")
        let plain = try BusClient(endpoint: SuiteClient(layout: layout).router("dispatch"))
        defer { plain.close() }
        // Without keys the claimed department is believed — which is why the mode is explicit.
        let listing = try await plain.request("list.initiate", as: "market", body: Self.initiateBody())
        #expect(listing["initiator"]?.stringValue == "market")
    }
}

/// What one subscriber received: the head each heartbeat announced and each event's seq, in order,
/// and how many of its handshakes the server refused.
final class Heard: Sendable {
    private let state = Locked<(beats: [Int64], events: [Int64], refusals: Int)>(([], [], 0))

    var beats: [Int64] { state.value.beats }
    var events: [Int64] { state.value.events }
    var refusals: Int { state.value.refusals }

    func note(_ message: ZMQMessage) {
        guard message.frames.count == 2 else { return }
        if message.frames[0] == Array(Heartbeat.topic.utf8) {
            guard let beat = try? WireCoding.decode(Heartbeat.self, from: message.frames[1]) else { return }
            state.withLock { $0.beats.append(beat.head) }
        } else if let event = try? Event(payload: message.frames[1]) {
            state.withLock { $0.events.append(event.seq) }
        }
    }

    func noteHandshakeFailure(_ event: ZMQMessage) {
        guard let frame = event.frames.first, frame.count >= 2 else { return }
        // 0x4000 is ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (zmq.h): the server's ZAP handler refused the key.
        if Int32(frame[0]) | Int32(frame[1]) << 8 == 0x4000 { state.withLock { $0.refusals += 1 } }
    }
}
