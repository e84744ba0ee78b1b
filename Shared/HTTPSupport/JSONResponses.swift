import Foundation
import Hummingbird
import MeshProtocol

/// JSON in and out of Hummingbird routes with the suite's error shape:
/// `{"error": {"code": "...", "message": "..."}}` and a status that matches the code.
public enum JSONResponses {
    public static func ok(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        do {
            return bytes(try WireCoding.encode(value), status: status, contentType: "application/json")
        } catch {
            return failure(ReplyError(.internal, "response could not be encoded"))
        }
    }

    public static func failure(_ error: ReplyError) -> Response {
        let status: HTTPResponse.Status =
            switch error.code {
            case .badRequest, .invalid, .unsupportedVersion: .badRequest
            case .notFound, .unknownOp: .notFound
            case .unauthenticated: .unauthorized
            case .forbidden: .forbidden
            case .conflict: .conflict
            case .unavailable: .serviceUnavailable
            case .internal: .internalServerError
            }
        let body = (try? WireCoding.encode(["error": error])) ?? Array(#"{"error":{"code":"internal"}}"#.utf8)
        return bytes(body, status: status, contentType: "application/json")
    }

    public static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        bytes(Array(text.utf8), status: status, contentType: "text/html; charset=utf-8")
    }

    /// A body of another type (a PDF, an image) as it is.
    public static func file(_ bytes: [UInt8], contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Self.bytes(bytes, status: status, contentType: contentType)
    }

    static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Reads a JSON request body of at most `limit` bytes into `T`, with errors naming the field.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws(ReplyError) -> T {
        let bytes = try await body(of: request, limit: limit)
        do {
            return try WireCoding.decoder.decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty { throw notJSON(bytes) }
            throw ReplyError(.badRequest, error.fieldDescription)
        } catch {
            throw notJSON(bytes)
        }
    }
}

extension JSONResponses {
    /// A request's body: refused, naming why, when it is missing, empty or larger than `limit`. Its
    /// UTF-8 is checked by the JSON reader that reads it (`notJSON` names which it is when that fails).
    public static func body(of request: Request, limit: Int = 1 << 20) async throws(ReplyError) -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw ReplyError(.badRequest, "request body is missing or larger than \(limit) bytes")
        }
        let bytes = buffer.withUnsafeReadableBytes { [UInt8]($0) }
        guard !bytes.isEmpty else { throw ReplyError(.badRequest, "request body is empty; send a JSON object") }
        return bytes
    }

    /// The refusal of a body that could not be read as JSON: not UTF-8, or else not JSON.
    public static func notJSON(_ body: [UInt8]) -> ReplyError {
        body.withUnsafeBufferPointer({ String(validUTF8: $0) }) == nil
            ? ReplyError(.badRequest, "request body is not valid UTF-8") : ReplyError(.badRequest, "request body is not valid JSON")
    }

    /// A response whose body is JSON already written (`JSONText`, `JSONWriter`).
    public static func ok(json: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        bytes(json, status: status, contentType: "application/json")
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { Data($0) }
    }
}
