import CreditDomain
import MeshProtocol
import Testing

@Suite struct CourtDebtorRowTests {
    /// An organisation on the list, as the court's JSON gives it.
    static let organisation: [String: JSONValue] = [
        "iname": .string("杭州某某贸易有限公司"),
        "caseCode": .string("(2024)浙0102执1234号"),
        "cardNum": .string("91330100799655058B"),
        "businessEntity": .string("张三"),
        "courtName": .string("杭州市上城区人民法院"),
        "areaName": .string("浙江"),
        "gistId": .string("(2023)浙0102民初567号"),
        "gistUnit": .string("杭州市上城区人民法院"),
        "regDate": .string("2024年01月05日"),
        "duty": .string("支付货款50万元及利息"),
        "performance": .string("全部未履行"),
        "disruptTypeName": .string("有履行能力而拒不履行生效法律文书确定义务"),
        "publishDate": .string("2024年02月01日"),
        "partyTypeName": .int(621),
    ]

    /// A natural person, with numbers where some exports put them.
    static let person: [String: JSONValue] = [
        "iname": .string("李四"),
        "caseCode": .string("(2024)浙0106执88号"),
        "cardNum": .int(330_102_198_507_161_235),
        "courtName": .string("杭州市西湖区人民法院"),
        "regDate": .int(20_240_105),
        "businessEntity": .string(""),
    ]

    @Test func readsAnOrganisationWithItsLegalRepresentative() throws {
        let record = try CourtDebtorRow.record(from: Self.organisation)
        #expect(record.kind == .courtDishonestDebtor)
        #expect(record.severity == .severe)
        #expect(record.subjectID == "91330100799655058B")
        #expect(record.subjectScheme == .unifiedSocialCreditCode)
        #expect(record.subjectKind == .enterprise)
        #expect(record.subjectName == "杭州某某贸易有限公司")
        #expect(record.relatedPersons == [RelatedPerson(role: .legalRepresentative, name: "张三")])
        #expect(record.documentNumber == "(2024)浙0102执1234号")
        #expect(record.authority == "杭州市上城区人民法院")
        #expect(record.legalBasis == "(2023)浙0102民初567号 by 杭州市上城区人民法院")
        #expect(record.decisionDate == "2024-01-05")
        #expect(record.summary.hasPrefix("支付货款50万元及利息"))
        #expect(record.summary.contains("全部未履行"))
        #expect(record.sourceFields["areaName"] == "浙江")
        #expect(record.sourceFields["partyTypeName"] == "621")
        #expect(record.sourceFields["cardNum"] == "91330100799655058B")
    }

    @Test func readsANaturalPersonFromNumbers() throws {
        let record = try CourtDebtorRow.record(from: Self.person)
        #expect(record.subjectID == "330102198507161235")
        #expect(record.subjectScheme == .residentID)
        #expect(record.subjectKind == .naturalPerson)
        #expect(record.relatedPersons.isEmpty)
        #expect(record.decisionDate == "2024-01-05")
        #expect(record.legalBasis == nil)
        #expect(record.summary == "失信被执行人 (2024)浙0106执88号")
    }

    @Test func readsEpochMillisecondsOnTheCourtsClock() throws {
        var row = Self.person
        row["regDate"] = .int(1_704_384_000_000)  // 2024-01-04T16:00:00Z = 2024-01-05 00:00 in UTC+8
        #expect(try CourtDebtorRow.record(from: row).decisionDate == "2024-01-05")
    }

    @Test(arguments: ["iname", "caseCode", "cardNum", "courtName", "regDate"])
    func refusesARowWithoutARequiredField(field: String) {
        var row = Self.organisation
        row[field] = nil
        #expect(
            domainError { () throws(DomainError) in try CourtDebtorRow.record(from: row) } == .missing(field: field))
        row[field] = .string("  ")
        #expect(
            domainError { () throws(DomainError) in try CourtDebtorRow.record(from: row) } == .missing(field: field))
        row[field] = .null
        #expect(
            domainError { () throws(DomainError) in try CourtDebtorRow.record(from: row) } == .missing(field: field))
    }

    @Test(arguments: [
        ("cardNum", JSONValue.string("91330100799655058A"), "check character should be B, found A"),
        ("cardNum", .string("3301021985****1235"), "is masked; the full identifier is required"),
        ("regDate", .string("2023年02月30日"), "2023-02-30 is not a calendar date"),
    ])
    func refusesInvalidValuesNamingTheCourtsField(field: String, value: JSONValue, reason: String) {
        var row = Self.organisation
        row[field] = value
        let error = domainError { () throws(DomainError) in try CourtDebtorRow.record(from: row) }
        #expect(error?.field == field)
        #expect(error?.reason == reason)
    }
}
