import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshMetrics
import MeshProtocol
import RegistryProtocol
import ServiceLifecycle

/// The registry's ops (docs/PROTOCOL.md, "Registry"):
///
/// - `records.import`: validate each row, store the good ones, refuse the bad ones with row, field
///   and reason; idempotent by natural key; a changed re-submission is a new version.
/// - `relations.register`: a department registers a related person of an organisation.
/// - queries: `subject.get` (the profile), `subject.search`, `relations.of`, `subject.represented`,
///   `record.history`.
public struct RegistryHandler: RequestHandler {
    public static let maxRowsPerBatch = ImportRequest.maxRows
    let writer: any DatabaseWriter
    let log: EventLog
    let authority: AuthorityRules
    let severity: SeverityRules
    let today: @Sendable () -> String
    /// Stores import batches, those that wait together in one transaction (group commit). A
    /// service of its own (`services`): imports wait until it runs.
    let importWriter: ImportWriter
    /// Import rows by outcome, in the registry's metrics.
    let importRows: ImportRowCounts

    public init(
        writer: any DatabaseWriter, log: EventLog, authority: AuthorityRules = .standard, severity: SeverityRules = .standard,
        today: @escaping @Sendable () -> String = { FieldDates.isoDate(Date()) },
        indexPasses: RegistrySchema.IndexPasses = .init(), metrics: ServiceMetrics = ServiceMetrics(service: "registry"),
        clock: ServiceClock = .system, logger: Logger = Logger(label: "registry")
    ) {
        self.writer = writer
        importRows = ImportRowCounts(metrics: metrics)
        self.log = log
        self.authority = authority
        self.severity = severity
        self.today = today
        // What a previous run left for its indexing pass. If it cannot be read, the rows wait for
        // the pass after the next import (queries find them meanwhile).
        var pending = 0
        do {
            pending = try writer.read { db in try RegistrySchema.pendingRows(db) }
        } catch {
            logger.warning(
                "Could not count the rows a previous run left for the indexing pass; they are indexed after the next import",
                metadata: ["error": "\(error)"])
        }
        importWriter = ImportWriter(writer: writer, log: log, pendingAtStart: pending, passes: indexPasses, clock: clock, logger: logger)
        log.expandStored("record.stored", with: RegistrySchema.expandStoredEvent)
    }

    /// What must run beside the bus server for the handler to work: the import writer.
    public var services: [any Service] { [importWriter] }

