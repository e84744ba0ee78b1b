import Foundation
import Logging
import MeshProtocol

/// One JSON object per line for log collectors (`log.format: json`):
/// `{"time", "level", "service", "message", "metadata": {…}, "source"}`, keys in that order,
/// metadata flattened to strings, lists and objects as swift-log gives them.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    /// A handler writing to `write` (standard error by default), one line per entry.
    public init(label: String, write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public static let standardError: @Sendable ([UInt8]) -> Void = { line in
        line.withUnsafeBufferPointer { buffer in
            // One write(2) per line, so lines of concurrent loggers do not interleave; a short write
            // or an interrupted one goes on with the rest (a pipe may take part of a long line).
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // standard error is gone: nothing else to tell
                }
            }
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        write(
            Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged, source: event.source))
    }

    /// The bytes of one entry, ending in a newline.
    static func line(
        time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.raw("{\"time\":")
        json.string(WireTime.format(time))
        json.raw(",\"level\":")
        json.string(level.rawValue)
        json.raw(",\"service\":")
        json.string(label)
        json.raw(",\"message\":")
        json.string(message)
        json.raw(",\"metadata\":")
        json.value(.object(metadata.mapValues(Self.value)))
        json.raw(",\"source\":")
        json.string(source)
        json.raw("}\n")
        return json.bytes
    }

    static func value(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(Self.value))
        case .dictionary(let entries): .object(entries.mapValues(Self.value))
        }
    }
}
