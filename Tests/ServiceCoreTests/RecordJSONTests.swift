import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import Testing

@testable import RegistryCore

/// The registry writes a record's two texts (the archive's and the event's) in one pass from its
/// fields: the event's must be exactly the text of the record's JSON value, the archive's that text
/// with each value a source field repeats written once; both read back as the same record, and the
/// same record always gives the same texts, so a re-import of the same row is recognised by
/// comparing text.
@Suite struct RecordJSONTests {
    static let bare = CreditRecord(
        kind: .licence, subjectID: "91330100799655058B", subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
        subjectName: "杭州某某贸易有限公司", documentNumber: "浙食经许〔2025〕1号", authority: "杭州市市场监督管理局", summary: "食品经营许可",
        decisionDate: "2025-01-05")

    static let full = CreditRecord(
        kind: .penalty, subjectID: "11010519491231002X", subjectScheme: .residentID, subjectKind: .naturalPerson,
        subjectName: "张 \"三\"\\",
        relatedPersons: [
            RelatedPerson(role: .legalRepresentative, name: "李四", personID: "330102196001010000", from: "2020-01-01", until: "2024-12-31"),
            RelatedPerson(role: .actualController, name: "王五\n"),
        ],
        documentNumber: "杭市监罚〔2025〕7号", authority: "杭州市市场监督管理局", legalBasis: "《食品安全法》第一百二十四条",
        summary: "罚款 2.5 万元\t并责令改正", decisionDate: "2025-03-01", validUntil: "2026-03-01", publicityEnd: "2028-03-01",
        severity: .serious, fineAmount: 2.5,
        sourceFields: ["CF_WSH": "杭市监罚〔2025〕7号", "CF_NR_FK": "2.5", "A_FIRST": "\u{01}", "cf_lower": "x"],
        validFrom: "2025-03-02", category: "罚款;警告", amount: 25_000, performance: .breached,
        subjectAliases: [
            SubjectAlias(scheme: .organisationCode, value: "79965505-8"), SubjectAlias(scheme: .taxRegistrationNumber, value: "T1"),
        ])

    /// A penalty as the double-publicity CSV gives it: nearly every record member repeats a field.
    static func penalty() throws -> CreditRecord {
        try PenaltyRow.record(from: [
            "CF_WSH": "杭市监罚〔2025〕8号", "CF_XDR_MC": "杭州某某食品有限公司", "CF_XDR_SHXYM": "91330100799655058B", "CF_CFJG": "杭州市市场监督管理局",
            "CF_JDRQ": "2025/03/01", "CF_YXQ": "2026-03-01", "CF_CFLB": "罚款", "CF_NR_FK": "2.5", "CF_YJ": "《食品安全法》第一百二十四条",
            "CF_NR": "罚款 2.5 万元，并责令改正", "CF_WFXW": "销售超过保质期的食品", "CF_FRDB": "张三", "CF_GSJZQ": " 2028-03-01",
        ])
    }

    @Test(arguments: [
        bare, full,
        {
            var record = full; record.sourceFields = [:]; record.relatedPersons = []; return record
        }(),
    ])
    func theEventIsTheValuesTextAndTheArchiveReadsBackAsTheRecord(_ record: CreditRecord) throws {
        let (archive, event) = RecordJSON.bytes(record)
        #expect(String(decoding: event, as: UTF8.self) == RecordJSON.text(RecordJSON.value(record, withSourceFields: false)))
        var withoutSources = record
        withoutSources.sourceFields = [:]
        #expect(try WireCoding.decode(CreditRecord.self, from: event) == withoutSources)
        #expect(try RecordJSON.record(archived: archive) == record)
        #expect(try RecordJSON.text(RecordJSON.archived(JSONReader.value(archive))) == RecordJSON.text(RecordJSON.value(record)))
        #expect(RecordJSON.bytes(record) == (archive, event))
    }

    @Test func theArchiveWritesEachRepeatedValueOnce() throws {
        let record = try Self.penalty()
        let (archive, _) = RecordJSON.bytes(record)
        let stored = try JSONReader.value(archive)
        #expect(
            stored["fromSource"]
                == .object([
                    "authority": "CF_CFJG", "category": "CF_CFLB", "documentNumber": "CF_WSH", "legalBasis": "CF_YJ",
                    "subjectID": "CF_XDR_SHXYM",
                    "subjectName": "CF_XDR_MC", "summary": "CF_NR", "validUntil": "CF_YXQ",
                ]))
        // Normalised values differ from their fields, so they stay: the date, the trimmed publicity end.
        #expect(stored["decisionDate"] == "2025-03-01" && stored["publicityEnd"] == "2028-03-01" && stored["summary"] == nil)
        let text = String(decoding: archive, as: UTF8.self)
        for value in ["罚款 2.5 万元，并责令改正", "杭州某某食品有限公司", "杭州市市场监督管理局", "《食品安全法》第一百二十四条", "杭市监罚〔2025〕8号"] {
            #expect(text.components(separatedBy: value).count == 2, "\(value) is written once")
        }
        #expect(archive.count < RecordJSON.text(RecordJSON.value(record)).utf8.count)
        #expect(try RecordJSON.record(archived: archive) == record)

        // A member equal to a later candidate names that one; a member the source gives but the
        // record leaves out stays out.
        var other = record
        other.summary = "销售超过保质期的食品"
        other.legalBasis = nil
        let (otherArchive, _) = RecordJSON.bytes(other)
        #expect(try JSONReader.value(otherArchive)["fromSource"]?["summary"] == "CF_WFXW")
        #expect(try RecordJSON.record(archived: otherArchive) == other)
    }

    @Test func archiveTextsStoredInFullReadAsTheyAreAndAMissingSourceIsNamed() throws {
        let record = try Self.penalty()
        let full = Array(RecordJSON.text(RecordJSON.value(record)).utf8)
        #expect(try RecordJSON.record(archived: full) == record)
        let broken = #"{"fromSource":{"summary":"CF_NR"},"kind":"penalty","sourceFields":{}}"#
        let error = #expect(throws: DatabaseError.self) { try RecordJSON.record(archived: Array(broken.utf8)) }
        #expect(error?.message?.contains("summary") == true && error?.message?.contains("CF_NR") == true)
    }
}
