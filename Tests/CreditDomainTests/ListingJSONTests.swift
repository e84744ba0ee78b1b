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

extension ListingJSONTests {
    /// `Listing(jsonText:)` reads in one pass (the cursor itself, not only with its fall-back) what
    /// `init(json:)` reads from the parsed text, and refuses what it refuses, in its words.
    @Test func readsItsTextInOnePassAsItReadsTheParsedValue() throws {
        var texts = try [Self.minimal, Self.full].map { JSONText.bytes(try JSONValue(encoding: $0)) }
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        texts.append(Array(try pretty.encode(Self.full)))
        guard case .object(var members) = try JSONValue(encoding: Self.full) else { Issue.record("not an object"); return }
        members["facts"] = .null
        members["suspension"] = .null
        members["futureMember"] = .object(["nested": .array([.int(1), .string("}")])])
        texts.append(JSONText.bytes(.object(members)))
        // An escaped key spells its key, and the first of a repeated key is kept, a null too.
        let repeated = Array(#"{"id":"L-first","facts":null,"#.utf8) + JSONText.bytes(try JSONValue(encoding: Self.full)).dropFirst()
        texts.append(repeated)
        for text in texts {
            let expected = try Listing(json: JSONReader.value(text))
            #expect(try JSONCursor.read(text) { cursor in try Listing(cursor: &cursor) } == expected)
            #expect(try Listing(jsonText: text) == expected)
        }
        let first = try Listing(jsonText: repeated)
        #expect(first.id == "L-first" && first.facts == nil && first.grade == .D)

        guard case .object(let minimal) = try JSONValue(encoding: Self.minimal) else { Issue.record("not an object"); return }
        var refused: [[UInt8]] = [Array(#"{"id":"L-1"} x"#.utf8), Array("[]".utf8), Array(#"{"id":"\ud800"}"#.utf8)]
        for (key, value) in [
            ("id", nil), ("list", .string("purple")), ("start", .int(5)), ("relatedPersons", .string("x")),
            ("relatedPersons", .array([.null])), ("suspension", .object(["objection": "O-1"])), ("rule", .array([])),
            ("grade", .string("Z")), ("subjectName", JSONValue.null),
        ] as [(String, JSONValue?)] {
            var changed = minimal
            changed[key] = value
            refused.append(JSONText.bytes(.object(changed)))
        }
        for text in refused {
            let expected = #expect(throws: (any Error).self) { try Listing(json: JSONReader.value(text)) }
            let error = #expect(throws: (any Error).self) { try Listing(jsonText: text) }
            #expect(error.map { "\($0)" } == expected.map { "\($0)" })
        }
    }
}

/// Feedback and events read and written by hand as `Codable` reads and writes them: dispatch reads
/// every feedback event, and every outbox writes every event it forwards, this way.
@Suite struct FeedbackJSONTests {
    @Test func feedbackReadsAndWritesWhatCodableDoes() throws {
        let full = CheckFeedback(
            checkID: "finance-ab12cd34-C-7", department: .finance, subjectID: "91330500MA2D7E8F2D", action: "government-procurement",
            decision: "block", listingID: "L-1", measureID: "finance.procurement-ban", decidedAt: "2026-12-06T10:00:00.000Z",
            reference: "PO-\"7\"")
        var bare = full
        bare.measureID = nil
        bare.reference = nil
        for feedback in [full, bare] {
            let json = try JSONValue(encoding: feedback)
            #expect(feedback.json == json)
            #expect(try CheckFeedback(json: json) == feedback)
            #expect(try json.decode(CheckFeedback.self) == WireCoding.decode(CheckFeedback.self, from: JSONText.bytes(json)))
        }
        #expect(throws: WireShapeError.self) { try CheckFeedback(json: .object(["checkID": "x"])) }
    }

    @Test func anEventWritesWhatCodableWrites() throws {
        let event = Event(
            stream: "interceptor.finance", seq: 12, id: "ack-finance-3-20261206", type: "listing.applied", at: "2026-12-06T10:00:00.000Z",
            data: .object(["listingID": "L-1", "dispatchSeq": 3, "nested": .array([.null, .bool(true), .double(1.5)])]))
        #expect(event.json == (try JSONValue(encoding: event)))
        #expect(try Event(json: event.json) == event)
    }

    @Test func aBatchBodyIsReadByHandAndABadOneNamesTheField() throws {
        #expect(try JSONValue.object(["events": .array([1, "x"])]).decodeBody(EventsBody.self, op: "ack.batch").events == [1, "x"])
        for (body, message) in [
            (JSONValue.object([:]), "ack.batch: body.events is missing"),
            (.object(["events": "x"]), "ack.batch: body.events has the wrong type (expected an array of events)"),
            (.array([]), "ack.batch: body must be a JSON object"),
        ] {
            #expect(throws: ReplyError(.badRequest, message)) { try body.decodeBody(EventsBody.self, op: "ack.batch") }
        }
    }
}
