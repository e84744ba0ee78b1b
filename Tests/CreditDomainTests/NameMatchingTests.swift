import CreditDomain
import Foundation
import Testing

@Suite struct NameMatchingTests {
    @Test(arguments: [
        ("杭州某某贸易有限公司", "杭州某某贸易有限公司"),
        ("  杭州某某贸易有限公司\n", "杭州某某贸易有限公司"),  // trimmed
        ("杭州 某某\t贸易　有限公司", "杭州某某贸易有限公司"),  // inner and ideographic spaces removed
        ("杭州某某（贸易）有限公司", "杭州某某(贸易)有限公司"),  // full-width brackets
        ("ＡＢＣ科技１２３有限公司", "ABC科技123有限公司"),  // full-width letters and digits
        ("abc Technology (Hangzhou) Co., Ltd.", "ABCTECHNOLOGY(HANGZHOU)CO.,LTD."),  // Latin upper-cased
        ("ｘｙｚ［杭州］", "XYZ[杭州]"),
        ("买买提・艾力", "买买提·艾力"),  // middle-dot variants
        ("买买提•艾力", "买买提·艾力"),
        ("", ""),
        ("　 ", ""),
    ])
    func normalisesNames(name: String, expected: String) {
        #expect(CheckDecider.normalisedName(name) == expected)
    }

    /// Every scalar of the Basic Multilingual Plane: white space (by its Unicode property) is dropped,
    /// Latin letters upper-cased, Chinese characters kept, whether or not a fast path takes them.
    @Test func dropsEveryWhiteSpaceScalarAndKeepsEveryIdeograph() {
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let normalised = CheckDecider.normalisedName(String(Character(scalar)))
            if scalar.properties.isWhitespace {
                #expect(normalised.isEmpty, "U+\(String(value, radix: 16))")
            } else if (0x61...0x7A).contains(value) {
                #expect(normalised == String(Character(scalar)).uppercased())
            } else if value < 0x80 || scalar.properties.isIdeographic {
                #expect(normalised == String(Character(scalar)), "U+\(String(value, radix: 16))")
            }
        }
    }

    @Test func neverMatchesFuzzily() {
        let listed = CheckDecider.normalisedName("杭州某某贸易有限公司")
        for near in ["杭州某某贸易公司", "杭州某某贸易有限公司分公司", "杭州某某貿易有限公司", "杭州某某"] {
            #expect(CheckDecider.normalisedName(near) != listed, "\(near)")
        }
    }

    static func decide(_ department: Department, _ action: String, _ listings: [Listing]) -> CheckOutcome {
        CheckDecider.decide(
            department: department, action: action, today: CheckDeciderTests.today, nameMatches: listings,
            catalogue: shippedCatalogue)
    }

    @Test func blocksAnOrganisationMatchedByNameOnly() {
        let outcome = Self.decide(.finance, "government-procurement", [CheckDeciderTests.listing("L-1", .black)])
        #expect(outcome.decision == .block)
        #expect(outcome.matchedBy == "name")
        #expect(outcome.matched.map(\.measureID) == ["finance.procurement-ban"])
        #expect(
            outcome.reason
                == "blocked by finance.procurement-ban: black list listing L-1 initiated by court until 2028-01-05"
                + "; matched by name only (no identifier given)")
    }

    @Test func allowsWithoutAMatchAndStillSaysItWasByName() {
        let outcome = Self.decide(.finance, "government-procurement", [])
        #expect(outcome.decision == .allow)
        #expect(outcome.matchedBy == "name")
        #expect(outcome.reason.hasSuffix("matched by name only (no identifier given)"))
    }

    @Test func fastTracksAndReviewsByNameAsByIdentifier() {
        #expect(Self.decide(.market, "license-approval", [CheckDeciderTests.listing("R-1", .red)]).decision == .fastTrack)
        #expect(
            Self.decide(.market, "license-approval", [CheckDeciderTests.listing("K-1", .keyAttention)]).decision
                == .review)
        let expired = CheckDeciderTests.listing("L-1", .black, until: "2026-01-01")
        #expect(Self.decide(.finance, "government-procurement", [expired]).decision == .allow)
    }

    @Test func reviewsInsteadOfBlockingANaturalPersonsName() {
        var person = CheckDeciderTests.listing("L-2", .black, subject: "11010519491231002X")
        person.subjectKind = .naturalPerson
        person.subjectName = "张伟"
        let outcome = Self.decide(.commerce, "hotel-booking-4star", [person])
        #expect(outcome.decision == .review)
        #expect(outcome.reason.hasPrefix("review required instead of a block (a natural person's name is not unique)"))
        #expect(outcome.reason.hasSuffix("matched by name only (no identifier given)"))
        #expect(outcome.matched.first?.effect == .block)
    }

    @Test func reviewsInsteadOfBlockingANameSharedBySeveralSubjects() {
        let listings = [
            CheckDeciderTests.listing("L-1", .black),
            CheckDeciderTests.listing("L-2", .black, subject: "91330100MA2B3C4D1A"),
        ]
        let outcome = Self.decide(.finance, "government-procurement", listings)
        #expect(outcome.decision == .review)
        #expect(outcome.reason.contains("shared by 2 listed subjects"))
        // Two listings of the one subject still block.
        let same = [CheckDeciderTests.listing("L-1", .black), CheckDeciderTests.listing("L-3", .black)]
        #expect(Self.decide(.finance, "government-procurement", same).decision == .block)
    }

    @Test func identifierOutcomesSayHowTheyMatched() {
        let own = CheckDeciderTests.decide(.finance, "government-procurement", [CheckDeciderTests.listing("L-1", .black)])
        #expect(own.matchedBy == "identifier")
        let related = CheckDeciderTests.decide(
            .commerce, "hotel-booking-4star", [], related: [(.principal, CheckDeciderTests.listing("L-1", .black))])
        #expect(related.matchedBy == "related-person")
        #expect(CheckOutcome(decision: .allow, matched: [], reason: "r").matchedBy == "identifier")
    }
}

extension NameMatchingTests {
    /// Outcomes encoded before `matchedBy` existed (logs, replicas) still decode.
    @Test func decodesAnOutcomeWithoutMatchedBy() throws {
        let old = Data(#"{"decision":"allow","matched":[],"reason":"allowed"}"#.utf8)
        let outcome = try JSONDecoder().decode(CheckOutcome.self, from: old)
        #expect(outcome.matchedBy == "identifier")
        let named = CheckOutcome(decision: .review, matched: [], reason: "r", matchedBy: "name")
        let again = try JSONDecoder().decode(CheckOutcome.self, from: JSONEncoder().encode(named))
        #expect(again.matchedBy == "name")
    }
}