    public var commands: CommandTable {
        struct IDQuery: Decodable, Sendable { var id: String }
        struct RelationsQuery: Decodable, Sendable { var subject: String }
        struct PersonQuery: Decodable, Sendable { var person: String }
        var commands = CommandTable(service: "registry")
        // The body is read by hand: the bulk form's CSV text is megabytes, not worth a typed copy.
        commands.on("records.import", access: .department, audit: .audited, body: JSONValue.self) { body, caller in
            try await importBody(body, from: caller.department)
        }
        commands.on("relations.register", access: .department, audit: .audited, body: JSONValue.self) { body, caller in
            try await registerRelation(body, from: caller.department)
        }
        for name in ["subject.get", "subject.profile"] {
            commands.on(name, access: .anyone, audit: .query, body: IDQuery.self) { query, _ in try await profile(query.id) }
        }
        commands.on("subject.search", access: .anyone, audit: .query, body: JSONValue.self) { body, _ in try await search(body) }
        commands.on("relations.of", access: .anyone, audit: .query, body: RelationsQuery.self) { query, _ in
            try await relations(of: query.subject)
        }
        commands.on("subject.represented", access: .anyone, audit: .query, body: PersonQuery.self) { query, _ in
            try await represented(by: query.person)
        }
        commands.on("record.history", access: .anyone, audit: .query, body: IDQuery.self) { query, _ in
            try await history(of: query.id)
        }
        struct CountQuery: Decodable, Sendable { var kinds: [String] }
        // How many records each department has delivered, by kind: what the portal compares its own
        // publications with (双公示 records still missing their publication).
        commands.on("records.count", access: .anyone, audit: .query, body: CountQuery.self) { query, _ in
            try await writer.read { db -> [String: [String: Int]] in
                let kinds = query.kinds.prefix(20)
                guard !kinds.isEmpty else { return [:] }
                var counts: [String: [String: Int]] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql:
                        "SELECT source, kind, COUNT(*) AS n FROM records WHERE kind IN (\(kinds.map { _ in "?" }.joined(separator: ","))) GROUP BY source, kind",
                    arguments: StatementArguments(Array(kinds)))
                {
                    counts[row["source"], default: [:]][row["kind"]] = row["n"]
                }
                return counts
            }
        }
        return commands
    }

    // MARK: - Import

    /// Reads a `records.import` body without a typed-decoding round trip for the bulk (`csv`) form.
    public func importBody(_ body: JSONValue, from department: String) async throws -> ImportResult {
        guard let csv = body["csv"] else {
            return try await importRows(try body.decodeBody(ImportRequest.self, op: "records.import"), from: department)
        }
        guard let formatText = body["format"]?.stringValue, let format = RecordFormat(rawValue: formatText) else {
            throw ReplyError(
                .badRequest, "records.import: body.format must be one of \(RecordFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let text = csv.stringValue else { throw ReplyError(.badRequest, "records.import: body.csv must be a string") }
        guard let columns = body["columns"]?.arrayValue?.compactMap(\.stringValue), !columns.isEmpty else {
            throw ReplyError(.badRequest, "records.import: body.columns must be the CSV header, a non-empty array of strings")
        }
        let firstRow = Int(body["firstRow"]?.intValue ?? 2)
        try checkAuthority(format, department: department)
        let (valid, parsed) = try parseCSV(text, columns: columns, firstRow: firstRow, format: format, department: department)
        var result = parsed
        try await store(valid, from: department, into: &result, keepIDs: false)
        return result
    }

    /// The rows of a bulk batch's CSV text: the records of the good ones, and the read count and
    /// refusals so far.
    func parseCSV(
        _ text: String, columns: [String], firstRow: Int, format: RecordFormat, department: String
    ) throws -> ([(Int, CreditRecord)], ImportResult) {
        var result = ImportResult()
        var valid: [(Int, CreditRecord)] = []
        valid.reserveCapacity(4_096)
        var fields: [String: String] = [:]
        // Columns named _… are an operator's notes (creditctl's report adds _row, _field, _reason).
        // Double-publicity codes are upper-cased and trimmed once per batch, not once per row.
        let keys: [String?] = columns.map { column in
            if column.hasPrefix("_") { return nil }
            return format == .xzcf || format == .xzxk ? doublePublicityCode(column) : column
        }
        try CSVText.forEachRow(in: text, firstRow: firstRow, columnCount: columns.count) { row, record in
            guard row - firstRow < Self.maxRowsPerBatch else {
                throw ReplyError(.invalid, "records.import: more than \(Self.maxRowsPerBatch) rows in one batch")
            }
            result.read += 1
            switch record {
            case .refused(let refusal):
                result.refused.append(refusal)
            case .values(let values):
                fields.removeAll(keepingCapacity: true)
                for (key, value) in zip(keys, values) where !value.isEmpty {
                    if let key { fields[key] = value }
                }
                do {
                    valid.append((row, try parse(fields: fields, format: format, department: department)))
                } catch {
                    result.refused.append(Self.refusal(error, row: row))
                }
            }
        }
        return (valid, result)
    }

    public func importRows(_ request: ImportRequest, from department: String) async throws -> ImportResult {
        guard request.rows.count <= Self.maxRowsPerBatch else {
            throw ReplyError(.invalid, "records.import: \(request.rows.count) rows in one batch; send at most \(Self.maxRowsPerBatch)")
        }
        try checkAuthority(request.format, department: department)
        var result = ImportResult(read: request.rows.count)
        var valid: [(Int, CreditRecord)] = []
        for row in request.rows {
            do {
                valid.append((row.row, try parse(row.fields, format: request.format, department: department)))
            } catch {
                result.refused.append(Self.refusal(error, row: row.row))
            }
        }
        try await store(valid, from: department, into: &result, keepIDs: true)
        return result
    }

    /// A department submits only the record kinds of its authority (`authority.<dept>.records`); the court
    /// list is the courts' to publish (Huzhou Judgment-Debtor Opinions 三, 市中级法院: pushes 失信被执行人 to the
    /// platform). A single-kind format outside the authority refuses the whole request (`forbidden`);
    /// native rows are checked one by one (`RowRefusal`).
    func checkAuthority(_ format: RecordFormat, department: String) throws(ReplyError) {
        guard let kind = format.recordKind else { return }
        try authority.enforce("records.import") { try $0.mayImport(kind, department: department) }
    }

    /// Stores the valid rows of a request and counts all its rows (`credit_import_rows_total`).
    private func store(_ valid: [(Int, CreditRecord)], from department: String, into result: inout ImportResult, keepIDs: Bool) async throws
    {
        guard !valid.isEmpty else {
            importRows.count(result)
            return
        }
        // The records' JSON is written here, concurrently with other batches' storing; the single
        // writer then only runs SQL, for this batch and those that wait with it.
        let prepared = valid.map { RegistrySchema.PreparedRecord($0.1) }
        let outcomes = try await importWriter.store(prepared, source: department)
        for outcome in outcomes {
            switch outcome {
            case .stored(let id):
                result.stored += 1
                if keepIDs { result.recordIDs.append(id) }
            case .alreadyPresent:
                result.alreadyPresent += 1
            case .corrected(let id, _):
                result.corrected += 1
                if keepIDs { result.recordIDs.append(id) }
            }
        }
        importRows.count(result)
    }

    /// A row refused by authority rather than by a field's value.
    struct RowRefusal: Error {
        var field: String
        var value: String
        var reason: String
    }

    static func refusal(_ error: any Error, row: Int) -> RefusedRow {
        switch error {
        case let error as DomainError:
            let value: String? = if case .invalid(_, let value, _) = error { value } else { nil }
            return RefusedRow(row: row, field: error.field, value: value, reason: error.reason)
        case let error as RowRefusal:
            return RefusedRow(row: row, field: error.field, value: error.value, reason: error.reason)
        default:
            return RefusedRow(row: row, field: "row", value: nil, reason: "\(error)")
        }
    }

    /// One row as JSON values (the `rows` form).
    func parse(_ fields: [String: JSONValue], format: RecordFormat, department: String) throws -> CreditRecord {
        let fields = fields.contains { $0.key.hasPrefix("_") } ? fields.filter { !$0.key.hasPrefix("_") } : fields
        switch format {
        case .shixin:
            return try CourtDebtorRow.record(from: fields)
        case .native:
            try checkRowKind(try NativeRecordRow.kind(of: fields), department: department)
            return try NativeRecordRow.record(from: fields, rules: severity)
        case .xzcf, .xzxk:
            var text: [String: String] = [:]
            for (key, value) in fields {
                if let value = value.textValue { text[key] = value }
            }
            return try parse(fields: text, format: format, department: department)
        }
    }

    /// One row as text (CSV).
    func parse(fields: [String: String], format: RecordFormat, department: String) throws -> CreditRecord {
        switch format {
        case .xzcf: return try PenaltyRow.record(from: fields, rules: severity)
        case .xzxk: return try LicenceRow.record(from: fields)
        case .shixin, .native: return try parse(fields.mapValues { JSONValue.string($0) }, format: format, department: department)
        }
    }

    private func checkRowKind(_ kind: RecordKind, department: String) throws {
        do {
            try authority.mayImport(kind, department: department)
        } catch {
            throw RowRefusal(field: "kind", value: kind.rawValue, reason: error.description)
        }
    }

    public func status() async -> JSONValue {
        let failures = importWriter.indexPassFailures
        let counts = try? await writer.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subjects") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record_versions") ?? 0,
                try RegistrySchema.pendingRows(db)
            )
        }
        return .object([
            "records": .int(Int64(counts?.0 ?? 0)), "subjects": .int(Int64(counts?.1 ?? 0)),
            "supersededVersions": .int(Int64(counts?.2 ?? 0)),
            // Since start: import batches, and the write transactions they took (group commit).
            "importBatches": .int(Int64(importWriter.batchCount)), "importTransactions": .int(Int64(importWriter.transactionCount)),
            // Since start: rows by outcome (credit_import_rows_total).
            "importRows": importRows.status(),
            // Subjects and related persons stored by imports and not yet in the name and person-id
            // indexes (queries read them beside the indexes), and the passes that indexed them.
            "pendingIndexRows": .int(Int64(counts?.3 ?? 0)), "indexPasses": .int(Int64(importWriter.indexPassCount)),
            "indexPassFailures": .int(Int64(failures.count)), "lastIndexPassError": failures.lastError.map { .string($0) } ?? .null,
        ])
    }
}
