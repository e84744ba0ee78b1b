/// The protocol version every request and reply carries in `v`.
public let meshProtocolVersion = 1

/// A command or query sent to a service's ROUTER socket as one JSON frame (after an empty
/// delimiter frame when the client is a REQ socket).
public struct Request: Codable, Sendable {
    public var v: Int
    /// Chosen by the client; echoed in the reply so replies can be matched on a DEALER.
    public var id: String
    public var op: String
    /// The department the request is made for. Over CURVE the authenticated key decides instead.
    public var `as`: String?
    public var body: JSONValue

    public init(id: String, op: String, as department: String? = nil, body: JSONValue = .object([:])) {
        self.v = meshProtocolVersion
        self.id = id
        self.op = op
        self.as = department
        self.body = body
    }

    /// The request frame: the text `WireCoding.encode` writes (keys sorted, absent `as` left out),
    /// written by `JSONWriter` instead of Foundation's encoder — a bulk import's requests carry
    /// megabytes of CSV text, and escaping them was a quarter of creditctl's time.
    public var frame: [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.raw("{")
        if let department = self.as {
            json.raw("\"as\":")
            json.string(department)
            json.raw(",")
        }
        json.raw("\"body\":")
        json.value(body)
        json.raw(",\"id\":")
        json.string(id)
        json.raw(",\"op\":")
        json.string(op)
        json.raw(",\"v\":")
        json.number(Int64(v))
        json.raw("}")
        return json.bytes
    }
}

/// The answer to a request: `ok` with a `result`, or an `error`.
public struct Reply: Codable, Sendable {
    public var v: Int
    public var id: String
    public var ok: Bool
    public var result: JSONValue?
    public var error: ReplyError?

    public init(id: String, result: JSONValue) {
        self.v = meshProtocolVersion
        self.id = id
        self.ok = true
        self.result = result
        self.error = nil
    }

    public init(id: String, error: ReplyError) {
        self.v = meshProtocolVersion
        self.id = id
        self.ok = false
        self.result = nil
        self.error = error
    }
}

/// A refusal or failure, with a stable machine-readable code and a message for people.
public struct ReplyError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public enum Code: String, Codable, Sendable {
        /// The message is not a well-formed request (frames, UTF-8, JSON, fields).
        case badRequest = "bad-request"
        case unsupportedVersion = "unsupported-version"
        case unknownOp = "unknown-op"
        /// Well-formed but refused by a rule of the domain (bad identifier, unknown list …).
        case invalid
        case notFound = "not-found"
        /// No credential, or one that is not (or no longer) valid: an interceptor's HTTP check API
        /// behind API tokens (HTTP 401).
        case unauthenticated
        case forbidden
        case conflict
        case unavailable
        case `internal`

        /// Whether sending the same request again may succeed (the service was busy or failing),
        /// as opposed to a refusal that will repeat.
        public var isRetryable: Bool { self == .unavailable || self == .internal }
    }
}
