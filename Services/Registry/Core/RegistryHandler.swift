import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// The source formats `records.import` accepts.
public enum RecordFormat: String, Codable, Sendable, CaseIterable {
    /// The court's dishonest judgment-debtor list (失信被执行人), JSON objects with the court's field names.
    case shixin
    /// Administrative penalties in the national double-publicity (双公示) `CF_*` fields.
    case xzcf

    /// The kind of record every row of this format is.
    public var recordKind: RecordKind {
        switch self {
        case .shixin: .courtDishonestDebtor
        case .xzcf: .penalty
        }
    }
}

/// One row of an import batch: its number as the operator's file shows it, and its fields.
public struct ImportRow: Codable, Sendable {
    public var row: Int
    public var fields: [String: JSONValue]

    public init(row: Int, fields: [String: JSONValue]) {
        self.row = row
        self.fields = fields
    }
}

public struct ImportRequest: Codable, Sendable {
    public var format: RecordFormat
    public var rows: [ImportRow]

    public init(format: RecordFormat, rows: [ImportRow]) {
        self.format = format
        self.rows = rows
    }
}

/// A row the registry would not store, and why.
public struct RefusedRow: Codable, Sendable, Equatable {
    public var row: Int
    public var field: String
    public var value: String?
    public var reason: String

    public init(row: Int, field: String, value: String?, reason: String) {
        self.row = row
        self.field = field
        self.value = value
        self.reason = reason
    }
}

public struct ImportResult: Codable, Sendable {
    public var read: Int
    public var stored: Int
    public var alreadyPresent: Int
    public var refused: [RefusedRow]
    public var recordIDs: [String]

    public init(read: Int = 0, stored: Int = 0, alreadyPresent: Int = 0, refused: [RefusedRow] = [], recordIDs: [String] = []) {
        self.read = read
        self.stored = stored
        self.alreadyPresent = alreadyPresent
        self.refused = refused
        self.recordIDs = recordIDs
    }
}

/// The registry's ops: `records.import` (validate each row, store the good ones, refuse the bad ones
/// with row, field and reason; idempotent by natural key) and `subject.get`.
public struct RegistryHandler: RequestHandler {
    public static let maxRowsPerBatch = 10_000
    let writer: any DatabaseWriter
    let log: EventLog
    let authority: AuthorityRules

    public init(writer: any DatabaseWriter, log: EventLog, authority: AuthorityRules = .standard) {
        self.writer = writer
        self.log = log
        self.authority = authority
    }

    public var unauditedOps: Set<String> { ["subject.get"] }

    public func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        switch op {
        case "records.import":
            let department = try context.requireDepartment(for: op)
            let request = try body.decodeBody(ImportRequest.self, op: op)
            return try JSONValue(encoding: try await importRows(request, from: department))
        case "subject.get":
            struct Query: Decodable { var id: String }
            let query = try body.decodeBody(Query.self, op: op)
            return try await subject(query.id)
        default:
            throw ReplyError(.unknownOp, "registry has no op \(op); it offers records.import, subject.get, ping, status, replay")
        }
    }

    public func importRows(_ request: ImportRequest, from department: String) async throws -> ImportResult {
        guard request.rows.count <= Self.maxRowsPerBatch else {
            throw ReplyError(.invalid, "records.import: \(request.rows.count) rows in one batch; send at most \(Self.maxRowsPerBatch)")
        }
        // A department submits only the record kinds of its authority (authority.<dept>.records);
        // the court list is the courts' to publish (seed 004: 市中级法院 pushes 失信被执行人 to the platform).
        do {
            try authority.mayImport(request.format.recordKind, department: department)
        } catch {
            throw ReplyError(.forbidden, "records.import: \(error.description)")
        }
        var result = ImportResult(read: request.rows.count)
        var valid: [(Int, CreditRecord)] = []
        for row in request.rows {
            do {
                valid.append((row.row, try Self.parse(row, format: request.format)))
            } catch {
                let value: String? = if case .invalid(_, let value, _) = error { value } else { nil }
                result.refused.append(RefusedRow(row: row.row, field: error.field, value: value, reason: error.reason))
            }
        }
        let outcome = try await writer.write { [log, valid] db -> ([String], Int) in
            var ids: [String] = []
            var present = 0
            for (_, record) in valid {
                if let stored = try RegistrySchema.store(record, source: department, in: db, log: log) {
                    ids.append(stored.id)
                } else {
                    present += 1
                }
            }
            return (ids, present)
        }
        result.recordIDs = outcome.0
        result.stored = outcome.0.count
        result.alreadyPresent = outcome.1
        return result
    }

    static func parse(_ row: ImportRow, format: RecordFormat) throws(DomainError) -> CreditRecord {
        switch format {
        case .shixin:
            return try CourtDebtorRow.record(from: row.fields)
        case .xzcf:
            var fields: [String: String] = [:]
            for (key, value) in row.fields {
                if let text = value.textValue { fields[key] = text }
            }
            return try PenaltyRow.record(from: fields)
        }
    }

    func subject(_ rawID: String) async throws -> JSONValue {
        let id = rawID.trimmingCharacters(in: .whitespaces).uppercased()
        let (row, records) = try await writer.read { db in
            (
                try Row.fetchOne(db, sql: "SELECT id, scheme, kind, name FROM subjects WHERE id = ?", arguments: [id]),
                try RegistrySchema.records(of: id, in: db)
            )
        }
        guard let row else { throw ReplyError(.notFound, "subject.get: no records for subject \(id)") }
        return .object([
            "id": .string(row["id"]), "scheme": .string(row["scheme"]), "kind": .string(row["kind"]),
            "name": .string(row["name"]), "records": try JSONValue(encoding: records),
        ])
    }

    public func status() async -> JSONValue {
        let counts = try? await writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subjects") ?? 0)
        }
        return .object(["records": .int(Int64(counts?.0 ?? 0)), "subjects": .int(Int64(counts?.1 ?? 0))])
    }
}
