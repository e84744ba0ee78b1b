import Bus
import Foundation
import Logging
import MeshProtocol
import ServiceKit
import Synchronization
import ZeroMQ

/// Requests to the processes of a `TestSuiteLayout`, with the retries a test driving a suite through
/// kills and restarts needs.
public struct SuiteClient: Sendable {
    public let layout: TestSuiteLayout

    public init(layout: TestSuiteLayout) {
        self.layout = layout
    }

    /// The ROUTER endpoint of a service (`dispatch`) or interceptor (`interceptors.finance`).
    public func router(_ section: String) -> String { "tcp://127.0.0.1:\(layout.ports["\(section).router"]!)" }

    /// A client of a service (`dispatch`) or interceptor (`interceptors.finance`), authenticated with
    /// the key of `party` (default: the operator).
    public func client(_ section: String, as party: String = "operator") throws -> BusClient {
        try BusClient(endpoint: router(section), security: try security(toward: section, as: party))
    }

    /// The CURVE client options toward a section's server with `party`'s key.
    public func security(toward section: String, as party: String = "operator") throws -> SocketSecurity {
        let topology = try layout.topology()
        let endpoints =
            section.hasPrefix("interceptors.")
            ? try topology.interceptorEndpoints(of: String(section.dropFirst("interceptors.".count)))
            : try topology.endpoints(ofStream: section)
        var logger = Logger(label: "test-client")
        logger.logLevel = .error
        return try topology.security(as: party, insecure: false, logger: logger).client(toward: endpoints)
    }

    /// Sends until an answer comes (ok or a refusal), retrying transport failures until `deadline`.
    public func request(
        _ client: BusClient, _ op: String, as department: String? = nil, body: JSONValue = .object([:]),
        deadline: Duration = .seconds(60)
    ) async throws -> Result<JSONValue, ReplyError> {
        let end = ContinuousClock.now + deadline
        while true {
            do {
                return .success(try await client.request(op, as: department, body: body, timeout: .seconds(3)))
            } catch BusClientError.refused(let error) where !error.code.isRetryable {
                return .failure(error)
            } catch {
                if ContinuousClock.now > end { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Every id of a paged `ids`/`next` op (`list.active`, `replica.ids`).
    public func allIDs(_ section: String, op: String) async throws -> [String] {
        let client = try client(section)
        defer { client.close() }
        var ids: [String] = []
        var after: JSONValue = .null
        repeat {
            let page = try await client.request(op, body: .object(["after": after, "limit": .int(10_000)]), timeout: .seconds(10))
            ids += page["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            after = page["next"] ?? .null
        } while after != .null
        return ids
    }
}

/// Valid, distinct unified social credit codes for generated subjects: positions 9–16 count in base 31,
/// position 17 is their organisation code's check character (GB 11714-1997), position 18 the code's
/// own (GB 32100-2015).
public enum GeneratedSubjects {
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    static let organisationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    public static func uscc(_ number: Int) -> String {
        var digits: [Character] = []
        var value = number
        for _ in 0..<8 {
            digits.append(alphabet[value % 31])
            value /= 31
        }
        let organisation = Array(digits.reversed())
        // The organisation code values letters from A = 10 to Z = 35.
        let organisationSum = zip(organisation, organisationCodeWeights).reduce(0) { sum, pair in
            let ascii = Int(pair.0.asciiValue!)
            return sum + (ascii <= 0x39 ? ascii - 0x30 : ascii - 55) * pair.1
        }
        let check = 11 - organisationSum % 11
        let body = Array("91330100") + organisation + [check == 10 ? "X" : check == 11 ? "0" : Character(String(check))]
        let sum = zip(body, weights).reduce(0) { $0 + alphabet.firstIndex(of: $1.0)! * $1.1 }
        return String(body) + String(alphabet[(31 - sum % 31) % 31])
    }
}

/// A value shared between test tasks.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R { try mutex.withLock { try body(&$0) } }
    public var value: Value { mutex.withLock { $0 } }
}
