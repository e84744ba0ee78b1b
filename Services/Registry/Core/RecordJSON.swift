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

    /// The two texts the registry keeps of a record, as UTF-8 (stored and framed as bytes, never
    /// validated again as a `String`), written in one pass straight from its fields
    /// (no `JSONValue`, no key sorting: the keys below are in sorted order): the archive's, with
    /// the source fields, and the event's, whose `sourceFields` is `{}`. Each is exactly
    /// `text(value(record, withSourceFields:))`.
    static func bytes(_ record: CreditRecord) -> (archive: [UInt8], event: [UInt8]) {
        // Members before "sourceFields" in key order…
        var head = JSONWriter(capacity: 1_024)
        head.raw("{")
        if let amount = record.amount { member(&head, "amount", amount) }
        member(&head, "authority", record.authority)
        if let text = record.category { member(&head, "category", text) }
        member(&head, "decisionDate", record.decisionDate)
        member(&head, "documentNumber", record.documentNumber)
        if let fine = record.fineAmount { member(&head, "fineAmount", fine) }
        member(&head, "kind", record.kind.rawValue)
        if let text = record.legalBasis { member(&head, "legalBasis", text) }
        if let performance = record.performance { member(&head, "performance", performance.rawValue) }
        if let text = record.publicityEnd { member(&head, "publicityEnd", text) }
        head.raw("\"relatedPersons\":[")
        for (index, person) in record.relatedPersons.enumerated() {
            if index > 0 { head.raw(",") }
            head.raw("{")
            if let from = person.from { member(&head, "from", from) }
            member(&head, "name", person.name)
            if let id = person.personID { member(&head, "personID", id) }
            head.raw("\"role\":")
            head.string(person.role.rawValue)
            if let until = person.until {
                head.raw(",\"until\":")
                head.string(until)
            }
            head.raw("}")
        }
        head.raw("],")
        if let severity = record.severity { member(&head, "severity", severity.rawValue) }
        head.raw("\"sourceFields\":")
        // …and after it.
        var tail = JSONWriter(capacity: 512)
        if let aliases = record.subjectAliases {
            tail.raw(",\"subjectAliases\":[")
            for (index, alias) in aliases.enumerated() {
                if index > 0 { tail.raw(",") }
                tail.raw("{\"scheme\":")
                tail.string(alias.scheme.rawValue)
                tail.raw(",\"value\":")
                tail.string(alias.value)
                tail.raw("}")
            }
            tail.raw("]")
        }
        tail.raw(",")
        member(&tail, "subjectID", record.subjectID)
        member(&tail, "subjectKind", record.subjectKind.rawValue)
        member(&tail, "subjectName", record.subjectName)
        member(&tail, "subjectScheme", record.subjectScheme.rawValue)
        tail.raw("\"summary\":")
        tail.string(record.summary)
        if let text = record.validFrom {
            tail.raw(",\"validFrom\":")
            tail.string(text)
        }
        if let text = record.validUntil {
            tail.raw(",\"validUntil\":")
            tail.string(text)
        }
        tail.raw("}")

        var event = head
        event.raw("{}")
        event.raw(tail.bytes)
        guard !record.sourceFields.isEmpty else { return (event.bytes, event.bytes) }
        var archive = head
        archive.object(record.sourceFields)
        archive.raw(tail.bytes)
        return (archive.bytes, event.bytes)
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
