import CreditDomain
import Testing

@Suite struct SeverityRulesTests {
    @Test(
        arguments: [
            ("警告", nil, Severity.general),
            ("通报批评", nil, .general),
            ("罚款", 1.0, .general),
            ("罚款", 4.99, .general),
            ("罚款", 5.0, .serious),
            ("罚款", 49.99, .serious),
            ("罚款", 50.0, .severe),
            ("警告;罚款", 120.0, .severe),
            ("没收违法所得；罚款", 0.5, .serious),
            ("责令停产停业", nil, .serious),
            ("暂扣许可证", nil, .serious),
            ("暂扣或者吊销许可证", nil, .serious),
            ("暂扣或者吊销许可证、吊销营业执照", nil, .severe),
            ("吊销营业执照", nil, .severe),
            ("吊销许可证", 1.0, .severe),
            ("责令关闭", nil, .severe),
            ("行政拘留", nil, .severe),
            ("licence revocation", nil, .severe),
        ] as [(String, Double?, Severity)])
    func gradesByCategoryAndFine(categories: String, fine: Double?, expected: Severity) {
        let severity = SeverityRules.standard.severity(categories: SeverityRules.categories(categories), fine: fine)
        #expect(severity == expected)
    }

    @Test func thresholdsAreConfigurable() {
        let rules = SeverityRules(seriousFineThreshold: 1, severeFineThreshold: 10)
        #expect(rules.severity(categories: ["罚款"], fine: 0.5) == .general)
        #expect(rules.severity(categories: ["罚款"], fine: 2) == .serious)
        #expect(rules.severity(categories: ["罚款"], fine: 10) == .severe)
        #expect(SeverityRules.standard.seriousFineThreshold == 5)
        #expect(SeverityRules.standard.severeFineThreshold == 50)
    }

    @Test func splitsJoinedCategories() {
        #expect(
            SeverityRules.categories("警告;罚款，没收违法所得、责令停产停业；, ")
                == ["警告", "罚款", "没收违法所得", "责令停产停业"])
        #expect(SeverityRules.categories("罚款") == ["罚款"])
        #expect(SeverityRules.categories("\u{3000}罚款\u{3000}，、 警告 ") == ["罚款", "警告"])
        #expect(SeverityRules.categories("；、,") == [])
    }
}
