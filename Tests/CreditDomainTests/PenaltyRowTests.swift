import CreditDomain
import Testing

@Suite struct PenaltyRowTests {
    /// An organisation's penalty with every double-publicity field filled.
    static let organisation: [String: String] = [
        "CF_WSH": "杭上市监处罚〔2024〕12号",
        "CF_XDR_MC": "杭州某某贸易有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": "91330100799655058B",
        "CF_FRDB": "张三",
        "CF_FR_ZJHM": "330102198507161235",
        "CF_CFLB": "罚款；没收违法所得",
        "CF_NR": "罚款人民币10万元，没收违法所得2万元",
        "CF_NR_FK": "10",
        "CF_WFXW": "销售不合格产品",
        "CF_YJ": "《中华人民共和国产品质量法》第四十九条",
        "CF_JDRQ": "2024/1/5",
        "CF_YXQ": "2025-01-05",
        "CF_GSJZQ": "2027年1月5日",
        "CF_CFJG": "杭州市上城区市场监督管理局",
        "CF_CFJGDM": "11330102MB1234562U",
        "CF_SJLY": "杭州市上城区市场监督管理局",
        "CF_BZ": "",
    ]

    /// A natural person's warning: certificate number instead of a code, lower-case field codes.
    static let person: [String: String] = [
        "cf_wsh": "杭公(上)行罚决字〔2024〕88号",
        "cf_xdr_mc": "李四",
        "cf_xdr_lb": "自然人",
        "cf_xdr_shxym": "",
        "cf_zjhm": "11010519491231002x",
        "cf_cflb": "警告",
        "cf_jdrq": "20240105",
        "cf_cfjg": "杭州市公安局上城区分局",
    ]

    @Test func readsAnOrganisationsPenalty() throws {
        let record = try PenaltyRow.record(from: Self.organisation)
        #expect(record.kind == .penalty)
        #expect(record.subjectID == "91330100799655058B")
        #expect(record.subjectScheme == .unifiedSocialCreditCode)
        #expect(record.subjectKind == .enterprise)
        #expect(record.subjectName == "杭州某某贸易有限公司")
        #expect(
            record.relatedPersons == [
                RelatedPerson(role: .legalRepresentative, name: "张三", personID: "330102198507161235")
            ])
        #expect(record.documentNumber == "杭上市监处罚〔2024〕12号")
        #expect(record.authority == "杭州市上城区市场监督管理局")
        #expect(record.legalBasis == "《中华人民共和国产品质量法》第四十九条")
        #expect(record.summary == "罚款人民币10万元，没收违法所得2万元")
        #expect(record.decisionDate == "2024-01-05")
        #expect(record.validUntil == "2025-01-05")
        #expect(record.publicityEnd == "2027-01-05")
        #expect(record.fineAmount == 10)
        #expect(record.severity == .serious)
        #expect(record.sourceFields["CF_WFXW"] == "销售不合格产品")
        #expect(record.sourceFields["CF_BZ"] == "")
    }

    @Test func readsANaturalPersonWithLowerCaseCodes() throws {
        let record = try PenaltyRow.record(from: Self.person)
        #expect(record.subjectID == "11010519491231002X")
        #expect(record.subjectScheme == .residentID)
        #expect(record.subjectKind == .naturalPerson)
        #expect(record.decisionDate == "2024-01-05")
        #expect(record.severity == .general)
        #expect(record.fineAmount == nil)
        #expect(record.summary == "警告")
        #expect(record.sourceFields["CF_ZJHM"] == "11010519491231002x")
        #expect(record.sourceFields["cf_zjhm"] == nil)
    }

    @Test func readsAnIndividualBusinessIdentifiedByItsOperatorsID() throws {
        var row = Self.person
        row["cf_xdr_lb"] = "个体工商户"
        row["cf_zjhm"] = nil
        row["CF_XDR_ZJHM"] = "330102198507161235"
        let record = try PenaltyRow.record(from: row)
        #expect(record.subjectKind == .individualBusiness)
        #expect(record.subjectScheme == .residentID)
        #expect(record.subjectID == "330102198507161235")
    }

    @Test func gradesRevocationAsSevere() throws {
        var row = Self.organisation
        row["CF_CFLB"] = "吊销营业执照"
        row["CF_NR_FK"] = nil
        #expect(try PenaltyRow.record(from: row).severity == .severe)
        #expect(try PenaltyRow.record(from: row, rules: SeverityRules()).severity == .severe)
    }

    @Test(arguments: ["CF_WSH", "CF_XDR_MC", "CF_JDRQ", "CF_CFJG"])
    func refusesARowWithoutARequiredField(field: String) {
        var row = Self.organisation
        row[field] = nil
        #expect(domainError { () throws(DomainError) in try PenaltyRow.record(from: row) } == .missing(field: field))
        row[field] = " "
        #expect(domainError { () throws(DomainError) in try PenaltyRow.record(from: row) } == .missing(field: field))
    }

    @Test func refusesARowWithoutAnyIdentifier() {
        var row = Self.organisation
        row["CF_XDR_SHXYM"] = ""
        let error = domainError { () throws(DomainError) in try PenaltyRow.record(from: row) }
        #expect(error?.field == "CF_XDR_SHXYM")
        #expect(error?.reason.contains("CF_XDR_ZJHM") == true)
    }

    @Test(arguments: [
        ("CF_XDR_SHXYM", "91330100799655058A", "check character should be B, found A"),
        ("CF_FR_ZJHM", "330102198507161234", "check character should be 5, found 4"),
        ("CF_NR_FK", "-1", "must be a fine in 万元, a decimal number ≥ 0"),
        ("CF_NR_FK", "ten", "must be a fine in 万元, a decimal number ≥ 0"),
        ("CF_JDRQ", "2023-02-30", "2023-02-30 is not a calendar date"),
        ("CF_YXQ", "2024-01-04", "is before the decision date 2024-01-05"),
        ("CF_GSJZQ", "someday", "is not a date; write it as yyyy-MM-dd, such as 2024-01-05"),
        ("CF_XDR_LB", "外国人", "must be 法人及非法人组织, 自然人 or 个体工商户"),
    ])
    func refusesInvalidValuesNamingTheField(field: String, value: String, reason: String) {
        var row = Self.organisation
        row[field] = value
        let error = domainError { () throws(DomainError) in try PenaltyRow.record(from: row) }
        #expect(error?.field == field)
        #expect(error?.reason == reason)
    }

    @Test func refusesANaturalPersonIdentifiedByAnOrganisationCode() {
        var row = Self.organisation
        row["CF_XDR_LB"] = "自然人"
        #expect(domainError { () throws(DomainError) in try PenaltyRow.record(from: row) }?.field == "CF_XDR_LB")
    }

    @Test(arguments: ["10", "10.0", " 10 ", "10万元", "10万"])
    func readsFinesInTenThousandYuan(text: String) throws {
        var row = Self.organisation
        row["cf_nr_fk"] = text
        row["CF_NR_FK"] = nil
        #expect(try PenaltyRow.record(from: row).fineAmount == 10)
    }
}
