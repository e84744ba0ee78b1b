import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

extension RegistryHandler {
    // MARK: - Profile

    /// A subject's whole archive: identity, aliases, records with their versions, related persons,
    /// whom the subject (a person) represents, and the listings the registry knows of — the court's
    /// dishonest-debtor records still in force (sanction-dispatch holds the listings themselves).
    /// The id may be an alias (工商注册号, 组织机构代码 …).
    func profile(_ rawID: String) async throws -> JSONValue {
        let wanted = Identifiers.normalised(rawID).replacingOccurrences(of: "-", with: "")
        let today = today()
        return try await writer.read { db -> JSONValue in
            var id = wanted
            var matchedAlias: JSONValue = .null
            var subject = try Row.fetchOne(db, sql: "SELECT id, scheme, kind, name, updated_at FROM subjects WHERE id = ?", arguments: [id])
            if subject == nil,
                let alias = try Row.fetchOne(
                    db, sql: "SELECT scheme, value, subject_id FROM subject_aliases WHERE value = ? ORDER BY subject_id LIMIT 1",
                    arguments: [wanted])
            {
                id = alias["subject_id"]
                matchedAlias = .object(["scheme": .string(alias["scheme"]), "value": .string(alias["value"])])
                subject = try Row.fetchOne(db, sql: "SELECT id, scheme, kind, name, updated_at FROM subjects WHERE id = ?", arguments: [id])
            }
            guard let subject else { throw ReplyError(.notFound, "subject.get: no records for subject \(wanted)") }

            var versions: [String: [JSONValue]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT v.record_id, v.version, v.source, v.stored_at, v.changed, v.data FROM record_versions v
                    JOIN records r ON r.id = v.record_id WHERE r.subject_id = ? ORDER BY v.record_id, v.version
                    """, arguments: [id])
            {
                versions[row["record_id"], default: []].append(try Self.version(row))
            }
            var withdrawn: [String: JSONValue] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT w.record_id, w.objection, w.decided_by, w.reason, w.withdrawn_at FROM withdrawals w
                    JOIN records r ON r.id = w.record_id WHERE r.subject_id = ?
                    """, arguments: [id])
            {
                withdrawn[row["record_id"]] = .object([
                    "objection": .string(row["objection"]), "decidedBy": .string(row["decided_by"]), "reason": .string(row["reason"]),
                    "at": .string(row["withdrawn_at"]),
                ])
            }
            var repaired: [String: JSONValue] = [:]
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT p.record_id, p.application, p.decided_by, p.note, p.repaired_at FROM repairs p
                    JOIN records r ON r.id = p.record_id WHERE r.subject_id = ?
                    """, arguments: [id])
            {
                var object: [String: JSONValue] = [
                    "application": .string(row["application"]), "decidedBy": .string(row["decided_by"]), "at": .string(row["repaired_at"]),
                ]
                if let note = row["note"] as String? { object["note"] = .string(note) }
                repaired[row["record_id"]] = .object(object)
            }
            var disputed: [String: JSONValue] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT d.record_id, d.objection, d.since FROM disputes d JOIN records r ON r.id = d.record_id WHERE r.subject_id = ?",
                arguments: [id])
            {
                disputed[row["record_id"]] = .object(["objection": .string(row["objection"]), "since": .string(row["since"])])
            }
            var records: [JSONValue] = []
            var known: [JSONValue] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT id, source, stored_at, data, version, updated_at, changed FROM records WHERE subject_id = ? ORDER BY id",
                arguments: [id])
            {
                let stored = try RegistrySchema.storedRecord(row)
                guard case .object(var object) = try JSONValue(encoding: stored) else { continue }
                if let changed = row["changed"] as String? { object["changed"] = try Self.json(changed) }
                object["previousVersions"] = .array(versions[stored.id] ?? [])
                if let withdrawal = withdrawn[stored.id] { object["withdrawn"] = withdrawal }
                if let repair = repaired[stored.id] { object["repaired"] = repair }
                if let dispute = disputed[stored.id] { object["disputed"] = dispute }
                records.append(.object(object))
                let record = stored.record
                if record.kind == .courtDishonestDebtor, (record.validUntil ?? "9999-12-31") >= today, withdrawn[stored.id] == nil {
                    known.append(
                        .object([
                            "list": "black", "recordID": .string(stored.id), "document": .string(record.documentNumber),
                            "authority": .string(record.authority), "since": .string(record.decisionDate),
                            "basis": .string("court dishonest judgment-debtor list (失信被执行人名单)"),
                        ]))
                }
            }
            let aliases = try Row.fetchAll(
                db, sql: "SELECT scheme, value, source FROM subject_aliases WHERE subject_id = ? ORDER BY scheme, value", arguments: [id]
            ).map { row -> JSONValue in
                .object(["scheme": .string(row["scheme"]), "value": .string(row["value"]), "source": .string(row["source"])])
            }
            return .object([
                "id": .string(subject["id"]), "scheme": .string(subject["scheme"]), "kind": .string(subject["kind"]),
                "name": .string(subject["name"]), "updatedAt": .string(subject["updated_at"]), "matchedAlias": matchedAlias,
                "aliases": .array(aliases), "records": .array(records),
                "relatedPersons": .array(try Self.relatedPersons(of: id, in: db)),
                "represents": .array(try Self.represented(byID: id, in: db)),
                "knownListings": .array(known),
            ])
        }
    }

    // MARK: - Search

    /// Subjects by name prefix or identifier prefix (`by`: `name`, `id`, or by the query's shape:
    /// ASCII letters and digits search identifiers), a page of `limit` (1…500, default 50) after the
    /// cursor `after` of the previous page; `next` is null on the last page.
    func search(_ body: JSONValue) async throws -> JSONValue {
        struct Query: Decodable {
            var q: String
            var by: String?
            var after: String?
            var limit: Int?
        }
        let query = try body.decodeBody(Query.self, op: "subject.search")
        let text = query.q.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ReplyError(.invalid, "subject.search: q must not be empty") }
        let limit = min(max(query.limit ?? 50, 1), 500)
        let byID: Bool
        switch query.by {
        case "id": byID = true
        case "name": byID = false
        case nil: byID = text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        case let other?: throw ReplyError(.invalid, "subject.search: by must be name or id, got \(other)")
        }
        return try await writer.read { db -> JSONValue in
            let rows: [Row]
            let columns = "id, name, kind, scheme, (SELECT COUNT(*) FROM records r WHERE r.subject_id = subjects.id) AS records"
            if byID {
                let prefix = text.uppercased()
                rows = try Row.fetchAll(
                    db,
                    sql: "SELECT \(columns) FROM subjects WHERE id >= ? AND id < ? || char(1114111) AND id > ? ORDER BY id LIMIT ?",
                    arguments: [prefix, prefix, query.after ?? "", limit + 1])
            } else {
                let cursor = (query.after ?? "").split(separator: "\u{1}", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let (afterName, afterID) = cursor.count == 2 ? (cursor[0], cursor[1]) : ("", "")
                // The indexed subjects and those an import left pending (RegistrySchema.indexPending),
                // each the first page of its own, merged.
                let page = "name >= ?1 AND name < ?1 || char(1114111) AND (name > ?2 OR (name = ?2 AND id > ?3)) ORDER BY name, id LIMIT ?4"
                rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM (SELECT \(columns) FROM subjects WHERE pending IS NULL AND \(page))
                        UNION ALL SELECT * FROM (SELECT \(columns) FROM subjects WHERE \(RegistrySchema.pendingAfterPass("subjects")) AND \(page))
                        ORDER BY name, id LIMIT ?4
                        """,
                    arguments: [text, afterName, afterID, limit + 1])
            }
            let page = rows.prefix(limit)
            var next: JSONValue = .null
            if rows.count > limit, let last = page.last {
                next = .string(byID ? last["id"] : (last["name"] as String) + "\u{1}" + (last["id"] as String))
            }
            var subjects = page.map { row -> JSONValue in
                .object([
                    "id": .string(row["id"]), "name": .string(row["name"]), "kind": .string(row["kind"]),
                    "scheme": .string(row["scheme"]), "records": .int(row["records"]),
                ])
            }
            // An identifier search also finds subjects by an exact legacy code, on the first page.
            if byID, query.after == nil {
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.id, s.name, s.kind, s.scheme, a.scheme AS alias_scheme, a.value FROM subject_aliases a
                        JOIN subjects s ON s.id = a.subject_id WHERE a.value = ? ORDER BY s.id LIMIT 20
                        """, arguments: [text.uppercased().replacingOccurrences(of: "-", with: "")])
                {
                    subjects.append(
                        .object([
                            "id": .string(row["id"]), "name": .string(row["name"]), "kind": .string(row["kind"]),
                            "scheme": .string(row["scheme"]),
                            "matchedAlias": .object(["scheme": .string(row["alias_scheme"]), "value": .string(row["value"])]),
                        ]))
                }
            }
            return .object(["by": .string(byID ? "id" : "name"), "subjects": .array(subjects), "next": next])
        }
    }

    // MARK: - Related persons

    /// An organisation's related persons, one entry per person and role, with the period known and
    /// where it was learnt (records and registrations).
    func relations(of rawID: String) async throws -> JSONValue {
        let id = Identifiers.normalised(rawID)
        return try await writer.read { db -> JSONValue in
            let name = try String.fetchOne(db, sql: "SELECT name FROM subjects WHERE id = ?", arguments: [id])
            let persons = try Self.relatedPersons(of: id, in: db)
            guard name != nil || !persons.isEmpty else { throw ReplyError(.notFound, "relations.of: registry knows no subject \(id)") }
            return .object(["subject": .string(id), "name": name.map { .string($0) } ?? .null, "relatedPersons": .array(persons)])
        }
    }

    /// The organisations a person holds a role in, by the person's identifier or, failing that, name.
    func represented(by person: String) async throws -> JSONValue {
        let text = person.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ReplyError(.invalid, "subject.represented: person must not be empty") }
        return try await writer.read { db -> JSONValue in
            let byID = try Self.represented(byID: Identifiers.normalised(text), in: db)
            if !byID.isEmpty { return .object(["person": .string(text), "by": "id", "represents": .array(byID)]) }
            let byName = try Self.represented(byName: text, in: db)
            return .object(["person": .string(text), "by": "name", "represents": .array(byName)])
        }
    }

    static let relatedPersonColumns = """
        role, name, MAX(person_id) AS person_id, MIN(since) AS since,
        CASE WHEN COUNT(*) = COUNT(until) THEN MAX(until) END AS until,
        GROUP_CONCAT(DISTINCT source) AS sources, SUM(record_id NOT LIKE 'REG:%') AS records,
        SUM(record_id LIKE 'REG:%') AS registrations
        """

    static func relatedPersons(of subjectID: String, in db: Database) throws -> [JSONValue] {
        try Row.fetchAll(
            db,
            sql: "SELECT \(relatedPersonColumns) FROM related_persons WHERE subject_id = ? GROUP BY role, name ORDER BY role, name",
            arguments: [subjectID]
        ).map { relation($0, subject: nil) }
    }

    static func represented(byID personID: String, in db: Database) throws -> [JSONValue] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT subject_id, (SELECT name FROM subjects WHERE id = subject_id) AS subject_name, \(relatedPersonColumns)
                FROM \(pendingOrIndexed("person_id")) GROUP BY subject_id, role, name ORDER BY subject_id, role
                """, arguments: [personID]
        ).map { relation($0, subject: $0["subject_id"]) }
    }

    static func represented(byName name: String, in db: Database) throws -> [JSONValue] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT subject_id, (SELECT name FROM subjects WHERE id = subject_id) AS subject_name, \(relatedPersonColumns)
                FROM \(pendingOrIndexed("name")) GROUP BY subject_id, role, name ORDER BY subject_id, role LIMIT 500
                """, arguments: [name]
        ).map { relation($0, subject: $0["subject_id"]) }
    }

    /// The related persons whose `column` equals the argument `?1`: those in the column's index and
    /// those an import left pending (RegistrySchema.indexPending).
    private static func pendingOrIndexed(_ column: String) -> String {
        """
        (SELECT * FROM related_persons WHERE pending IS NULL AND \(column) = ?1
        UNION ALL SELECT * FROM related_persons WHERE \(RegistrySchema.pendingAfterPass("related_persons")) AND \(column) = ?1)
        """
    }

    private static func relation(_ row: Row, subject: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "role": .string(row["role"]), "name": .string(row["name"]),
            "sources": .array(((row["sources"] as String?) ?? "").split(separator: ",").map { .string(String($0)) }),
            "records": .int(row["records"] ?? 0), "registrations": .int(row["registrations"] ?? 0),
        ]
        if let id = row["person_id"] as String? { object["personID"] = .string(id) }
        if let since = row["since"] as String? { object["from"] = .string(since) }
        if let until = row["until"] as String? { object["until"] = .string(until) }
        if let subject {
            object["subjectID"] = .string(subject)
            if let name = row["subject_name"] as String? { object["subjectName"] = .string(name) }
        }
        return .object(object)
    }

    /// `relations.register`: `{subject, subjectName?, role, name, personID?, certificateType?, from?,
    /// until?}`. Registering the same person and role again updates the period. Announced as
    /// `relations.registered`.
    func registerRelation(_ body: JSONValue, from department: String) async throws -> JSONValue {
        guard authority.grants[Department(rawValue: department)] != nil else {
            throw ReplyError(.forbidden, "relations.register: \(department) has no authority entry in \(authority.source)")
        }
        guard let object = body.objectValue else { throw ReplyError(.badRequest, "relations.register: body must be an object") }
        let subject: SubjectID
        let person: RelatedPerson
        do {
            guard let rawSubject = CourtDebtorRow.text("subject", in: object) else { throw DomainError.missing(field: "subject") }
            subject = try Identifiers.unifiedSocialCreditCode(rawSubject, field: "subject")
            person = try RelatedPersonFields.person(from: object, field: "body")
        } catch let error as DomainError {
            throw ReplyError(.invalid, "relations.register: \(error)")
        }
        let subjectName = CourtDebtorRow.text("subjectName", in: object)
        let origin = "REG:\(department)"
        return try await writer.write { [log] db -> JSONValue in
            let known = try Bool.fetchOne(db, sql: "SELECT 1 FROM subjects WHERE id = ?", arguments: [subject.value]) ?? false
            if !known {
                guard let subjectName else {
                    throw ReplyError(
                        .invalid, "relations.register: registry knows no subject \(subject.value); give subjectName to register it")
                }
                try db.execute(
                    sql: "INSERT INTO subjects(id, scheme, kind, name, updated_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [subject.value, subject.scheme.rawValue, subject.impliedKind.rawValue, subjectName, WireTime.now])
            }
            try db.execute(
                sql: """
                    INSERT INTO related_persons(subject_id, role, name, person_id, record_id, since, until, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(subject_id, role, name, record_id) DO UPDATE SET
                    person_id = IFNULL(excluded.person_id, person_id), since = excluded.since, until = excluded.until
                    """,
                arguments: [
                    subject.value, person.role.rawValue, person.name, person.personID, origin, person.from, person.until, department,
                ])
            var data: [String: JSONValue] = [
                "subject": .string(subject.value), "source": .string(department), "person": RecordJSON.value(person),
            ]
            data["registeredAt"] = .string(WireTime.now)
            try log.append(db, type: "relations.registered", json: .object(data))
            return .object(data)
        }
    }

    // MARK: - History

    /// Every version of a record, oldest first: who (source department) sent it, when, and which
    /// fields it changed.
    func history(of rawID: String) async throws -> JSONValue {
        let id = rawID.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        return try await writer.read { db -> JSONValue in
            guard
                let current = try Row.fetchOne(
                    db, sql: "SELECT id, version, source, stored_at, changed, data FROM records WHERE id = ?", arguments: [id])
            else { throw ReplyError(.notFound, "record.history: no record \(id)") }
            var versions = try Row.fetchAll(
                db,
                sql:
                    "SELECT record_id, version, source, stored_at, changed, data FROM record_versions WHERE record_id = ? ORDER BY version",
                arguments: [id]
            ).map(Self.version)
            versions.append(try Self.version(current))
            return .object(["id": .string(id), "versions": .array(versions)])
        }
    }

    static func version(_ row: Row) throws -> JSONValue {
        let data: String = row["data"]
        return .object([
            "version": .int(row["version"]), "source": .string(row["source"]), "storedAt": .string(row["stored_at"]),
            "changed": try (row["changed"] as String?).map(json) ?? .array([]),
            "record": try RecordJSON.archived(Array(data.utf8)),
        ])
    }

    static func json(_ text: String) throws -> JSONValue {
        try WireCoding.decode(JSONValue.self, from: Array(text.utf8))
    }
}
