import CreditDomain
import Foundation
import MeshProtocol
import Testing

@testable import RegistryCore

/// The registry writes a record's two texts (the archive's and the event's) in one pass from its
/// fields; they must be exactly the texts of the record's JSON value, so a re-import of the same row
/// is recognised by comparing text, and decode to the same record.
@Suite struct RecordJSONTests {
    static let bare = CreditRecord(
        kind: .licence, subjectID: "91330100799655058B", subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
        subjectName: "杭州某某贸易有限公司", documentNumber: "浙食经许〔2025〕1号", authority: "杭州市市场监督管理局", summary: "食品经营许可",
        decisionDate: "2025-01-05")

    static let full = CreditRecord(
        kind: .penalty, subjectID: "11010519491231002X", subjectScheme: .residentID, subjectKind: .naturalPerson,
        subjectName: "张 \"三\"\\", relatedPersons: [
            RelatedPerson(role: .legalRepresentative, name: "李四", personID: "330102196001010000", from: "2020-01-01", until: "2024-12-31"),
            RelatedPerson(role: .actualController, name: "王五\n"),
        ],
        documentNumber: "杭市监罚〔2025〕7号", authority: "杭州市市场监督管理局", legalBasis: "《食品安全法》第一百二十四条",
        summary: "罚款 2.5 万元\t并责令改正", decisionDate: "2025-03-01", validUntil: "2026-03-01", publicityEnd: "2028-03-01",
        severity: .serious, fineAmount: 2.5, sourceFields: ["CF_WSH": "杭市监罚〔2025〕7号", "CF_NR_FK": "2.5", "A_FIRST": "\u{01}", "cf_lower": "x"],
        validFrom: "2025-03-02", category: "罚款;警告", amount: 25_000, performance: .breached,
        subjectAliases: [SubjectAlias(scheme: .organisationCode, value: "79965505-8"), SubjectAlias(scheme: .taxRegistrationNumber, value: "T1")])

    @Test(arguments: [bare, full, { var record = full; record.sourceFields = [:]; record.relatedPersons = []; return record }()])
    func bothTextsAreTheValuesText(_ record: CreditRecord) throws {
        let (archiveBytes, eventBytes) = RecordJSON.bytes(record)
        let archive = String(decoding: archiveBytes, as: UTF8.self)
        let event = String(decoding: eventBytes, as: UTF8.self)
        #expect(archive == RecordJSON.text(RecordJSON.value(record)))
        #expect(event == RecordJSON.text(RecordJSON.value(record, withSourceFields: false)))
        #expect(try WireCoding.decode(CreditRecord.self, from: Array(archive.utf8)) == record)
        var withoutSources = record
        withoutSources.sourceFields = [:]
        #expect(try WireCoding.decode(CreditRecord.self, from: Array(event.utf8)) == withoutSources)
    }
}
