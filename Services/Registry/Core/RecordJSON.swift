import CreditDomain
import MeshProtocol

/// Builds a record's JSON without a `JSONEncoder` round trip: the import hot path stores and
/// announces tens of thousands of records a second, and Foundation's encoder (through `Codable`
/// and then once more through `JSONValue`) cost more than the SQLite inserts. The shape is exactly
/// `CreditRecord`'s `Codable` shape (absent optionals omitted), so every consumer decodes it as before.
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
}
