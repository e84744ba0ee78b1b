import CreditDomain
import GRDB
import MeshProtocol

/// Builds a record's JSON without a `JSONEncoder` round trip: the import hot path stores and
/// announces tens of thousands of records a second, and Foundation's encoder (through `Codable`
/// and then once more through `JSONValue`) cost more than the SQLite inserts. The shape is exactly
/// `CreditRecord`'s `Codable` shape (absent optionals omitted), so every consumer decodes it as
/// before; the archive's text leaves out what its source fields repeat (`bytes(_:)`), and is read
/// back through `archived(_:)`.
enum RecordJSON {
    /// The record as a JSON value; `sourceFields` empty when `withSourceFields` is false (events).
    static func value(_ record: CreditRecord, withSourceFields: Bool = true) -> JSONValue {
        var object: [String: JSONValue] = [
            "kind": .string(record.kind.rawValue), "subjectID": .string(record.subjectID),
            "subjectScheme": .string(record.subjectScheme.rawValue), "subjectKind": .string(record.subjectKind.rawValue),
            "subjectName": .string(record.subjectName), "documentNumber": .string(record.documentNumber),
            "authority": .string(record.authority), "summary": .string(record.summary),
            "decisionDate": .string(record.decisionDate),
            "relatedPersons": .array(record.relatedPersons.map(value)),
            "sourceFields": .object(withSourceFields ? record.sourceFields.mapValues { .string($0) } : [:]),
        ]
        object.reserveCapacity(20)
        if let text = record.legalBasis { object["legalBasis"] = .string(text) }
        if let text = record.validUntil { object["validUntil"] = .string(text) }
        if let text = record.publicityEnd { object["publicityEnd"] = .string(text) }
        if let severity = record.severity { object["severity"] = .string(severity.rawValue) }
        if let fine = record.fineAmount { object["fineAmount"] = .double(fine) }
        if let text = record.validFrom { object["validFrom"] = .string(text) }
        if let text = record.category { object["category"] = .string(text) }
        if let amount = record.amount { object["amount"] = .double(amount) }
        if let performance = record.performance { object["performance"] = .string(performance.rawValue) }
        if let aliases = record.subjectAliases {
            object["subjectAliases"] = .array(aliases.map { .object(["scheme": .string($0.scheme.rawValue), "value": .string($0.value)]) })
        }
        return .object(object)
    }

