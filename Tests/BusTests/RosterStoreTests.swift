import Bus
import Foundation
import Logging
import ServiceKit
import TestSupport
import Testing
import ZeroMQ

/// The roster as services see it: a change to the file takes effect once the reload interval has
/// passed on the store's clock, and not before.
@Suite struct RosterStoreTests {
    @Test func aChangedRosterTakesEffectAfterTheReloadIntervalAndNotBefore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("roster.yaml").path
        let finance = try CurveKeyPair.generate()
        let education = try CurveKeyPair.generate()
        var roster = Roster()
        try roster.register("finance", role: .department, key: finance.publicKey, at: "2026-01-01T00:00:00Z")
        try roster.save(path: path)
        let clock = TestClock()
        var logger = Logger(label: "roster")
        logger.logLevel = .critical
        let store = try RosterStore(path: path, reloadInterval: .milliseconds(200), clock: clock.service, logger: logger)
        #expect(store.peer(forKey: finance.publicKey)?.name == "finance")

        try roster.register("education", role: .department, key: education.publicKey, at: "2026-01-02T00:00:00Z")
        try roster.save(path: path)
        #expect(store.peer(forKey: education.publicKey) == nil, "the file changed, but the interval has not passed")
        clock.advance(by: .milliseconds(199))
        #expect(store.peer(forKey: education.publicKey) == nil, "199 ms of 200")
        clock.advance(by: .milliseconds(1))
        #expect(store.peer(forKey: education.publicKey)?.name == "education")

        try roster.revoke("finance", reason: "test", at: "2026-01-03T00:00:00Z")
        try roster.save(path: path)
        clock.advance(by: .milliseconds(199))
        #expect(store.peer(forKey: finance.publicKey)?.name == "finance" && store.revocations == 0, "199 ms after the last look")
        clock.advance(by: .milliseconds(1))
        #expect(store.peer(forKey: finance.publicKey) == nil && store.revocations == 1)
    }
}
