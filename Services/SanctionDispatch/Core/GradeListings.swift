import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// Follows grading: keeps each subject's grade, carries the grades the catalogue names to the interceptors as
/// grade listings (`grade.added`, `grade.updated`, `grade.removed`), and proposes the red list by rule when a
/// subject reaches a qualifying grade.
struct GradeApplier: StreamApplier {
    let rules: RuleMeasures
    /// The grades some measure of the catalogue in force names.
    let namedGrades: Set<CreditGrade>

    /// `grade.changed` as grading announces it; other fields (e.g. the evaluation model) are read when present.
    struct Graded: Decodable {
        var subjectID: String
        var subjectName: String?
        var score: Int
        var grade: CreditGrade
        var model: JSONValue?
    }

    func apply(_ event: Event, in db: Database) throws {
        guard event.type == "grade.changed" else { return }
        let graded = try event.decodeData(Graded.self)
        let model = graded.model.flatMap { $0.stringValue ?? $0["version"]?.textValue ?? $0["id"]?.textValue }
        try db.execute(
            sql: """
                INSERT INTO subject_grades(subject_id, grade, score, name, model) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(subject_id) DO UPDATE SET grade = excluded.grade, score = excluded.score,
                  name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END, model = excluded.model
                """,
            arguments: [graded.subjectID, graded.grade.rawValue, graded.score, graded.subjectName ?? "", model])
        try rules.syncGradeListing(of: graded.subjectID, named: namedGrades, in: db)
        try rules.proposeRedListing(for: graded.subjectID, in: db)
    }
}

extension RuleMeasures {
    /// Makes the subject's grade listing say its current grade when the catalogue names the grade, and ends
    /// it when not: one grade listing per subject (`G-…`), added, updated or removed.
    func syncGradeListing(of subject: String, named: Set<CreditGrade>, in db: Database) throws {
        let row = try Row.fetchOne(db, sql: "SELECT grade, name, model FROM subject_grades WHERE subject_id = ?", arguments: [subject])
        let grade = (row?["grade"] as String?).flatMap(CreditGrade.init(rawValue:))
        let wanted = grade.flatMap { named.contains($0) ? $0 : nil }
        let existing = try String.fetchOne(
            db, sql: "SELECT data FROM listings WHERE subject_id = ? AND list = 'grade' ORDER BY number DESC LIMIT 1", arguments: [subject]
        ).map(ListingStore.decode)
        let model: String? = row?["model"]
        let basis =
            "公共信用综合评价等级 \(wanted?.rawValue ?? "-") (public credit comprehensive evaluation, grade \(wanted?.rawValue ?? "-"))"
        let document = "公共信用综合评价 " + (model.map { "model \($0)" } ?? "public credit evaluation")
        guard let wanted else {
            if let existing, existing.status != .removed {
                _ = try store.remove(existing.id, reason: "grade now \(grade?.rawValue ?? "none"): no measure names it", in: db)
            }
            return
        }
        let name: String = row?["name"] ?? ""
        if var listing = existing {
            let before = listing
            listing.grade = wanted
            listing.basis = basis
            listing.document = document
            if !name.isEmpty { listing.subjectName = name }
            if listing.status == .removed {
                listing.status = .active
                listing.start = today()
                listing.removalReason = nil
                try store.update(listing, announce: "list.added", in: db)
            } else if listing != before {
                try store.update(listing, announce: "list.updated", in: db)
            }
            return
        }
        let known = try Row.fetchOne(db, sql: "SELECT name, kind FROM known_subjects WHERE id = ?", arguments: [subject])
        let kind =
            (known?["kind"] as String?).flatMap(SubjectKind.init(rawValue:))
            ?? (try? Identifiers.subjectID(subject, field: "subject"))?.impliedKind ?? .enterprise
        var listing = Listing(
            id: "", list: .grade, subjectID: subject, subjectName: name.isEmpty ? (known?["name"] ?? "") : name, subjectKind: kind,
            initiator: creditOffice, basis: basis, document: document, start: today(), until: "9999-12-31")
        listing.grade = wanted
        _ = try store.add(listing, in: db)
    }

