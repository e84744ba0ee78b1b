import CreditDomain
import MeshProtocol
import Testing

/// Licences (XK_*), the native format of every kind, and the severity rules around them.
@Suite struct RecordFormatsTests {
    static let code = "91330100799655058B"

    static func licence(_ overrides: [String: String] = [:]) -> [String: String] {
        var row = [
            "XK_XDR_MC": "杭州某某贸易有限公司", "XK_XDR_LB": "法人及非法人组织", "XK_XDR_SHXYM": code, "XK_XDR_ZZJG": "79965505-8",
            "XK_FRDB": "张三", "XK_FR_ZJLX": "001", "XK_FR_ZJHM": "11010519491231002X", "XK_XKWS": "食品经营许可决定书",
            "XK_WSH": "杭上市监许〔2024〕88号", "XK_XKLB": "普通", "XK_XKZS": "食品经营许可证", "XK_XKBH": "JY13301020012345",
            "XK_NR": "预包装食品销售（含冷藏冷冻食品）", "XK_JDRQ": "2024-01-05", "XK_YXQZ": "2024-01-05", "XK_YXQZI": "2029-01-04",
            "XK_XKJG": "杭州市上城区市场监督管理局", "XK_XKJGDM": "11330102002481213X", "XK_ZT": "1",
        ]
        for (key, value) in overrides { row[key] = value }
        return row
    }

    @Test func readsALicenceWithEveryStandardField() throws {
        let record = try LicenceRow.record(from: Self.licence())
        #expect(record.kind == .licence)
        #expect(record.subjectID == Self.code && record.subjectKind == .enterprise)
        #expect(record.documentNumber == "杭上市监许〔2024〕88号" && record.authority == "杭州市上城区市场监督管理局")
        #expect(record.decisionDate == "2024-01-05" && record.validFrom == "2024-01-05" && record.validUntil == "2029-01-04")
        #expect(record.category == "普通" && record.summary == "预包装食品销售（含冷藏冷冻食品）")
        #expect(record.relatedPersons == [RelatedPerson(role: .legalRepresentative, name: "张三", personID: "11010519491231002X")])
        #expect(record.subjectAliases == [SubjectAlias(scheme: .organisationCode, value: "799655058")])
        #expect(record.severity == nil && !record.isNegative)
        #expect(record.sourceFields["XK_XKBH"] == "JY13301020012345")
    }

    @Test(arguments: [
        (["XK_WSH": ""], "XK_WSH", "is required"),
        (["XK_XKJG": " "], "XK_XKJG", "is required"),
        (["XK_YXQZI": "2023-12-31"], "XK_YXQZI", "is before the start of validity 2024-01-05"),
        (["XK_JDRQ": "2024-02-30"], "XK_JDRQ", "2024-02-30 is not a calendar date"),
        (["XK_XDR_ZZJG": "79965505-9"], "XK_XDR_ZZJG", "check character should be 8, found 9"),
        (
            ["XK_XDR_SHXYM": "", "XK_XDR_LB": "自然人", "XK_XDR_ZJLX": "护照号", "XK_XDR_ZJHM": "E1"], "XK_XDR_ZJHM",
            "a passport number is 5–17 letters and digits"
        ),
        (
            ["XK_FR_ZJLX": "驾驶证"], "XK_FR_ZJLX",
            "is no certificate type; use 001 身份证, 002 护照号, 003 港澳居民来往内地通行证, 004 台湾居民来往大陆通行证 or 005 外国人永久居留身份证"
        ),
    ])
    func refusesABadLicenceRowNamingTheField(overrides: [String: String], field: String, reason: String) {
        let error = domainError { () throws(DomainError) in try LicenceRow.record(from: Self.licence(overrides)) }
        #expect(error?.field == field)
        #expect(error?.reason == reason)
    }

