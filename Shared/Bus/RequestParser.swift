import Foundation
import MeshProtocol

/// Turns one request frame into a `Request`, naming precisely what is wrong with a bad one, so a
/// department writing its own client learns from the reply alone.
enum RequestParser {
    struct Failure: Error {
        var requestID: String?
        var error: ReplyError
    }

    static func parse(_ bytes: [UInt8]) -> Result<Request, Failure> {
        let value: JSONValue
        do {
            value = try JSONReader.value(bytes)
        } catch {
            // The reader takes only valid UTF-8 (in strings; anything else outside them is not
            // JSON), so a frame it reads needs no check of its own: a bulk import's frame is
            // megabytes. One it refuses is told apart here.
            guard String(validating: bytes, as: UTF8.self) != nil else {
                return .failure(Failure(error: ReplyError(.badRequest, "request frame is not valid UTF-8")))
            }
            return .failure(Failure(error: ReplyError(.badRequest, "request frame is not valid JSON: \(error)")))
        }
        guard case .object(let object) = value else {
            return .failure(Failure(error: ReplyError(.badRequest, "request must be a JSON object")))
        }
        let id = object["id"]?.stringValue
        func fail(_ code: ReplyError.Code, _ message: String) -> Result<Request, Failure> {
            .failure(Failure(requestID: id, error: ReplyError(code, message)))
        }
        guard let version = object["v"] else { return fail(.badRequest, "field v (protocol version) is missing") }
        guard let number = version.intValue else { return fail(.badRequest, "field v must be an integer") }
        guard number == Int64(meshProtocolVersion) else {
            return fail(.unsupportedVersion, "protocol version \(number) is not supported; this service speaks v\(meshProtocolVersion)")
        }
        guard let id, !id.isEmpty, id.count <= 128 else {
            return fail(.badRequest, "field id must be a non-empty string of at most 128 characters")
        }
        guard let op = object["op"]?.stringValue, !op.isEmpty, op.count <= 64 else {
            return fail(.badRequest, "field op must be a non-empty string of at most 64 characters")
        }
        var department: String?
        if let claimed = object["as"], claimed != .null {
            guard let text = claimed.stringValue else { return fail(.badRequest, "field as must be a string") }
            department = text
        }
        let body = object["body"] ?? .object([:])
        guard case .object = body else { return fail(.badRequest, "field body must be a JSON object") }
        return .success(Request(id: id, op: op, as: department, body: body))
    }
}
