import Foundation

extension JSONValue {
    /// Decodes a request body, turning decoding failures into a `bad-request` that names the field.
    public func decodeBody<T: Decodable>(_ type: T.Type, op: String) throws(ReplyError) -> T {
        do {
            return try decode(T.self)
        } catch let error as DecodingError {
            throw ReplyError(.badRequest, "\(op): \(error.fieldDescription)")
        } catch {
            throw ReplyError(.badRequest, "\(op): \(error)")
        }
    }
}

extension DecodingError {
    /// A one-line description naming the field path, for error replies.
    public var fieldDescription: String {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let parts = (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            let joined = parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return joined.isEmpty ? "body" : "body.\(joined)"
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath, key)) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null (expected \(type))"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}

/// The body of a batch op (`feedback.batch`, `ack.batch`): `{"events": [...]}`, each event left a JSON
/// value to be judged alone. Read by hand, without the `Codable` round trip of the whole batch.
public struct EventsBody: Decodable, Sendable, JSONValueReadable {
    public var events: [JSONValue]

    public init(json: JSONValue) throws(WireShapeError) {
        guard case .object(let members) = json else { throw WireShapeError("body must be a JSON object") }
        switch members["events"] {
        case .array(let events)?: self.events = events
        case nil: throw WireShapeError("body.events is missing")
        case .null?: throw WireShapeError("body.events is null (expected an array of events)")
        default: throw WireShapeError("body.events has the wrong type (expected an array of events)")
        }
    }
}