    static func value(_ person: RelatedPerson) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(person.role.rawValue), "name": .string(person.name)]
        if let id = person.personID { object["personID"] = .string(id) }
        if let from = person.from { object["from"] = .string(from) }
        if let until = person.until { object["until"] = .string(until) }
        return .object(object)
    }

    /// Compact JSON text of a value, keys sorted (the same text for the same record every time, so
    /// an unchanged re-import is recognised by comparing text).
    static func text(_ value: JSONValue) -> String { JSONText.text(value) }

    /// The two texts the registry keeps of a record, as UTF-8 (stored and framed as bytes, never
    /// validated again as a `String`), written straight from its fields (no `JSONValue`, no key
    /// sorting: the keys below are in sorted order):
    /// - the event's, exactly `text(value(record, withSourceFields: false))`;
    /// - the archive's, the record with its source fields, each value written once: a member equal
    ///   to a source field (`summary` and `CF_NR`, `authority` and `CF_CFJG`, … see `Repeats`) is
    ///   left out and named in `fromSource` (`{"summary":"CF_NR",…}`), which `archived(_:)` reads
    ///   back. A penalty repeated half a kilobyte of its source fields (content, legal basis, name,
    ///   authority, document number): on the import benchmark the records table went from 2.34 to
    ///   1.82 KB a row.
    /// The same record gives the same texts every time, so an unchanged re-import is recognised by
    /// comparing the archive's text.
    static func bytes(_ record: CreditRecord) -> (archive: [UInt8], event: [UInt8]) {
        let event = text(record, repeats: nil)
        guard !record.sourceFields.isEmpty else { return (event, event) }
        return (text(record, repeats: Repeats(record)), event)
    }

    /// The archive's text as a JSON value of the record: the members its `fromSource` names taken
    /// back from the source fields (texts stored before the archive named them are returned as
    /// they are).
    static func archived(_ stored: JSONValue) throws -> JSONValue {
        guard case .object(var object) = stored, case .object(let codes)? = object.removeValue(forKey: "fromSource") else { return stored }
        let sources = object["sourceFields"]
        for (member, code) in codes {
            guard let text = code.stringValue.flatMap({ sources?[$0]?.stringValue }) else {
                throw DatabaseError(
                    message: "archive: fromSource takes \(member) from \(code), which is not among the record's source fields")
            }
            object[member] = .string(text)
        }
        return .object(object)
    }

    /// An archive text read as the JSON value of its record.
    static func archived(_ bytes: [UInt8]) throws -> JSONValue {
        try archived(JSONReader.value(bytes))
    }

    /// The record an archive text holds.
    static func record(archived bytes: [UInt8]) throws -> CreditRecord {
        try archived(bytes).decode(CreditRecord.self)
    }

    /// Which source field each member that may repeat one equals, if any: the double-publicity
    /// codes of penalties (`CF_`) and licences (`XK_`), the court list's fields, and native
    /// records' own member names, the first equal one.
    struct Repeats {
        var authority, category, decisionDate, documentNumber, legalBasis, publicityEnd: String?
        var subjectID, subjectName, summary, validFrom, validUntil: String?

        init(_ record: CreditRecord) {
            let fields = record.sourceFields
            func code(_ value: String?, _ codes: [String]) -> String? {
                guard let value else { return nil }
                return codes.first { fields[$0] == value }
            }
            authority = code(record.authority, Codes.authority)
            category = code(record.category, Codes.category)
            decisionDate = code(record.decisionDate, Codes.decisionDate)
            documentNumber = code(record.documentNumber, Codes.documentNumber)
            legalBasis = code(record.legalBasis, Codes.legalBasis)
            publicityEnd = code(record.publicityEnd, Codes.publicityEnd)
            subjectID = code(record.subjectID, Codes.subjectID)
            subjectName = code(record.subjectName, Codes.subjectName)
            summary = code(record.summary, Codes.summary)
            validFrom = code(record.validFrom, Codes.validFrom)
            validUntil = code(record.validUntil, Codes.validUntil)
        }

        /// Writes `"fromSource":{member: code, …},` for the members left out, in key order (nothing
        /// when none is).
        func write(into json: inout JSONWriter) {
            var first = true
            func add(_ member: StaticString, _ code: String?) {
                guard let code else { return }
                json.raw(first ? "\"fromSource\":{\"" : ",\"")
                first = false
                json.raw(member)
                json.raw("\":")
                json.string(code)
            }
            add("authority", authority)
            add("category", category)
            add("decisionDate", decisionDate)
            add("documentNumber", documentNumber)
            add("legalBasis", legalBasis)
            add("publicityEnd", publicityEnd)
            add("subjectID", subjectID)
            add("subjectName", subjectName)
            add("summary", summary)
            add("validFrom", validFrom)
            add("validUntil", validUntil)
            if !first { json.raw("},") }
        }

        enum Codes {
            static let authority = ["CF_CFJG", "XK_XKJG", "courtName", "authority"]
            static let category = ["CF_CFLB", "XK_XKLB", "category"]
            static let decisionDate = ["CF_JDRQ", "XK_JDRQ", "regDate", "decisionDate"]
            static let documentNumber = ["CF_WSH", "XK_WSH", "caseCode", "documentNumber"]
            static let legalBasis = ["CF_YJ", "legalBasis"]
            static let publicityEnd = ["CF_GSJZQ", "publicityEnd"]
            static let subjectID = ["CF_XDR_SHXYM", "XK_XDR_SHXYM", "cardNum", "subjectID"]
            static let subjectName = ["CF_XDR_MC", "XK_XDR_MC", "iname", "subjectName"]
            static let summary = ["CF_NR", "CF_WFXW", "XK_NR", "summary"]
            static let validFrom = ["XK_YXQZ", "validFrom"]
            static let validUntil = ["CF_YXQ", "XK_YXQZI", "validUntil"]
        }
    }

    /// The record's text: the event's without `repeats`, the archive's with them (the members they
    /// name left out, `fromSource` and the source fields written).
    private static func text(_ record: CreditRecord, repeats: Repeats?) -> [UInt8] {
        var json = JSONWriter(capacity: repeats == nil ? 1_024 : 2_048)
        json.raw("{")
        if let amount = record.amount { member(&json, "amount", amount) }
        if repeats?.authority == nil { member(&json, "authority", record.authority) }
        if let text = record.category, repeats?.category == nil { member(&json, "category", text) }
        if repeats?.decisionDate == nil { member(&json, "decisionDate", record.decisionDate) }
        if repeats?.documentNumber == nil { member(&json, "documentNumber", record.documentNumber) }
        if let fine = record.fineAmount { member(&json, "fineAmount", fine) }
        repeats?.write(into: &json)
        member(&json, "kind", record.kind.rawValue)
        if let text = record.legalBasis, repeats?.legalBasis == nil { member(&json, "legalBasis", text) }
        if let performance = record.performance { member(&json, "performance", performance.rawValue) }
        if let text = record.publicityEnd, repeats?.publicityEnd == nil { member(&json, "publicityEnd", text) }
        json.raw("\"relatedPersons\":[")
        for (index, person) in record.relatedPersons.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            if let from = person.from { member(&json, "from", from) }
            member(&json, "name", person.name)
            if let id = person.personID { member(&json, "personID", id) }
            json.raw("\"role\":")
            json.string(person.role.rawValue)
            if let until = person.until {
                json.raw(",\"until\":")
                json.string(until)
            }
            json.raw("}")
        }
        json.raw("],")
        if let severity = record.severity { member(&json, "severity", severity.rawValue) }
        json.raw("\"sourceFields\":")
        if repeats != nil { json.object(record.sourceFields) } else { json.raw("{}") }
        if let aliases = record.subjectAliases {
            json.raw(",\"subjectAliases\":[")
            for (index, alias) in aliases.enumerated() {
                if index > 0 { json.raw(",") }
                json.raw("{\"scheme\":")
                json.string(alias.scheme.rawValue)
                json.raw(",\"value\":")
                json.string(alias.value)
                json.raw("}")
            }
            json.raw("]")
        }
        json.raw(",")
        if repeats?.subjectID == nil { member(&json, "subjectID", record.subjectID) }
        member(&json, "subjectKind", record.subjectKind.rawValue)
        if repeats?.subjectName == nil { member(&json, "subjectName", record.subjectName) }
        json.raw("\"subjectScheme\":")
        json.string(record.subjectScheme.rawValue)
        if repeats?.summary == nil {
            json.raw(",\"summary\":")
            json.string(record.summary)
        }
        if let text = record.validFrom, repeats?.validFrom == nil {
            json.raw(",\"validFrom\":")
            json.string(text)
        }
        if let text = record.validUntil, repeats?.validUntil == nil {
            json.raw(",\"validUntil\":")
            json.string(text)
        }
        json.raw("}")
        return json.bytes
    }

    /// `"key":"value",` — a member followed by its comma (keys here need no escaping).
    private static func member(_ writer: inout JSONWriter, _ key: StaticString, _ value: String) {
        writer.raw("\"")
        writer.raw(key)
        writer.raw("\":")
        writer.string(value)
        writer.raw(",")
    }

    private static func member(_ writer: inout JSONWriter, _ key: StaticString, _ value: Double) {
        writer.raw("\"")
        writer.raw(key)
        writer.raw("\":")
        writer.number(value)
        writer.raw(",")
    }
}
