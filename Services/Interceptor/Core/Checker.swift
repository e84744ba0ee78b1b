import Bus
import CoreMetrics
import CreditDomain
import Foundation
import GRDB
import MeshMetrics
import MeshProtocol
import Synchronization

/// A business system's question: may this subject do this action here?
public struct CheckRequest: Codable, Sendable {
    /// The subject's identifier. Without it, `name` is matched exactly (normalised), never fuzzily.
    public var subject: String?
    /// The subject's name, for a name-only check when the business system has no identifier.
    public var name: String?
    public var action: String
    /// Who asks (the business system's user), for the log.
    public var requester: String?
    /// The business system's transaction reference, carried into the feedback.
    public var reference: String?

    public init(subject: String?, name: String? = nil, action: String, requester: String? = nil, reference: String? = nil) {
        self.subject = subject
        self.name = name
        self.action = action
        self.requester = requester
        self.reference = reference
    }
}

/// How fresh the replica behind an answer is.
public struct ReplicaState: Codable, Sendable {
    public var seq: Int64
    public var publisherHead: Int64?
    public var activeListings: Int
    public var catalogueVersion: String?
    public var lastHeard: String?
    public var ageSeconds: Double?
    /// True when dispatch has not been heard for longer than `interceptor.staleAfter` seconds.
    public var stale: Bool
    public var state: String
    /// Why the follower is not live (`unreachable`, `diverged`), when it says.
    public var lastError: String? = nil
    /// When the replica was last rebuilt because dispatch went back (restored from a backup), and why.
    public var rebuilt: String? = nil
}

/// The answer to a check: the decision, and for a match the measure, its basis, the listing and its
/// initiator, plus every matched measure and the replica state it was based on.
public struct CheckAnswer: Codable, Sendable {
    public var checkID: String
    public var department: String
    public var subject: String
    public var action: String
    public var decision: Decision
    public var reason: String
    /// How the listings were found: `identifier`, `related-person` or `name` (exact, normalised).
    public var matchedBy: String
    public var measure: String?
    public var basis: String?
    public var listing: String?
    public var initiator: String?
    public var document: String?
    public var matched: [MatchedMeasure]
    public var replica: ReplicaState
    public var at: String
}

/// What a department wants done with a check while its replica is stale (config
/// `interceptor.stalePolicy`): answer from the replica as it is (flagged stale), send every allow
/// and fast-track to manual review, or block everything until the replica is fresh again.
public enum StalePolicy: String, Codable, Sendable {
    case answer, review, block
}

/// Answers checks from the replica, logs each one, and writes feedback for each match into the
/// interceptor's own event log (forwarded to dispatch until acknowledged).
public struct Checker: Sendable {
    public let department: Department
    let writer: any DatabaseWriter
    let index: ReplicaIndex
    let replicaState: @Sendable () -> ReplicaState
    let today: @Sendable () -> String
    let stalePolicy: StalePolicy
    /// Actions the department declares that no measure restricts (`interceptors.<dept>.actions`).
    public let declaredActions: Set<String>
    /// The known actions of the catalogue in force, computed once per catalogue version.
    private let knownActions = KnownActionsCache()
    /// Where each check is logged before it is answered.
    let checkLog: CheckLog
    /// The interceptor's metrics, and in them `credit_checks_total{dept,decision}`: checks answered
    /// and logged since start.
    let metrics: ServiceMetrics
    private let checks: [Decision: Counter]

    init(
        checkLog: CheckLog, writer: any DatabaseWriter, index: ReplicaIndex,
        replicaState: @escaping @Sendable () -> ReplicaState, stalePolicy: StalePolicy = .answer,
        declaredActions: Set<String> = [], metrics: ServiceMetrics? = nil,
        today: @escaping @Sendable () -> String = { FieldDates.isoDate(Date()) }
    ) {
        let department = checkLog.department
        let metrics = metrics ?? ServiceMetrics(service: "interceptor.\(department.rawValue)")
        self.metrics = metrics
        checks = Dictionary(
            uniqueKeysWithValues: Decision.allCases.map {
                ($0, metrics.counter(.checks, [("dept", department.rawValue), ("decision", $0.rawValue)]))
            })
        self.stalePolicy = stalePolicy
        self.declaredActions = declaredActions
        self.department = department
        self.writer = writer
        self.checkLog = checkLog
        self.index = index
        self.replicaState = replicaState
        self.today = today
    }

