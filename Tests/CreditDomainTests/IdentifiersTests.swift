import CreditDomain
import Testing

@Suite struct IdentifiersTests {
    // MARK: - Unified social credit code

    /// Codes whose check characters were computed with the GB 32100-2015 weights and whose positions
    /// 9–17 are organisation codes with their GB 11714-1997 check character; 91350100M000100Y43 is the
    /// standard's published example, 91440300708461136T a well-known enterprise's code.
    @Test(arguments: [
        ("91330100799655058B", SubjectKind.enterprise),
        ("91350100M000100Y43", .enterprise),
        ("91440300708461136T", .enterprise),
        ("93330521MA28C0003F", .enterprise),
        ("92330102MA2AB000XB", .individualBusiness),
        ("113300000024820668", .governmentAgency),
        ("123300004700000482", .publicInstitution),
        ("51330000MJ88000015", .socialOrganisation),
    ])
    func acceptsValidUnifiedSocialCreditCodes(code: String, kind: SubjectKind) throws {
        let id = try Identifiers.unifiedSocialCreditCode(code, field: "code")
        #expect(id.value == code)
        #expect(id.scheme == .unifiedSocialCreditCode)
        #expect(id.impliedKind == kind)
    }

    @Test func trimsAndUpperCasesCodes() throws {
        let id = try Identifiers.unifiedSocialCreditCode("  91330100799655058b\n", field: "code")
        #expect(id.value == "91330100799655058B")
    }

    @Test(arguments: [
        ("91330100799655058A", "check character should be B, found A"),
        ("91350100M000100Y44", "check character should be 3, found 4"),
        ("9133I100799655058B", "character 'I' at position 5 is not allowed (no I, O, Z, S, V)"),
        ("91330100799655O58B", "character 'O' at position 15 is not allowed (no I, O, Z, S, V)"),
        ("9133010079965505SB", "character 'S' at position 17 is not allowed (no I, O, Z, S, V)"),
        (
            "91330100-99655058B",
            "character '-' at position 9 is not allowed (only digits and letters other than I, O, Z, S, V)"
        ),
        // Position 17 is the organisation code's check character: 79965505 wants 8.
        (
            "91330100799655059U",
            "organisation code 799655059 in positions 9–17 fails its GB 11714-1997 check: position 17 should be 8, found 9"
        ),
        (
            "92330102MA2AB00003",
            "organisation code MA2AB0000 in positions 9–17 fails its GB 11714-1997 check: position 17 should be X, found 0"
        ),
        ("91330100799655058", "a unified social credit code must be 18 characters, found 17"),
        ("91330100799655058BB", "a unified social credit code must be 18 characters, found 19"),
        ("", "a unified social credit code must be 18 characters, found 0"),
    ])
    func refusesInvalidCodesNamingTheRule(code: String, reason: String) {
        let error = domainError { () throws(DomainError) in
            try Identifiers.unifiedSocialCreditCode(code, field: "CF_XDR_SHXYM")
        }
        #expect(error?.field == "CF_XDR_SHXYM")
        #expect(error?.reason == reason)
    }

    @Test func computesCheckCharacters() {
        #expect(Identifiers.usccCheckCharacter(for: "91330100799655058") == "B")
        #expect(Identifiers.usccCheckCharacter(for: "91350100M000100Y4") == "3")
        #expect(Identifiers.usccCheckCharacter(for: "9133010079965505") == nil)
        #expect(Identifiers.usccCheckCharacter(for: "9133I100799655058") == nil)
        #expect(Identifiers.organisationCodeCheckCharacter(for: "79542205") == "4")
        #expect(Identifiers.organisationCodeCheckCharacter(for: "MA2AB000") == "X")
        #expect(Identifiers.organisationCodeCheckCharacter(for: "00248206") == "6")
        #expect(Identifiers.residentIDCheckCharacter(for: "11010519491231002") == "X")
        #expect(Identifiers.residentIDCheckCharacter(for: "33010219850716123") == "5")
        #expect(Identifiers.residentIDCheckCharacter(for: "3301021985071612A") == nil)
    }

    @Test func completesCodesFromTheirFirstSixteenCharacters() {
        #expect(Identifiers.usccCompleting("9133010079965505") == "91330100799655058B")
        #expect(Identifiers.usccCompleting("91350100m000100y") == "91350100M000100Y43")
        #expect(Identifiers.usccCompleting("92330102MA2AB000") == "92330102MA2AB000XB")
        #expect(Identifiers.usccCompleting("913301007996550") == nil)
        #expect(Identifiers.usccCompleting("9133I10079965505") == nil)
    }

