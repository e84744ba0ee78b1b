/// The certificate types of natural persons as the national double-publicity standard codes them
/// (`CF_XDR_ZJLX`, `XK_XDR_ZJLX`, `CF_FR_ZJLX`, `XK_FR_ZJLX`): a code `001`…`005` or its name.
public enum CertificateType: String, Codable, Sendable, CaseIterable, Hashable {
    /// 身份证 (001): the resident ID of GB 11643-1999.
    case residentID = "resident-id"
    /// 护照号 (002).
    case passport
    /// 港澳居民来往内地通行证 (003), the home-return permit.
    case hongKongMacaoPermit = "hk-macao-permit"
    /// 台湾居民来往大陆通行证 (004).
    case taiwanPermit = "taiwan-permit"
    /// 外国人永久居留身份证 (005).
    case foreignPermanentResident = "foreign-permanent-resident"

    /// The standard's code.
    public var code: String {
        switch self {
        case .residentID: "001"
        case .passport: "002"
        case .hongKongMacaoPermit: "003"
        case .taiwanPermit: "004"
        case .foreignPermanentResident: "005"
        }
    }

    /// The standard's name.
    public var chineseName: String {
        switch self {
        case .residentID: "身份证"
        case .passport: "护照号"
        case .hongKongMacaoPermit: "港澳居民来往内地通行证"
        case .taiwanPermit: "台湾居民来往大陆通行证"
        case .foreignPermanentResident: "外国人永久居留身份证"
        }
    }

    /// The identifier scheme of a subject known by this certificate.
    public var scheme: IdentifierScheme {
        switch self {
        case .residentID: .residentID
        case .passport: .passport
        case .hongKongMacaoPermit: .hongKongMacaoPermit
        case .taiwanPermit: .taiwanPermit
        case .foreignPermanentResident: .foreignPermanentResident
        }
    }

    /// Reads a source's certificate type: the code (`001`, `1`), the standard's name or a common
    /// variant (`居民身份证`, `护照`), or this enum's raw value.
    public init(source text: String, field: String) throws(DomainError) {
        let value = FastText.trimmed(text)
        let digits = value.drop { $0 == "0" }
        for type in Self.allCases
        where value == type.rawValue || value == type.code || (!digits.isEmpty && digits == type.code.drop { $0 == "0" })
            || value == type.chineseName
        {
            self = type
            return
        }
        if FastText.contains(value, "身份证") && !FastText.contains(value, "永久居留") { self = .residentID; return }
        if value.hasPrefix("护照") { self = .passport; return }
        if FastText.contains(value, "港澳") { self = .hongKongMacaoPermit; return }
        if FastText.contains(value, "台湾") || FastText.contains(value, "台胞") { self = .taiwanPermit; return }
        if FastText.contains(value, "永久居留") { self = .foreignPermanentResident; return }
        throw .invalid(
            field: field, value: value,
            reason: "is no certificate type; use 001 身份证, 002 护照号, 003 港澳居民来往内地通行证, 004 台湾居民来往大陆通行证 or 005 外国人永久居留身份证")
    }
}

