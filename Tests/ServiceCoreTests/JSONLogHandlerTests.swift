import Foundation
import Logging
import MeshProtocol
import ServiceKit
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[[UInt8]]>([])
        func append(_ line: [UInt8]) { lines.withLock { $0.append(line) } }
        var all: [[UInt8]] { lines.withLock { $0 } }
    }

    @Test func writesOneObjectPerLineWithLevelServiceMessageAndMetadata() throws {
        let lines = Lines()
        var handler = JSONLogHandler(label: "sanction-dispatch") { lines.append($0) }
        handler.logLevel = .info
        handler[metadataKey: "stream.name"] = "dispatch"
        let logger = Logger(label: "sanction-dispatch") { _ in handler }
        logger.debug("Not written below the level")
        logger.warning(
            "Listing \"broadcast\"\nwith a line break",
            metadata: ["listing.id": "L-000001", "stream.seq": .stringConvertible(42), "departments": ["finance", "market"]])
        let written = lines.all
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let entry = try JSONReader.value(Array(line.dropLast()))
        #expect(entry["level"] == "warning")
        #expect(entry["service"] == "sanction-dispatch")
        #expect(entry["message"] == "Listing \"broadcast\"\nwith a line break")
        #expect(entry["metadata"]?["listing.id"] == "L-000001")
        #expect(entry["metadata"]?["stream.seq"] == "42")
        #expect(entry["metadata"]?["stream.name"] == "dispatch")
        #expect(entry["metadata"]?["departments"] == .array(["finance", "market"]))
        #expect(entry["time"]?.stringValue.flatMap { WireTime.parse($0) } != nil)
        // Keys in a fixed order, so a line reads the same in a terminal as in a collector.
        let text = String(decoding: line, as: UTF8.self)
        let positions = ["\"time\"", "\"level\"", "\"service\"", "\"message\"", "\"metadata\"", "\"source\""].map {
            text.range(of: $0)?.lowerBound
        }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted())
    }

    /// A text stream a test reads back.
    final class Text: TextOutputStream, Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }

    /// The text handler writes `StreamLogHandler`'s lines, with the metadata set on the logger (as
    /// the HTTP server sets a request's id) rendered when an entry is written.
    @Test func theTextHandlerWritesTheMetadataSetOnItsLogger() {
        let text = Text()
        var handler = TextLogHandler(StreamLogHandler(label: "interceptor.finance", stream: text, metadataProvider: nil))
        handler.logLevel = .info
        var logger = Logger(label: "interceptor.finance") { _ in handler }
        logger[metadataKey: "hb.request.id"] = "7"
        #expect(logger[metadataKey: "hb.request.id"] == "7" && logger.logLevel == .info)
        logger.debug("Not written below the level")
        logger.warning("Check refused", metadata: ["dept": "finance"])
        let line = text.text.withLock { $0 }
        #expect(line.hasSuffix(" Check refused\n"))
        #expect(line.contains("warning interceptor.finance:") && line.contains("hb.request.id=7") && line.contains("dept=finance"))
        #expect(!line.contains("Not written"))
    }

    @Test func anUnknownFormatStopsStartUpNamingTheKey() throws {
        let config = try SuiteConfig(file: nil, environment: ["CREDIT_LOG_FORMAT": "yaml"])
        #expect {
            _ = try ServiceMain.logSettings(config)
        } throws: { "\($0)".contains("log.format") && "\($0)".contains("\"yaml\" is not one of text, json") }
        let json = try SuiteConfig(file: nil, environment: ["CREDIT_LOG_FORMAT": "JSON", "CREDIT_LOG_LEVEL": "debug"])
        let (level, format) = try ServiceMain.logSettings(json)
        #expect(level == .debug && format == .json)
        #expect(try ServiceMain.logSettings(try SuiteConfig(file: nil, environment: [:])).1 == .text)
    }
}