    // MARK: - Resident ID

    @Test(arguments: [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("330102198507161235", "330102198507161235"),
        (" 440304199003070018 ", "440304199003070018"),
        ("330102190001010011", "330102190001010011"),
    ])
    func acceptsValidResidentIDs(text: String, value: String) throws {
        let id = try Identifiers.residentID(text, field: "cardNum")
        #expect(id.value == value)
        #expect(id.scheme == .residentID)
        #expect(id.impliedKind == .naturalPerson)
    }

    @Test(arguments: [
        ("330102198507161234", "check character should be 5, found 4"),
        ("110105194912310029", "check character should be X, found 9"),
        ("330102199902301239", "birth date 19990230 in positions 7–14 is not a calendar date"),
        ("330102209901011236", "birth date 20990101 in positions 7–14 is in the future"),
        ("330102189912311234", "birth date 18991231 in positions 7–14 is before 1900"),
        ("33010219850716123", "a resident ID must be 18 characters, found 17"),
        ("3301021985071612A5", "character 'A' at position 17 is not allowed (the first 17 are digits)"),
        ("33010219850716123Y", "character 'Y' at position 18 is not allowed (the check character is a digit or X)"),
    ])
    func refusesInvalidResidentIDsNamingTheRule(text: String, reason: String) {
        let error = domainError { () throws(DomainError) in try Identifiers.residentID(text, field: "cardNum") }
        #expect(error?.field == "cardNum")
        #expect(error?.reason == reason)
    }

    // MARK: - Either scheme

    @Test(arguments: [
        ("11010519491231002x", IdentifierScheme.residentID),
        ("330102198507161235", .residentID),
        ("91330100799655058B", .unifiedSocialCreditCode),
        // All digits, so resident-ID-shaped, but 00470000 is no birth date: a valid code instead.
        ("123300004700000482", .unifiedSocialCreditCode),
    ])
    func choosesTheSchemeByShape(text: String, scheme: IdentifierScheme) throws {
        #expect(try Identifiers.subjectID(text, field: "id").scheme == scheme)
    }

    @Test(arguments: [
        ("330102198507161234", "check character should be 5, found 4"),
        ("33010219850716123", "a resident ID must be 18 characters, found 17"),
        ("330102199902301239", "birth date 19990230 in positions 7–14 is not a calendar date"),
        ("91330100799655058A", "check character should be B, found A"),
        ("91350100M000100Y4", "a unified social credit code must be 18 characters, found 17"),
        // Digits only: read as a resident ID missing digits.
        ("9133010079965505", "a resident ID must be 18 characters, found 16"),
        ("3301021985****1235", "is masked; the full identifier is required"),
        // Digits, but no region 91: a unified social credit code that fits but for its check character.
        (
            "913305007954220540",
            "as a unified social credit code, check character should be Q, found 0 (it is no resident ID: "
                + "region code 91 in positions 1–2 is no province-level division "
                + "(11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81–83))"
        ),
        // No birth date either: the code reading gets further.
        (
            "123300004700000481",
            "as a unified social credit code, check character should be 2, found 1 (it is no resident ID: "
                + "birth date 00470000 in positions 7–14 is not a calendar date)"
        ),
        // A fine resident ID but for its check character, and a code whose organisation code fails too:
        // the resident ID fits better.
        ("110105194912310029", "check character should be X, found 9"),
        // Both readings fit but for their final check character: both are named.
        (
            "110105194912310050",
            "neither reading checks: as a resident ID, check character should be 4, found 0; "
                + "as a unified social credit code, check character should be L, found 0"
        ),
    ])
    func reportsTheLikelierSchemesError(text: String, reason: String) {
        let error = domainError { () throws(DomainError) in try Identifiers.subjectID(text, field: "cardNum") }
        #expect(error?.field == "cardNum")
        #expect(error?.reason == reason)
    }

    // MARK: - Masking

    @Test(arguments: [
        ("11010519491231002X", "110105********002X"),
        ("330102198507161235", "330102********1235"),
        // A resident-ID-shaped text that is no valid identifier is still masked: privacy first.
        ("330102198507161234", "330102********1234"),
        ("91330100799655058B", "91330100799655058B"),
        ("123300004700000482", "123300004700000482"),
        ("E12345678", "E1*****78"),
        ("1234567", "*******"),
        ("", ""),
    ])
    func masksPersonalIdentifiersOnly(id: String, masked: String) {
        #expect(Identifiers.maskForPublic(id) == masked)
    }
}
