import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// The notice (告知书) a subject receives about a listing: what it is on and why, which measures
/// follow where, until when, and how to object or apply for repair, with the deadline. Built from the
/// listing and the catalogue in force, so it always says what the departments actually enforce.
public struct ListingNotice: Codable, Sendable {
    public struct MeasureLine: Codable, Sendable, Equatable {
        public var department: String
        public var measureID: String
        public var title: String
        public var effect: MeasureEffect
        public var targets: [MeasureTarget]
        public var basis: String
    }

    public var listing: Listing
    public var catalogueVersion: String?
    /// Every catalogue measure that applies to this list, department by department (`*` first).
    public var measures: [MeasureLine]
    /// How and until when the subject may object.
    public var objection: String
    /// How the subject may apply for repair.
    public var repair: String
    /// The notice code: with it the subject reads this notice on the portal (`/notices/{listing}`).
    public var code: String
    /// The notice as one text, Chinese first with English, for printing or sending.
    public var text: String
}

extension DispatchHandler {
    /// The notice of a listing. With `code`, only when it is the listing's notice code: a wrong code
    /// and an unknown listing get the same answer.
    func notice(for id: String, code: String? = nil) async throws -> ListingNotice {
        let (listing, catalogue, stored) = try await writer.write { [store] db in
            guard let listing = try store.get(id, in: db) else { return (nil as Listing?, nil as MeasureCatalogue?, "") }
            return (listing, try CatalogueStore.current(in: db), try Self.noticeCode(of: id, in: db))
        }
        let given = code.map { $0.uppercased().filter { $0.isLetter || $0.isNumber } }
        guard let listing, given == nil || given == stored else {
            throw ReplyError(.notFound, given == nil ? "notice.get: no listing \(id)" : "notice.get: no notice for \(id) with this code")
        }
        let measures = (catalogue?.measures ?? []).filter { $0.lists.contains(listing.list) }
            .sorted { ($0.isGeneric ? 0 : 1, $0.department.rawValue, $0.id) < ($1.isGeneric ? 0 : 1, $1.department.rawValue, $1.id) }
            .map {
                ListingNotice.MeasureLine(
                    department: $0.department.rawValue, measureID: $0.id, title: $0.title, effect: $0.effect, targets: $0.targets,
                    basis: $0.basis)
            }
        let objection: String
        switch listing.status {
        case .pending:
            objection =
                "异议: 告知之日起至 \(listing.objectionDeadline ?? "?") 可提出异议, 期间本名单不生效 (creditctl object --listing \(listing.id)). "
                + "Objection: until \(listing.objectionDeadline ?? "?"); the listing does not take effect meanwhile."
        case .active:
            objection =
                "异议: 在本名单有效期内可随时对其或其依据的信用记录提出异议, 核实期间措施暂停 (creditctl objection file --listing \(listing.id)). "
                + "Objection: at any time while the listing is in force; its measures are suspended while it is verified."
        case .removed:
            objection = "本名单已终止 (\(listing.removalReason ?? "")). The listing has ended."
        }
        let repair =
            listing.status == .removed
            ? "无需修复. No repair is needed."
            : "信用修复: 纠正失信行为、消除不良影响后, 可由本人或代理人提交信用修复承诺书申请修复, 由 \(listing.initiator) 决定 "
                + "(creditctl repair apply --listing \(listing.id) --commitment …). "
                + "Repair: once the conduct is corrected and its harm removed, apply with a credit-repair commitment letter; \(listing.initiator) decides."
        var lines = [
            "信用惩戒告知书 / Notice of listing \(listing.id)",
            "对象 Subject: \(listing.subjectName) (\(Identifiers.maskForPublic(listing.subjectID)))",
            "名单 List: \(listing.list.rawValue) · 认定部门 Initiator: \(listing.initiator) · 状态 Status: \(listing.status.rawValue)",
            "依据 Basis: \(listing.basis)",
            "文书 Document: \(listing.document)" + (listing.facts.map { " · 事实 Facts: \($0)" } ?? ""),
            "期限 Term: \(listing.start) – \(listing.until)",
            "措施 Measures (catalogue \(catalogue?.version ?? "none")):",
        ]
        lines += measures.map {
            "  - \($0.department == Department.anyDepartment.rawValue ? "all departments" : $0.department): \($0.title) [\($0.effect.rawValue)]"
        }
        if measures.isEmpty { lines.append("  (none in the catalogue in force)") }
        lines += [
            objection, repair,
            "查询码 Notice code: \(stored) — 凭此码在信用门户查看本告知书 · read this notice on the portal at /notices/\(listing.id) with it",
        ]
        return ListingNotice(
            listing: listing, catalogueVersion: catalogue?.version, measures: measures, objection: objection, repair: repair,
            code: stored, text: lines.joined(separator: "\n"))
    }
}

extension DispatchHandler {
    /// A listing's notice code, made on first use: eight characters from an alphabet without look-alikes.
    static func noticeCode(of listing: String, in db: Database) throws -> String {
        if let code = try String.fetchOne(db, sql: "SELECT code FROM notice_codes WHERE listing_id = ?", arguments: [listing]) {
            return code
        }
        let code = newNoticeCode()
        try db.execute(sql: "INSERT INTO notice_codes(listing_id, code) VALUES (?, ?)", arguments: [listing, code])
        return code
    }

    /// A fresh notice code: eight characters from an alphabet without look-alikes.
    static func newNoticeCode() -> String {
        let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }
}
