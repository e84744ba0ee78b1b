import Foundation
import MeshProtocol

/// One entry of the court's dishonest judgment-debtor list (失信被执行人名单) in the JSON object
/// format the courts publish, turned into a `CreditRecord` of kind `.courtDishonestDebtor`.
///
/// | court field | meaning | record |
/// |---|---|---|
/// | `iname` (required) | debtor's name | `subjectName` |
/// | `caseCode` (required) | case number (案号) | `documentNumber` |
/// | `cardNum` (required) | USCC for organisations, resident ID for persons | `subjectID`, scheme, kind |
/// | `businessEntity` | legal representative of an organisation | `relatedPersons` (legal representative) |
/// | `courtName` (required) | enforcing court (执行法院) | `authority` |
/// | `regDate` (required) | filing date (立案时间) | `decisionDate` |
/// | `gistId`, `gistUnit` | enforcement basis number (执行依据文号) and its issuer | `legalBasis` "gistId by gistUnit" |
/// | `duty`, `performance`, `disruptTypeName` | obligation, performance, dishonest conduct | `summary` |
/// | `areaName`, `publishDate`, others | province, publication date … | kept in `sourceFields` only |
///
/// Values may be JSON strings or numbers. Every debtor on the list is a joint-punishment target
/// (Huzhou Judgment-Debtor Opinions 三), hence severity `.severe`. Errors name the court's field.
public enum CourtDebtorRow {
    /// Builds the record for one list entry.
    ///
    /// - Throws: `DomainError.missing` for an absent required field, `DomainError.invalid` for a bad
    ///   identifier (`cardNum`) or date (`regDate`).
    public static func record(from object: [String: JSONValue]) throws(DomainError) -> CreditRecord {
        let name = try required("iname", in: object)
        let caseCode = try required("caseCode", in: object)
        let cardNum = try required("cardNum", in: object)
        let court = try required("courtName", in: object)
        let regDate = try required("regDate", in: object)

        let subject = try Identifiers.subjectID(cardNum, field: "cardNum")
        let decisionDate = try date(regDate, value: object["regDate"]!)

        var related: [RelatedPerson] = []
        if subject.scheme == .unifiedSocialCreditCode, let representative = text("businessEntity", in: object) {
            related.append(RelatedPerson(role: .legalRepresentative, name: representative))
        }

        let gistID = text("gistId", in: object)
        let gistUnit = text("gistUnit", in: object)
        let legalBasis: String? =
            switch (gistID, gistUnit) {
            case (let id?, let unit?): "\(id) by \(unit)"
            case (let id?, nil): id
            case (nil, let unit?): unit
            case (nil, nil): nil
            }

        var summaryParts: [String] = []
        if let duty = text("duty", in: object) { summaryParts.append(duty) }
        if let performance = text("performance", in: object) { summaryParts.append("履行情况：\(performance)") }
        if let conduct = text("disruptTypeName", in: object) { summaryParts.append("失信情形：\(conduct)") }
        let summary = summaryParts.isEmpty ? "失信被执行人 \(caseCode)" : summaryParts.joined(separator: "；")

        var sourceFields: [String: String] = [:]
        for (key, value) in object {
            if let text = sourceText(value) { sourceFields[key] = text }
        }

        return CreditRecord(
            kind: .courtDishonestDebtor, subjectID: subject.value, subjectScheme: subject.scheme,
            subjectKind: subject.impliedKind, subjectName: name, relatedPersons: related, documentNumber: caseCode,
            authority: court, legalBasis: legalBasis, summary: summary, decisionDate: decisionDate,
            severity: .severe, sourceFields: sourceFields)
    }

    // MARK: - Fields

    private static func required(_ key: String, in object: [String: JSONValue]) throws(DomainError) -> String {
        guard let value = text(key, in: object) else { throw .missing(field: key) }
        return value
    }

    /// The trimmed text of a string or number field; nil when absent, null or empty.
    public static func text(_ key: String, in object: [String: JSONValue]) -> String? {
        guard let value = object[key] else { return nil }
        let text: String?
        switch value {
        case .string(let string): text = string
        case .int(let number): text = String(number)
        case .double(let number) where number == number.rounded() && abs(number) < 9e15: text = String(Int64(number))
        case .double(let number): text = String(number)
        default: text = nil
        }
        guard let trimmed = text.map(FastText.trimmed), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// `regDate` as a date string, or as a number: `20240105`, or epoch seconds or milliseconds as some
    /// exports carry them, read on the courts' clock (UTC+8).
    private static func date(_ text: String, value: JSONValue) throws(DomainError) -> String {
        if value.stringValue == nil, text.count >= 9, let number = Int64(text) {
            let seconds = text.count >= 12 ? Double(number) / 1000 : Double(number)
            let china = Date(timeIntervalSince1970: seconds + 8 * 3600)
            let iso = FieldDates.isoDate(china)
            return try FieldDates.isoDate(iso, field: "regDate")
        }
        return try FieldDates.isoDate(text, field: "regDate")
    }

    private static func sourceText(_ value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string, .int, .double, .bool: value.textValue
        case .array, .object: (try? WireCoding.encode(value)).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
