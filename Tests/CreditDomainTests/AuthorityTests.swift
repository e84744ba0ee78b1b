import CreditDomain
import Testing

@Suite("Authority rules")
struct AuthorityTests {
    let rules = try! AuthorityRules.parse(
        [
            "authority.court.records": "court-dishonest-debtor",
            "authority.court.lists": "black",
            "authority.market.records": "penalty, licence",
            "authority.market.lists": "black,key-attention,red",
            "authority.ndrc.approves": "*",
            "authority.tax.approves": "own,market",
        ], source: "test.yaml")

    @Test func grantsAllowWhatTheyList() throws {
        try rules.mayImport(.courtDishonestDebtor, department: "court")
        try rules.mayImport(.penalty, department: "market")
        try rules.mayInitiate(.red, department: "market")
        try rules.mayDecide(forInitiator: "court", department: "court")
        try rules.mayDecide(forInitiator: "court", department: "ndrc")
        try rules.mayDecide(forInitiator: "market", department: "tax")
    }

    @Test func refusalsNameTheRuleAndTheSource() {
        #expect(throws: AuthorityRules.Refusal.self) { try rules.mayImport(.penalty, department: "court") }
        do {
            try rules.mayInitiate(.red, department: "court")
            Issue.record("court initiated a red listing")
        } catch {
            #expect(error.rule == "authority.court.lists")
            #expect(error.description.contains("test.yaml") && error.description.contains("allows black"), "\(error)")
        }
        do {
            try rules.mayDecide(forInitiator: "court", department: "market")
            Issue.record("market decided for court")
        } catch {
            #expect(error.rule == "authority.market.approves")
        }
        do {
            try rules.mayDecide(forInitiator: "court", department: "tax")
            Issue.record("tax decided for court")
        } catch {
            #expect(error.rule == "authority.tax.approves")
            #expect(error.description.contains("its own and market"), "\(error)")
        }
        do {
            try rules.mayImport(.licence, department: "finance")
            Issue.record("a department without an entry submitted records")
        } catch {
            #expect(error.description.contains("no authority entry"), "\(error)")
        }
    }

    @Test(arguments: [
        ("authority.market.records", "fines", "not a record kind"),
        ("authority.market.lists", "grey", "not a list"),
        ("authority.market.powers", "all", "unknown authority rule"),
        ("authority.Market.lists", "black", "department"),
        ("authority.market", "black", "authority.<department>"),
    ])
    func badEntriesAreNamed(key: String, value: String, expected: String) {
        do {
            _ = try AuthorityRules.parse([key: value], source: "test.yaml")
            Issue.record("\(key)=\(value) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test func standardTableKeepsTheCourtListWithTheCourt() throws {
        try AuthorityRules.standard.mayImport(.courtDishonestDebtor, department: "court")
        #expect(throws: AuthorityRules.Refusal.self) { try AuthorityRules.standard.mayImport(.courtDishonestDebtor, department: "market") }
        #expect(throws: AuthorityRules.Refusal.self) { try AuthorityRules.standard.mayInitiate(.red, department: "court") }
        try AuthorityRules.standard.mayDecide(forInitiator: "market", department: "ndrc")
    }
}
