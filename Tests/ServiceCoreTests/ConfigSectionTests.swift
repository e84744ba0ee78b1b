import CreditDomain
import ServiceKit
import Testing

/// `SuiteConfig.section`: how a service reads its authority table without ServiceKit knowing it.
@Suite struct ConfigSectionTests {
    @Test func readsTheSectionWithEnvironmentOverridesApplied() throws {
        let config = SuiteConfig(
            values: ["authority.market.lists": "black", "authority.market.records": "penalty", "registry.pub": "tcp://x:1"],
            environment: ["CREDIT_AUTHORITY_MARKET_LISTS": "black,red"])
        #expect(config.values(under: "authority.") == ["authority.market.lists": "black,red", "authority.market.records": "penalty"])
        let rules = try config.section("authority", default: AuthorityRules.standard, parse: AuthorityRules.parse)
        try rules.mayInitiate(.red, department: "market")
        #expect(throws: AuthorityRules.Refusal.self) { try rules.mayImport(.penalty, department: "court") }
    }

    @Test func withoutTheSectionTheDefaultHolds() throws {
        let rules = try SuiteConfig(values: [:]).section("authority", default: AuthorityRules.standard, parse: AuthorityRules.parse)
        #expect(rules.grants == AuthorityRules.standard.grants)
    }

    @Test func aBadValueStopsStartUpNamingTheSection() {
        let config = SuiteConfig(values: ["authority.market.lists": "grey"])
        do {
            _ = try config.section("authority", default: AuthorityRules.standard, parse: AuthorityRules.parse)
            Issue.record("a bad authority table was taken")
        } catch {
            #expect(error.key == "authority")
            #expect(error.description.contains("not a list"), "\(error)")
        }
    }
}
