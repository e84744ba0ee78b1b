import Foundation
import MeshProtocol
import TestSupport
import Testing

/// `log.format: json` as a log collector reads it from a real service.
@Suite struct LoggingTests {
    @Test func aServiceWritesOneJSONObjectPerLineWhenAsked() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        let registry = try SuiteProcess("registry", layout: layout, environment: ["CREDIT_LOG_FORMAT": "json"])
        defer { registry.stop() }
        #expect(try await eventually { registry.log.contains("Bus server listening") }, "\(registry.log)")
        registry.stop()
        let lines = registry.log.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let entry = try JSONReader.value(Array(line.utf8))
            #expect(entry["service"] == "registry" && entry["level"] != nil && entry["message"] != nil, "\(line)")
        }
        let listening = try #require(lines.first { $0.contains("Bus server listening") })
        #expect(try JSONReader.value(Array(listening.utf8))["metadata"]?["stream.name"] == "registry", "\(listening)")
    }

    @Test func anUnknownLogFormatStopsStartUpNamingTheKey() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        let registry = try SuiteProcess("registry", layout: layout, environment: ["CREDIT_LOG_FORMAT": "xml"])
        defer { registry.stop() }
        #expect(try await eventually { !registry.isRunning }, "registry kept running with log.format xml")
        #expect(registry.log.contains("log.format") && registry.log.contains("\"xml\" is not one of text, json"), "\(registry.log)")
    }
}
