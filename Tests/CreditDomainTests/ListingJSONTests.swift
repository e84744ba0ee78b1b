import CreditDomain
import Foundation
import MeshProtocol
import Testing

/// `Listing(json:)` reads what `Codable` reads, and refuses what it refuses.
@Suite struct ListingJSONTests {
    static let minimal = Listing(
        id: "L-1", list: .black, subjectID: "91330500MA2D7E8F2D", subjectName: "湖州示例\"建设\"有限公司", subjectKind: .enterprise,
        initiator: .court, basis: "court list", document: "(2026)浙0502执1号", start: "2026-01-01", until: "2028-01-01")

    static var full: Listing {
        var listing = minimal
        listing.facts = "facts\nline two"
        listing.sourceRecord = "R-9"
        listing.status = .pending
        listing.removalReason = "repaired"
        listing.relatedPersons = [
            RelatedPerson(role: .legalRepresentative, name: "张三", personID: "330102199001011234", from: "2020-01-01", until: nil),
            RelatedPerson(role: .actualController, name: "李四"),
        ]
        listing.objectionDeadline = "2026-01-10"
        listing.objection = "O-1"
        listing.suspension = .init(objection: "O-1", policy: .allow, since: "2026-01-02T00:00:00.000Z")
        listing.rule = RuleReference(id: "serious-dishonesty", version: "2026.1")
        listing.list = .grade
        listing.grade = .D
        return listing
    }

    @Test func readsWhatCodableReads() throws {
        for listing in [Self.minimal, Self.full] {
            let json = try JSONValue(encoding: listing)
            #expect(try Listing(json: json) == listing)
            #expect(try json.decode(Listing.self) == listing)
        }
        // Nulls for optional members, and members it does not know, as Codable takes them.
        guard case .object(var members) = try JSONValue(encoding: Self.minimal) else { Issue.record("not an object"); return }
        members["facts"] = .null
        members["relatedPersons"] = .null
        members["futureMember"] = .array([.int(1)])
        let text = JSONText.bytes(.object(members))
        #expect(try Listing(json: .object(members)) == WireCoding.decode(Listing.self, from: text))
    }

    @Test func refusesWhatCodableRefusesNamingTheMember() throws {
        guard case .object(let members) = try JSONValue(encoding: Self.minimal) else { Issue.record("not an object"); return }
        let cases: [(String, JSONValue?, String)] = [
            ("id", nil, "field id is missing"), ("list", .string("purple"), "field list has no value purple"),
            ("start", .int(5), "field start must be a string"), ("relatedPersons", .string("x"), "field relatedPersons must be an array"),
            ("suspension", .object(["objection": "O-1"]), "suspension field policy is missing"),
        ]
        for (key, value, message) in cases {
            var changed = members
            changed[key] = value
            #expect(throws: (any Error).self) { try WireCoding.decode(Listing.self, from: JSONText.bytes(.object(changed))) }
            do {
                _ = try Listing(json: .object(changed))
                Issue.record("\(key): read")
            } catch {
                #expect(error.description.contains(message), "\(key): \(error)")
            }
        }
        #expect(throws: WireShapeError.self) { try Listing(json: .array([])) }
    }
}