extension Identifiers {
    /// Validates a natural person's certificate number of the given type.
    ///
    /// | type | rule |
    /// |---|---|
    /// | resident ID | `residentID(_:field:)` (GB 11643-1999) |
    /// | passport | 5–17 letters and digits (the PRC's own: E or G and 8 more) |
    /// | home-return permit | H (Hong Kong) or M (Macao) and 8 digits (10 on the older card) |
    /// | Taiwan permit | 8 digits (10 on the older booklet, optionally with a letter in brackets) |
    /// | foreign permanent resident | 18 characters starting with 9 with a GB 11643 check character (2023 card), or 3 letters and 12 digits (2004 card) |
    ///
    /// - Throws: `DomainError.invalid` naming `field` and the rule broken.
    public static func personCertificate(_ text: String, type: CertificateType, field: String) throws(DomainError) -> SubjectID {
        let id = normalised(text).replacingOccurrences(of: " ", with: "")
        let characters = Array(id)
        func refuse(_ reason: String) -> DomainError { .invalid(field: field, value: id, reason: reason) }
        switch type {
        case .residentID:
            return try residentID(id, field: field)
        case .passport:
            guard (5...17).contains(characters.count), characters.allSatisfy({ $0.isASCIIDigit || $0.isASCIIUpper }) else {
                throw refuse("a passport number is 5–17 letters and digits")
            }
        case .hongKongMacaoPermit:
            guard characters.count == 9 || characters.count == 11, characters.first == "H" || characters.first == "M",
                characters.dropFirst().allSatisfy(\.isASCIIDigit)
            else { throw refuse("a home-return permit number is H or M and 8 digits (10 on the older card)") }
        case .taiwanPermit:
            var digits = characters
            if digits.count == 13, digits[10] == "(", digits[12] == ")", digits[11].isASCIIUpper { digits = Array(digits[0..<10]) }
            guard digits.count == 8 || digits.count == 10, digits.allSatisfy(\.isASCIIDigit) else {
                throw refuse("a Taiwan residents' permit number is 8 digits (10 on the older booklet)")
            }
        case .foreignPermanentResident:
            if characters.count == 18 {
                guard characters.first == "9", characters.dropLast().allSatisfy(\.isASCIIDigit),
                    let expected = residentIDCheckCharacter(for: String(characters[0..<17]))
                else {
                    throw refuse(
                        "an 18-character permanent residence card number starts with 9 and has 17 digits before its check character")
                }
                guard characters[17] == expected else { throw refuse("check character should be \(expected), found \(characters[17])") }
            } else {
                guard characters.count == 15, characters[0..<3].allSatisfy(\.isASCIIUpper), characters[3...].allSatisfy(\.isASCIIDigit)
                else {
                    throw refuse(
                        "a permanent residence card number is 18 characters starting with 9, or 3 letters and 12 digits (2004 card)")
                }
            }
        }
        return SubjectID(value: id, scheme: type.scheme, impliedKind: .naturalPerson)
    }

    // MARK: - Legacy codes (kept as aliases)

    /// Validates a business registration number (工商注册号, 15 digits, the last an ISO 7064 MOD 11,10
    /// check digit), the enterprise identifier before unified codes. Returns it normalised.
    public static func businessRegistrationNumber(_ text: String, field: String) throws(DomainError) -> String {
        let number = normalised(text)
        let digits = number.compactMap(\.wholeNumberValue)
        guard number.count == 15, digits.count == 15, number.allSatisfy(\.isASCIIDigit) else {
            throw .invalid(
                field: field, value: number, reason: "a business registration number is 15 digits, found \(number.count) characters")
        }
        let expected = businessRegistrationCheckDigit(for: Array(digits[0..<14]))
        guard digits[14] == expected else {
            throw .invalid(field: field, value: number, reason: "check digit should be \(expected), found \(digits[14])")
        }
        return number
    }

    /// ISO 7064 MOD 11,10 over the first 14 digits.
    public static func businessRegistrationCheckDigit(for digits: [Int]) -> Int {
        var product = 10
        for digit in digits {
            var sum = (product % 11 + digit) % 10
            if sum == 0 { sum = 10 }
            product = sum * 2
        }
        return (11 - product % 11) % 10
    }

    static let organisationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// Validates an organisation code (组织机构代码, GB 11714-1997): 8 digits or upper-case letters and a
    /// check character (a digit or X), often written `12345678-9`. Returns it without the hyphen.
    public static func organisationCode(_ text: String, field: String) throws(DomainError) -> String {
        let code = normalised(text).replacingOccurrences(of: "-", with: "")
        let characters = Array(code)
        guard characters.count == 9 else {
            throw .invalid(
                field: field, value: code, reason: "an organisation code is 8 characters and a check character, found \(characters.count)")
        }
        guard let expected = organisationCodeCheckCharacter(for: String(characters[0..<8])) else {
            throw .invalid(field: field, value: code, reason: "the first 8 characters must be digits or upper-case letters")
        }
        guard characters[8] == expected else {
            throw .invalid(field: field, value: code, reason: "check character should be \(expected), found \(characters[8])")
        }
        return code
    }

    /// GB 11714 check character of 8 code characters, or nil when they are not digits and letters.
    public static func organisationCodeCheckCharacter(for first8: String) -> Character? {
        let characters = Array(first8)
        guard characters.count == 8 else { return nil }
        var sum = 0
        for (character, weight) in zip(characters, organisationCodeWeights) {
            let value: Int
            if character.isASCIIDigit, let digit = character.wholeNumberValue {
                value = digit
            } else if character.isASCIIUpper, let ascii = character.asciiValue {
                value = Int(ascii) - 55  // A = 10 … Z = 35
            } else {
                return nil
            }
            sum += value * weight
        }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let check: return Character(String(check))
        }
    }
}

extension Character {
    var isASCIIUpper: Bool { isASCII && isUppercase && isLetter }
}
