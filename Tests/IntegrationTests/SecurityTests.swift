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
        let beats = Locked(0)
        let otherBeats = Locked(0)
        let loop = try SocketLoop(name: "revoked-sub")
        for (party, counter) in [("market", beats), ("court", otherBeats)] {
            let sub = try ZMQSocket(type: .sub)
            try suite.security(toward: "dispatch", as: party).apply(to: sub)
            try sub.subscribe("")
            try sub.connect("tcp://127.0.0.1:\(layout.ports["dispatch.pub"]!)")
            loop.add(sub) { _ in counter.withLock { $0 += 1 } }
        }
        loop.start()
        defer { loop.stop() }
        #expect(try await eventually { beats.value >= 2 }, "the subscriber heard nothing before the revocation")
        let revoked = try await Commands.run("creditctl", ["keys", "revoke", "--dept", "market", "--reason", "test"], layout: layout)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        var afterRevocation = ""
        #expect(try await eventually(timeout: .seconds(10)) {
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
        // The PUB socket dropped its subscribers; the revoked one cannot come back.
        try await Task.sleep(for: .seconds(3))
        let (heard, otherHeard) = (beats.value, otherBeats.value)
        try await Task.sleep(for: .seconds(3))
        #expect(beats.value == heard, "a revoked subscriber still receives: \(heard) → \(beats.value)")
        #expect(otherBeats.value > otherHeard, "a subscriber with a valid key did not reconnect after the rebind")
        #expect(dispatch.log.contains("subscriber connections dropped"), "\(dispatch.log.suffix(1_000))")
        #expect(dispatch.isRunning && registry.isRunning)
    }

    @Test func keyLifecycleThroughCreditctl() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let directory = layout.directory.appendingPathComponent("ndrc-host").path
        let generated = try await Commands.run("creditctl", ["keys", "generate", "--dept", "education", "--dir", directory, "--replace"], layout: layout)
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
        for _ in 0..<20 where after.status != 0 {
            try await Task.sleep(for: .milliseconds(200))
            after = try await Commands.run("creditctl", ["listings", "--key", secret, "--subject", "X"], layout: layout)
        }
        #expect(after.status == 0, "\(after.stderr)")
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
        #expect(try await eventually {
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
