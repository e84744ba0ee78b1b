import CreditDomain
import Testing

/// Identifier rules of the credit archive: every GB 32100 registration authority and organisation
/// type, resident ID regions, other certificates of persons, legacy codes.
@Suite struct RegistryIdentifiersTests {
    /// A code of the given authority and type with correct check characters (organisation code and code).
    static func code(_ prefix: String, body: String = "330100MA2AB000") -> String {
        Identifiers.usccCompleting(prefix + body)!
    }

    static func residentID(_ first17: String) -> String {
        first17 + String(Identifiers.residentIDCheckCharacter(for: first17)!)
    }

    // MARK: - Unified social credit code

    @Test func acceptsEveryAuthorityAndTypeTheStandardDefines() throws {
        let pairs = USCCRegistration.all
        #expect(pairs.count == 36)
        for pair in pairs {
            let code = Self.code("\(pair.authority)\(pair.type)")
            let id = try Identifiers.unifiedSocialCreditCode(code, field: "code")
            #expect(id.impliedKind == pair.kind, "\(code) \(pair.authorityName) \(pair.typeName)")
        }
    }

    @Test(arguments: [
        ("11", SubjectKind.governmentAgency), ("12", .publicInstitution), ("13", .socialOrganisation), ("19", .publicInstitution),
        ("31", .enterprise), ("32", .publicInstitution), ("51", .socialOrganisation), ("53", .socialOrganisation),
        ("71", .socialOrganisation), ("81", .socialOrganisation), ("91", .enterprise), ("92", .individualBusiness),
        ("93", .enterprise), ("A1", .publicInstitution), ("N2", .enterprise), ("Y1", .enterprise),
    ])
    func derivesTheSubjectKindFromAuthorityAndType(prefix: String, kind: SubjectKind) throws {
        #expect(try Identifiers.unifiedSocialCreditCode(Self.code(prefix), field: "code").impliedKind == kind)
    }

    @Test(arguments: [
        ("94", "organisation type '4' in position 2 is not defined for registration authority 9 (工商); it defines 1 2 3"),
        ("17", "organisation type '7' in position 2 is not defined for registration authority 1 (机构编制); it defines 1 2 3 9"),
        ("Y2", "organisation type '2' in position 2 is not defined for registration authority Y (其他); it defines 1"),
        ("B1", "registration authority 'B' in position 1 is not defined by GB 32100-2015 (defined: 1 2 3 4 5 6 7 8 9 A N Y)"),
        ("01", "registration authority '0' in position 1 is not defined by GB 32100-2015 (defined: 1 2 3 4 5 6 7 8 9 A N Y)"),
    ])
    func refusesUndefinedAuthorityAndTypePairsByName(prefix: String, reason: String) {
        let error = domainError { () throws(DomainError) in
            try Identifiers.unifiedSocialCreditCode(Self.code(prefix), field: "CF_XDR_SHXYM")
        }
        #expect(error?.field == "CF_XDR_SHXYM")
        #expect(error?.reason == reason)
    }

    // MARK: - Resident ID