    /// `caller`: the business system whose API token the HTTP request carried, named in the audit entry.
    public func check(_ request: CheckRequest, caller: String? = nil) async throws(ReplyError) -> CheckAnswer {
        let subject: SubjectID?
        if let text = request.subject {
            do {
                subject = try Identifiers.subjectID(text, field: "subject")
            } catch {
                throw ReplyError(.invalid, "check: \(error)")
            }
        } else {
            subject = nil
            guard let name = request.name.map(FastText.trimmed), !name.isEmpty, name.count <= 200 else {
                throw ReplyError(.invalid, "check: give subject (a credit code or resident ID) or, failing that, name")
            }
        }
        let action = FastText.trimmed(request.action)
        guard !action.isEmpty, action.count <= 100 else {
            throw ReplyError(.invalid, "check: action must be 1–100 characters, such as government-procurement")
        }
        for (field, value) in [("requester", request.requester), ("reference", request.reference)] {
            if let value, value.count > 200 { throw ReplyError(.invalid, "check: \(field) is longer than 200 characters") }
        }
        let replica = replicaState()
        guard let catalogue = index.catalogue else {
            throw ReplyError(.unavailable, "check: the replica has no measure catalogue yet; is sanction-dispatch reachable?")
        }
        try requireKnown(action, catalogue: catalogue)
        // The subject's own listings, and those of organisations it is a related person of; or by name.
        let decided =
            if let subject {
                index.decide(department: department, action: action, today: today(), subject: subject.value)
            } else {
                index.decide(department: department, action: action, today: today(), name: request.name ?? "")
            }
        guard var outcome = decided else {
            throw ReplyError(.unavailable, "check: the replica has no measure catalogue yet; is sanction-dispatch reachable?")
        }
        let subjectKey = subject?.value ?? "name:" + CheckDecider.normalisedName(request.name ?? "")
        if replica.stale {
            let age = replica.ageSeconds.map { "\(Int($0)) s since dispatch was heard" } ?? "dispatch not heard yet"
            switch stalePolicy {
            case .answer:
                break
            case .review where outcome.decision == .allow || outcome.decision == .fastTrack:
                outcome.decision = .review
                outcome.reason = "replica stale (\(age)); department policy sends it to review: \(outcome.reason)"
            case .block where outcome.decision != .block:
                outcome.decision = .block
                outcome.reason = "replica stale (\(age)); department policy blocks until it is fresh: \(outcome.reason)"
            case .review, .block:
                break
            }
        }
        let first = outcome.matched.first
        let at = WireTime.now
        var answer = CheckAnswer(
            checkID: "", department: department.rawValue, subject: subjectKey, action: action, decision: outcome.decision,
            reason: outcome.reason, matchedBy: outcome.matchedBy, measure: first?.measureID, basis: first?.basis, listing: first?.listingID,
            initiator: first?.initiator.rawValue, document: first?.document, matched: outcome.matched, replica: replica, at: at)
        let entry = LoggedCheck(
            at: at, subject: subjectKey, action: action, decision: outcome.decision.rawValue, listings: outcome.matched.map(\.listingID),
            measures: outcome.matched.map(\.measureID), replicaSeq: replica.seq, stale: replica.stale, requester: request.requester,
            reference: request.reference, caller: caller)
        do {
            answer.checkID = try checkLog.append(entry)
        } catch {
            throw ReplyError(.internal, "check: the check could not be logged, so it is not answered: \(error)")
        }
        checks[answer.decision]?.increment()
        return answer
    }