    /// After the catalogue changed: grade listings for every graded subject whose grade it now names, and
    /// none for grades it no longer names.
    func resyncGradeListings(named: Set<CreditGrade>, in db: Database) throws -> Int {
        var subjects = Set<String>()
        if !named.isEmpty {
            let grades = named.map(\.rawValue)
            subjects.formUnion(
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT subject_id FROM subject_grades WHERE grade IN (\(grades.map { _ in "?" }.joined(separator: ",")))
                        AND subject_id NOT IN (SELECT subject_id FROM listings WHERE list = 'grade' AND status = 'active')
                        """, arguments: StatementArguments(grades)))
        }
        for listing in try String.fetchAll(db, sql: "SELECT data FROM listings WHERE list = 'grade' AND status = 'active'")
            .map(ListingStore.decode) where !(listing.grade.map(named.contains) ?? false)
        {
            subjects.insert(listing.subjectID)
        }
        for subject in subjects.sorted() { try syncGradeListing(of: subject, named: named, in: db) }
        return subjects.count
    }
}

// MARK: - The red list by rule

extension RuleMeasures {
    /// Proposes the subject for the red list when a red-list rule takes it: a qualifying grade, no negative
    /// record decided within `cleanYears` and a first record at least that old, no current listing (red,
    /// black or key-attention), and no open or declined proposal under the same rule and version.
    func proposeRedListing(for subject: String, in db: Database) throws {
        guard !rules.redList.isEmpty,
            let row = try Row.fetchOne(db, sql: "SELECT grade, name FROM subject_grades WHERE subject_id = ?", arguments: [subject]),
            let grade = CreditGrade(rawValue: row["grade"]),
            let history = try Row.fetchOne(
                db, sql: "SELECT first_record, last_negative FROM subject_history WHERE subject_id = ?", arguments: [subject])
        else { return }
        let day = today()
        let first: String = history["first_record"]
        let lastNegative: String? = history["last_negative"]
        for rule in rules.redList where rule.grades.contains(grade) {
            guard let cutoff = FieldDates.adding(years: -rule.cleanYears, to: day), first <= cutoff,
                lastNegative.map({ $0 < cutoff }) ?? true
            else { continue }
            guard try store.current(subject: subject, in: db).allSatisfy({ $0.list == .grade }) else { return }
            let earlier = try String.fetchAll(
                db, sql: "SELECT data FROM proposals WHERE subject_id = ? AND list = 'red'", arguments: [subject]
            ).map(ProposalStore.decode)
            guard
                !earlier.contains(where: {
                    $0.status == .proposed || ($0.status == .declined && $0.rule == reference(rule.id))
                })
            else { return }
            let known = try Row.fetchOne(db, sql: "SELECT name, kind FROM known_subjects WHERE id = ?", arguments: [subject])
            let name: String = row["name"]
            let facts =
                "信用等级 \(grade.rawValue); 自 \(cutoff) 起无不良信用记录 (no negative record since \(cutoff)); 首条记录 first record \(first)"
            let proposal = try ProposalStore.add(
                ListingProposal(
                    id: "", list: .red, subjectID: subject, subjectName: name.isEmpty ? (known?["name"] ?? "") : name,
                    subjectKind: (known?["kind"] as String?).flatMap(SubjectKind.init(rawValue:)) ?? .enterprise,
                    rule: reference(rule.id), sourceRecord: nil, decider: Department(rawValue: rule.decider), basis: rule.basis,
                    document: "\(rule.id)/\(rules.version)", facts: facts, months: rule.months, objectionWorkingDays: nil,
                    proposedOn: day),
                log: store.log, in: db)
            logger.info("Red-list proposal by rule", metadata: ["proposal.id": "\(proposal.id)", "rule.id": "\(rule.id)"])
            return
        }
    }

    /// A negative record ends the subject's way to the red list: open red proposals are withdrawn and red
    /// listings made by rule end.
    func withdrawRed(of subject: String, record: String, in db: Database) throws {
        let reason = "negative record \(record)"
        for var proposal in try ProposalStore.open(subject: subject, list: .red, in: db) {
            proposal.status = .withdrawn
            proposal.decidedOn = today()
            proposal.decisionNote = reason
            try ProposalStore.update(proposal, announce: "proposal.withdrawn", actor: "sanction-dispatch", log: store.log, in: db)
        }
        for listing in try store.current(subject: subject, in: db) where listing.list == .red && listing.rule != nil {
            _ = try store.remove(listing.id, reason: "\(reason): the red-list rule \(listing.rule!.id) no longer holds", in: db)
        }
    }

    /// Once a day: every graded subject whose clean years have just come round. Returns the proposals made.
    func proposeDueRedListings(in db: Database) throws -> Int {
        guard !rules.redList.isEmpty else { return 0 }
        let day = today()
        let last = try String.fetchOne(db, sql: "SELECT value FROM dispatch_meta WHERE key = 'red.lastScan'")
        guard last.map({ $0 < day }) ?? true else { return 0 }
        try db.execute(
            sql: "INSERT INTO dispatch_meta(key, value) VALUES ('red.lastScan', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            arguments: [day])
        let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM proposals") ?? 0
        for rule in rules.redList {
            guard let cutoff = FieldDates.adding(years: -rule.cleanYears, to: day) else { continue }
            let grades = rule.grades.map(\.rawValue)
            let subjects = try String.fetchAll(
                db,
                sql: """
                    SELECT g.subject_id FROM subject_grades g JOIN subject_history h ON h.subject_id = g.subject_id
                    WHERE g.grade IN (\(grades.map { _ in "?" }.joined(separator: ","))) AND h.first_record <= ?
                    AND (h.last_negative IS NULL OR h.last_negative < ?)
                    AND g.subject_id NOT IN (SELECT subject_id FROM listings WHERE list = 'red' AND status IN ('active', 'pending'))
                    ORDER BY g.subject_id
                    """, arguments: StatementArguments(grades + [cutoff, cutoff]))
            for subject in subjects { try proposeRedListing(for: subject, in: db) }
        }
        return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM proposals") ?? 0) - before
    }
}