    @Test func readsAPersonKnownByAPassport() throws {
        let record = try LicenceRow.record(
            from: Self.licence([
                "XK_XDR_SHXYM": "", "XK_XDR_ZZJG": "", "XK_XDR_LB": "自然人", "XK_XDR_ZJLX": "002", "XK_XDR_ZJHM": "e12345678",
            ]))
        #expect(record.subjectID == "E12345678" && record.subjectScheme == .passport && record.subjectKind == .naturalPerson)
    }

    // MARK: - Native

    static func native(_ kind: RecordKind, _ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "kind": .string(kind.rawValue), "subjectID": .string(code), "subjectName": "杭州某某贸易有限公司",
            "documentNumber": "DOC-1", "authority": "杭州市税务局", "decisionDate": "2024/3/5",
        ]
        for (key, value) in extra { object[key] = value }
        return object
    }

    @Test(
        arguments: [
            (RecordKind.licence, [:], nil as Severity?),
            (.penalty, ["category": "罚款", "fineAmount": "60"], .severe),
            (.otherAdministrativeAct, ["category": "强制"], nil),
            (.courtDishonestDebtor, [:], .severe),
            (.taxArrears, ["amount": "250000"], .serious),
            (.taxArrears, ["amount": "2000"], .general),
            (.commendation, ["category": "省级"], nil),
            (.commitment, [:], nil),
            (.commitment, ["performance": "breached"], .serious),
            (.voluntary, [:], nil),
            (.contractPerformance, ["performance": "kept", "amount": "100000"], nil),
            (.contractPerformance, ["performance": "breached"], .general),
            (.thirdPartyReport, ["summary": "信用等级 AA"], nil),
            (.taxArrears, ["amount": "10", "severity": "严重"], .severe),
        ] as [(RecordKind, [String: JSONValue], Severity?)])
    func readsEveryKindInTheNativeFormat(kind: RecordKind, extra: [String: JSONValue], severity: Severity?) throws {
        let record = try NativeRecordRow.record(from: Self.native(kind, extra))
        #expect(record.kind == kind)
        #expect(record.decisionDate == "2024-03-05")
        #expect(record.severity == severity)
        if kind == .otherAdministrativeAct { #expect(record.category == "行政强制") }
        if kind == .commitment, extra.isEmpty { #expect(record.performance == .pending) }
    }

    @Test(
        arguments: [
            (
                ["kind": "fine"], "kind",
                "is no record kind; kinds are licence, penalty, other-administrative-act, court-dishonest-debtor, tax-arrears, commendation, commitment, voluntary, contract-performance, third-party-report"
            ),
            (["kind": "tax-arrears"], "amount", "is required"),
            (["kind": "contract-performance"], "performance", "is required"),
            (
                ["kind": "other-administrative-act", "category": "行政许可"], "category",
                "an other administrative act is one of 行政强制, 行政确认, 行政征收, 行政给付, 行政裁决, 行政补偿, 行政奖励, 行政监督检查"
            ),
            (
                ["kind": "licence", "severity": "severe"], "severity",
                "only negative records carry a severity; a licence record is not negative"
            ),
            (["kind": "licence", "performance": "kept"], "performance", "applies to commitment and contract-performance records only"),
            (
                ["kind": "licence", "subjectKind": "natural-person"], "subjectKind",
                "contradicts the identifier 91330100799655058B, whose kind is enterprise"
            ),
            (["kind": "licence", "subjectID": "91330100799655058A"], "subjectID", "check character should be B, found A"),
            (["kind": "penalty", "fineAmount": "-1"], "fineAmount", "must be an amount in 万元, a decimal number ≥ 0"),
            (["kind": "licence", "validUntil": "2020-01-01"], "validUntil", "is before the decision date 2024-03-05"),
            (
                ["kind": "licence", "relatedPersons": .array([.object(["role": "boss", "name": "张三"])])], "relatedPersons[0].role",
                "must be legal-representative, principal or actual-controller (法定代表人, 主要负责人, 实际控制人)"
            ),
        ] as [([String: JSONValue], String, String)])
    func refusesABadNativeRowNamingTheField(fields: [String: JSONValue], field: String, reason: String) {
        var object = Self.native(.licence)
        for (key, value) in fields { object[key] = value }
        let error = domainError { () throws(DomainError) in try NativeRecordRow.record(from: object) }
        #expect(error?.field == field)
        #expect(error?.reason == reason)
    }

    @Test func readsRelatedPersonsAndAliasesOfANativeRow() throws {
        let record = try NativeRecordRow.record(
            from: Self.native(
                .voluntary,
                [
                    "relatedPersons": .array([
                        .object(["role": "实际控制人", "name": "李四", "personID": "330102198507161235", "from": "2020-01-01"])
                    ]),
                    "legalRepresentative": "张三", "organisationCode": "79965505-8",
                    "aliases": .array([.object(["scheme": "tax-registration-number", "value": "330100799655058"])]),
                ]))
        #expect(
            record.relatedPersons == [
                RelatedPerson(role: .legalRepresentative, name: "张三"),
                RelatedPerson(role: .actualController, name: "李四", personID: "330102198507161235", from: "2020-01-01"),
            ])
        #expect(
            record.subjectAliases == [
                SubjectAlias(scheme: .organisationCode, value: "799655058"),
                SubjectAlias(scheme: .taxRegistrationNumber, value: "330100799655058"),
            ])
    }

    // MARK: - Severity configuration

    @Test func readsSeverityRulesFromConfigKeys() throws {
        let rules = try SeverityRules.parse([
            "registry.severity.seriousFine": "1", "registry.severity.severeFine": "10",
            "registry.severity.severeCategories": "吊销, 责令关闭", "registry.severity.taxArrearsSerious": "5000",
            "registry.severity.breachedCommitment": "严重", "registry.other": "ignored",
        ])
        #expect(rules.seriousFineThreshold == 1 && rules.severeFineThreshold == 10)
        #expect(rules.severeKeywords == ["吊销", "责令关闭"])
        #expect(rules.severity(categories: ["行政拘留"], fine: nil) == .general)
        #expect(rules.severity(taxArrears: 6000) == .serious)
        #expect(rules.breachedCommitment == .severe)
    }

    @Test(arguments: [
        (["registry.severity.seriousFine": "five"], "registry.severity.seriousFine", "must be a number ≥ 0"),
        (["registry.severity.breachedContract": "bad"], "registry.severity.breachedContract", "must be general, serious or severe"),
        (["registry.severity.seriousFine": "60"], "registry.severity.seriousFine", "must not exceed registry.severity.severeFine"),
        (
            ["registry.severity.colour": "red"], "registry.severity.colour",
            "unknown severity rule; rules are seriousFine, severeFine, seriousCategories, severeCategories, taxArrearsSerious, taxArrearsSevere, breachedCommitment, breachedContract"
        ),
    ])
    func refusesBadSeverityConfigNamingTheKey(values: [String: String], key: String, reason: String) {
        let error = domainError { () throws(DomainError) in try SeverityRules.parse(values) }
        #expect(error?.field == key)
        #expect(error?.reason == reason)
    }

    @Test func aPenaltyRowMayStateItsSeverity() throws {
        let row = [
            "CF_WSH": "罚1", "CF_XDR_MC": "甲", "CF_XDR_SHXYM": Self.code, "CF_CFJG": "局", "CF_JDRQ": "2024-01-05", "CF_CFLB": "警告",
            "SEVERITY": "较重",
        ]
        #expect(try PenaltyRow.record(from: row).severity == .serious)
        #expect(
            domainError { () throws(DomainError) in try PenaltyRow.record(from: row.merging(["SEVERITY": "huge"]) { $1 }) }?.field
                == "SEVERITY")
    }
}