    /// Checks answered since start by decision, read back from `credit_checks_total`.
    func checksSinceStart() -> JSONValue {
        let seen = metrics.values(.checks, by: "decision", matching: ["dept": department.rawValue])
        return .object(Dictionary(uniqueKeysWithValues: Decision.allCases.map { ($0.rawValue, .int(Int64(seen[$0.rawValue] ?? 0))) }))
    }

    /// Refuses an action that neither the catalogue in force nor the department's declaration knows,
    /// so that a misspelt action is an error, not an `allow`.
    func requireKnown(_ action: String, catalogue: MeasureCatalogue) throws(ReplyError) {
        let known = knownActions.value(for: catalogue) {
            KnownActions(department: department, catalogue: catalogue, declared: declaredActions)
        }
        if let refusal = known.refusal(of: action, catalogueVersion: catalogue.version) {
            throw ReplyError(.invalid, "check: \(refusal)")
        }
    }

    /// Many checks in one call (nightly screening): `{"answers": [...]}`, each answered as by `check`
    /// or with its error, written once as the reply's text.
    public func checkBatch(_ requests: [CheckRequest], caller: String? = nil) async throws(ReplyError) -> EncodedJSON {
        guard requests.count <= 1_000 else {
            throw ReplyError(.invalid, "check.batch: \(requests.count) checks in one call; send at most 1000")
        }
        var json = JSONWriter(capacity: 64 + 1_024 * requests.count)
        json.raw("{\"answers\":[")
        for (index, request) in requests.enumerated() {
            if index > 0 { json.raw(",") }
            do throws(ReplyError) {
                json.raw(try await check(request, caller: caller).jsonBytes)
            } catch {
                json.raw("{\"error\":")
                json.value((try? JSONValue(encoding: error)) ?? .null)
                json.raw("}")
            }
        }
        json.raw("]}")
        return EncodedJSON(bytes: json.bytes)
    }

    /// The replica's listing ids after `after`, in order, from its table's primary key.
    func replicaIDs(after: String, limit: Int) async throws -> [String] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM replica_listings WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
        }
    }

    /// Checks logged so far, by decision.
    public func stats() async throws -> JSONValue {
        try await checkLog.flush()
        return try await writer.read { db in
            var counts: [String: JSONValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT decision, COUNT(*) AS n FROM checks GROUP BY decision") {
                counts[row["decision"]] = .int(row["n"])
            }
            return .object(counts)
        }
    }

    /// Notices of listings this department acted on that were revoked (`notice.revoked`), newest first.
    public func notices(limit: Int) async throws -> [JSONValue] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM notices ORDER BY rowid DESC LIMIT ?", arguments: [limit])
                .map { try JSONReader.value(Array($0.utf8)) }
        }
    }

    /// The most recent checks, newest first.
    public func recentChecks(limit: Int) async throws -> [[String: JSONValue]] {
        try await checkLog.flush()
        return try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checks ORDER BY rowid DESC LIMIT ?", arguments: [limit]).map { row in
                var object: [String: JSONValue] = [:]
                for column in row.columnNames {
                    let value = row[column] as DatabaseValue
                    switch value.storage {
                    case .null: object[column] = .null
                    case .int64(let number): object[column] = .int(number)
                    case .double(let number): object[column] = .double(number)
                    case .string(let text): object[column] = .string(text)
                    case .blob: object[column] = .null
                    }
                }
                return object
            }
        }
    }
}

/// The known actions of the last catalogue version seen, so that a check does not gather them again.
final class KnownActionsCache: Sendable {
    private let cached = Mutex<(version: String, actions: KnownActions)?>(nil)

    func value(for catalogue: MeasureCatalogue, make: () -> KnownActions) -> KnownActions {
        if let cached = cached.withLock({ $0 }), cached.version == catalogue.version { return cached.actions }
        let actions = make()
        cached.withLock { $0 = (catalogue.version, actions) }
        return actions
    }
}
