import Bus
import Foundation
import MeshProtocol
import TestSupport
import Testing

/// `creditctl backup` and `creditctl restore` on a running suite, and what the followers do when a
/// publisher comes back from a backup: they converge on it, and nothing diverges silently.
@Suite(.serialized)
struct BackupRestoreTests {
    static func ctl(_ arguments: String..., layout: TestSuiteLayout) async throws -> CommandResult {
        try await Commands.run("creditctl", arguments, layout: layout)
    }

    /// The listing ids disclosure publishes on its black list.
    static func published(_ layout: TestSuiteLayout) async throws -> [String] {
        let (body, _) = try await getRaw(layout.http("disclosure.http") + "/api/v1/blacklist?limit=500")
        let pattern = /"listingID":"(L-[0-9]+)"/
        return body.matches(of: pattern).map { String($0.output.1) }.sorted()
    }

    static func manifest(_ directory: URL) throws -> JSONValue {
        try JSONReader.value(Array(try Data(contentsOf: directory.appendingPathComponent("manifest.json"))))
    }

    static func head(_ manifest: JSONValue, _ name: String) -> Int64? {
        manifest["databases"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["head"]?.intValue
    }

    @Test func restoredDispatchMakesItsFollowersRebuildAndTheSuiteConverges() async throws {
        let layout = try TestSuiteLayout(departments: ["finance", "commerce"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        var dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        let finance = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        let commerce = try SuiteProcess("interceptor", ["--dept", "commerce"], name: "interceptor-commerce", layout: layout)
        let disclosure = try SuiteProcess("disclosure", layout: layout)
        let repair = try SuiteProcess("repair", layout: layout)
        defer { for process in [dispatch, finance, commerce, disclosure, repair] { process.stop() } }
        func logs() -> String { [dispatch, finance, commerce, disclosure].map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined() }

        let before = try await DeliveryTests.initiate(0..<6, suite: suite, concurrency: 2)
        try await DeliveryTests.expectReplicasConverge(["finance", "commerce"], suite: suite)

        let backup = layout.directory.appendingPathComponent("backup-1")
        let taken = try await Self.ctl("backup", "--to", backup.path, layout: layout)
        #expect(taken.status == 0, "\(taken.stderr)")
        let manifest = try Self.manifest(backup)
        let backedUpHead = try #require(Self.head(manifest, "dispatch"))
        #expect(Self.head(manifest, "interceptor-finance") != nil)
        for name in ["dispatch", "interceptor-finance", "interceptor-commerce", "disclosure", "repair"] {
            #expect(FileManager.default.fileExists(atPath: backup.appendingPathComponent("\(name).sqlite").path), "\(name) backed up")
        }
        // A backup never overwrites: the same directory again is refused, naming it.
        let again = try await Self.ctl("backup", "--to", backup.path, layout: layout)
        #expect(again.status != 0 && again.stderr.contains("is not empty"), "\(again.stderr)")

        // After the backup: more listings, one removal. Every follower takes them in.
        let after = try await DeliveryTests.initiate(6..<10, suite: suite, concurrency: 2)
        try await DeliveryTests.remove([before[0]!], suite: suite)
        try await DeliveryTests.expectReplicasConverge(["finance", "commerce"], suite: suite)
        let activeBeforeRestore = try await suite.allIDs("dispatch", op: "list.active")
        #expect(activeBeforeRestore.count == 9)
        #expect(
            try await eventually { try await Self.published(layout) == activeBeforeRestore.sorted() },
            "disclosure publishes what dispatch holds\n\(logs())")

        // A running service is never restored under itself.
        let refused = try await Self.ctl("restore", "--from", backup.path, "dispatch", layout: layout)
        #expect(refused.status != 0 && refused.stderr.contains("sanction-dispatch is running"), "\(refused.stderr)")

        dispatch.stop()
        let restored = try await Self.ctl("restore", "--from", backup.path, "dispatch", layout: layout)
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("dispatch: restored from"), "\(restored.stdout)")
        let dataDirectory = layout.directory.appendingPathComponent("data")
        let kept = try FileManager.default.contentsOfDirectory(atPath: dataDirectory.path).filter {
            $0.hasPrefix("dispatch.sqlite.replaced-")
        }
        #expect(!kept.isEmpty, "the replaced database is kept")
        dispatch = try SuiteProcess("sanction-dispatch", name: "sanction-dispatch-restored", layout: layout)

        // The restored dispatch is the truth: the listings made after the backup are gone from it, the
        // removed one is back. Interceptors, disclosure and repair rebuild from it.
        let activeAfterRestore = try await suite.allIDs("dispatch", op: "list.active")
        #expect(activeAfterRestore == before.values.sorted(), "dispatch is back at the backup")
        try await DeliveryTests.expectReplicasConverge(["finance", "commerce"], suite: suite)
        #expect(finance.log.contains("Publisher went back; rebuilding this follower from it"), "\(finance.log.suffix(4_000))")
        #expect(
            try await eventually { try await Self.published(layout) == activeAfterRestore.sorted() },
            "disclosure rebuilt its listings\n\(logs())")
        #expect(disclosure.log.contains("Publisher went back; rebuilding this follower from it"))
        #expect(repair.log.contains("Publisher went back; rebuilding this follower from it"))

        // New listings after the restore reuse seqs the followers had seen for other events; they
        // arrive as the new history, not as duplicates.
        #expect(backedUpHead > 0)
        let later = try await DeliveryTests.initiate(20..<24, suite: suite, concurrency: 1)
        #expect(later.count == 4)
        try await DeliveryTests.expectReplicasConverge(["finance", "commerce"], suite: suite)
        let finalActive = try await suite.allIDs("dispatch", op: "list.active")
        #expect(finalActive.count == 10)
        #expect(try await eventually { try await Self.published(layout) == finalActive.sorted() }, "\(logs())")
        // What the followers report: the rebuild, with its reason, and no follower left diverged.
        let health = try await suite.client("interceptors.finance").request("status", timeout: .seconds(5))
        #expect(health["details"]?["replica"]?["state"]?.stringValue == "live", "\(health)")
        _ = after
    }