    @Test(arguments: ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82", "83"])
    func acceptsEveryProvinceLevelRegion(region: String) throws {
        let id = Self.residentID(region + "010219850716123")
        #expect(try Identifiers.residentID(id, field: "id").scheme == .residentID)
    }

    @Test(arguments: ["00", "10", "16", "20", "24", "38", "47", "55", "60", "66", "72", "84", "91", "99"])
    func refusesARegionThatIsNoProvince(region: String) {
        let id = Self.residentID(region + "010219850716123")
        let error = domainError { () throws(DomainError) in try Identifiers.residentID(id, field: "cardNum") }
        #expect(error?.reason.hasPrefix("region code \(region) in positions 1–2 is no province-level division") == true)
    }

    @Test(arguments: [
        ("330102200002301234", "birth date 20000230 in positions 7–14 is not a calendar date"),
        ("330102200102291234", "birth date 20010229 in positions 7–14 is not a calendar date"),
        ("330102213001011234", "birth date 21300101 in positions 7–14 is in the future"),
        ("3301021985071612351", "a resident ID must be 18 characters, found 19"),
    ])
    func refusesImpossibleBirthDatesAndLengths(id: String, reason: String) {
        let error = domainError { () throws(DomainError) in try Identifiers.residentID(id, field: "cardNum") }
        #expect(error?.reason == reason)
    }

    @Test func acceptsALeapDayBirth() throws {
        #expect(try Identifiers.residentID(Self.residentID("33010220000229123"), field: "id").value.hasPrefix("33010220000229"))
    }

    // MARK: - Other certificates

    @Test(arguments: [
        ("E12345678", CertificateType.passport), ("EA1234567", .passport), ("G12345678", .passport), ("X1234567", .passport),
        ("H12345678", .hongKongMacaoPermit), ("M1234567801", .hongKongMacaoPermit),
        ("12345678", .taiwanPermit), ("1234567890", .taiwanPermit), ("1234567890(B)", .taiwanPermit),
        ("USA330102198507", .foreignPermanentResident),
    ])
    func acceptsPlausibleCertificates(number: String, type: CertificateType) throws {
        let id = try Identifiers.personCertificate(number, type: type, field: "CF_XDR_ZJHM")
        #expect(id.scheme == type.scheme)
        #expect(id.impliedKind == .naturalPerson)
    }

    @Test func acceptsTheNewPermanentResidenceCardWithItsCheckCharacter() throws {
        let number = Self.residentID("93384019850716123")
        #expect(try Identifiers.personCertificate(number, type: .foreignPermanentResident, field: "id").value == number)
        let wrong = String(number.dropLast()) + (number.last == "1" ? "2" : "1")
        let error = domainError { () throws(DomainError) in
            try Identifiers.personCertificate(wrong, type: .foreignPermanentResident, field: "id")
        }
        #expect(error?.reason.hasPrefix("check character should be") == true)
    }

    @Test(arguments: [
        ("E123", CertificateType.passport, "a passport number is 5–17 letters and digits"),
        ("E-1234567", .passport, "a passport number is 5–17 letters and digits"),
        ("K12345678", .hongKongMacaoPermit, "a home-return permit number is H or M and 8 digits (10 on the older card)"),
        ("H1234567", .hongKongMacaoPermit, "a home-return permit number is H or M and 8 digits (10 on the older card)"),
        ("1234567", .taiwanPermit, "a Taiwan residents' permit number is 8 digits (10 on the older booklet)"),
        ("T1234567", .taiwanPermit, "a Taiwan residents' permit number is 8 digits (10 on the older booklet)"),
        (
            "US1330102198507", .foreignPermanentResident,
            "a permanent residence card number is 18 characters starting with 9, or 3 letters and 12 digits (2004 card)"
        ),
    ])
    func refusesImplausibleCertificates(number: String, type: CertificateType, reason: String) {
        let error = domainError { () throws(DomainError) in try Identifiers.personCertificate(number, type: type, field: "CF_XDR_ZJHM") }
        #expect(error?.field == "CF_XDR_ZJHM")
        #expect(error?.reason == reason)
    }

    @Test(arguments: [
        ("001", CertificateType.residentID), ("1", .residentID), ("身份证", .residentID), ("居民身份证", .residentID),
        ("002", .passport), ("护照号", .passport), ("护照", .passport), ("003", .hongKongMacaoPermit),
        ("港澳居民来往内地通行证", .hongKongMacaoPermit), ("004", .taiwanPermit), ("台湾居民来往大陆通行证", .taiwanPermit),
        ("005", .foreignPermanentResident), ("外国人永久居留身份证", .foreignPermanentResident), ("passport", .passport),
    ])
    func readsCertificateTypesAsTheStandardCodesThem(text: String, type: CertificateType) throws {
        #expect(try CertificateType(source: text, field: "CF_XDR_ZJLX") == type)
    }

    @Test func refusesAnUnknownCertificateType() {
        let error = domainError { () throws(DomainError) in try CertificateType(source: "驾驶证", field: "CF_XDR_ZJLX") }
        #expect(error?.field == "CF_XDR_ZJLX")
        #expect(error?.reason.contains("001 身份证") == true)
    }

    // MARK: - Legacy codes

    @Test func validatesOrganisationCodesByGB11714() throws {
        // D2143569-X is the standard's own example; 70846113-6 is positions 9–17 of 91440300708461136T.
        #expect(try Identifiers.organisationCode("D2143569-X", field: "ZZJG") == "D2143569X")
        #expect(try Identifiers.organisationCode("708461136", field: "ZZJG") == "708461136")
        let error = domainError { () throws(DomainError) in try Identifiers.organisationCode("70846113-7", field: "CF_XDR_ZZJG") }
        #expect(error == .invalid(field: "CF_XDR_ZZJG", value: "708461137", reason: "check character should be 6, found 7"))
        #expect(
            domainError { () throws(DomainError) in try Identifiers.organisationCode("7084611", field: "ZZJG") }?.reason.contains("found 7")
                == true)
    }

    @Test func validatesBusinessRegistrationNumbersByMod11_10() throws {
        let first14 = [3, 3, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
        let check = Identifiers.businessRegistrationCheckDigit(for: first14)
        let number = first14.map(String.init).joined() + String(check)
        #expect(try Identifiers.businessRegistrationNumber(number, field: "GSZC") == number)
        // The MOD 11,10 property: running the check over all 15 digits ends on 1.
        var product = 10
        for (index, digit) in (first14 + [check]).enumerated() {
            var sum = (product % 11 + digit) % 10
            if sum == 0 { sum = 10 }
            product = sum * 2
            if index == 14 { #expect(sum == 1) }
        }
        let wrong = first14.map(String.init).joined() + String((check + 1) % 10)
        #expect(
            domainError { () throws(DomainError) in try Identifiers.businessRegistrationNumber(wrong, field: "GSZC") }?.reason
                == "check digit should be \(check), found \((check + 1) % 10)")
        #expect(
            domainError { () throws(DomainError) in try Identifiers.businessRegistrationNumber("12345", field: "GSZC") }?.reason
                == "a business registration number is 15 digits, found 5 characters")
    }
}