    @Test func interceptorRestoredFromAnOldBackupCatchesUpAndIssuesNewCheckIDs() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        var interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        defer { for process in [dispatch, interceptor] { process.stop() } }

        let before = try await DeliveryTests.initiate(0..<4, suite: suite, concurrency: 1)
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: suite)
        func check(_ number: Int) async throws -> JSONValue {
            let client = try suite.client("interceptors.finance")
            defer { client.close() }
            let body: JSONValue = .object(["subject": .string(GeneratedSubjects.uscc(number)), "action": "government-procurement"])
            return try await suite.request(client, "check", body: body).get()
        }
        let firstCheck = try await check(1)
        #expect(firstCheck["decision"]?.stringValue == "block", "\(firstCheck)")

        let backup = layout.directory.appendingPathComponent("backup-old")
        let taken = try await Self.ctl("backup", "--to", backup.path, "--only", "interceptor-finance", layout: layout)
        #expect(taken.status == 0, "\(taken.stderr)")
        let unknown = try await Self.ctl("backup", "--to", backup.path + "-x", "--only", "interceptor-nowhere", layout: layout)
        #expect(unknown.status != 0 && unknown.stderr.contains("no database interceptor-nowhere"), "\(unknown.stderr)")

        let after = try await DeliveryTests.initiate(4..<8, suite: suite, concurrency: 1)
        try await DeliveryTests.remove([before[0]!], suite: suite)
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: suite)

        interceptor.stop()
        // An altered copy is refused before anything is replaced.
        let tampered = layout.directory.appendingPathComponent("backup-tampered")
        try FileManager.default.copyItem(at: backup, to: tampered)
        let copy = try FileHandle(forWritingTo: tampered.appendingPathComponent("interceptor-finance.sqlite"))
        try copy.seekToEnd()
        try copy.write(contentsOf: Data([0]))
        try copy.close()
        let altered = try await Self.ctl("restore", "--from", tampered.path, "interceptor-finance", layout: layout)
        #expect(altered.status != 0 && altered.stderr.contains("does not match its manifest"), "\(altered.stderr)")
        let dataFiles = try FileManager.default.contentsOfDirectory(atPath: layout.directory.appendingPathComponent("data").path)
        #expect(!dataFiles.contains { $0.contains(".replaced-") }, "nothing replaced: \(dataFiles)")
        let restored = try await Self.ctl("restore", "--from", backup.path, "interceptor-finance", layout: layout)
        #expect(restored.status == 0, "\(restored.stderr)")
        // Something not in the set is refused, naming what the set has.
        let missing = try await Self.ctl("restore", "--from", backup.path, "dispatch", layout: layout)
        #expect(missing.status != 0 && missing.stderr.contains("has no dispatch"), "\(missing.stderr)")
        interceptor = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance-restored", layout: layout)

        // It catches up from its old checkpoint: the listing removed since is lifted, the new ones are held.
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: suite)
        #expect(try await check(0)["decision"]?.stringValue == "allow")
        #expect(try await check(5)["decision"]?.stringValue == "block")
        #expect(after.count == 4)
        // Its check numbers start again from the backup, under a new instance id: no check id twice.
        let secondCheck = try await check(1)
        let firstID = try #require(firstCheck["checkID"]?.stringValue)
        let secondID = try #require(secondCheck["checkID"]?.stringValue)
        #expect(firstID != secondID)
        #expect(firstID.split(separator: "-")[1] != secondID.split(separator: "-")[1], "\(firstID) \(secondID)")
    }
}
