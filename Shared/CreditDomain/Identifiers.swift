import Foundation

/// Validation of the two subject identifier schemes (DOMAIN.md, "Identifiers"). Every record,
/// listing and disclosure is keyed by the identifier (Siyang Measures Art. 9, Shaanxi Plan 三(二)1),
/// so a bad one is refused with a reason naming the field, never stored.
public enum Identifiers {
    // MARK: - Unified social credit code (GB 32100-2015)

    /// The 31 characters a unified social credit code may use: digits and upper-case letters
    /// except I, O, Z, S and V. A character's value is its index.
    static let usccAlphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    /// An ASCII byte's value in the alphabet, or -1.
    static let usccValues: [Int8] = {
        var values = [Int8](repeating: -1, count: 128)
        for (index, character) in usccAlphabet.enumerated() { values[Int(character.asciiValue ?? 0)] = Int8(index) }
        return values
    }()

    // MARK: - Resident ID (GB 11643-1999)

    static let residentIDWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let residentIDCheckCharacters: [Character] = Array("10X98765432")
    static let residentIDCheckBytes: [UInt8] = Array("10X98765432".utf8)

    /// Validates a unified social credit code (统一社会信用代码, GB 32100-2015).
    ///
    /// The text is trimmed and upper-cased; it must be 18 characters of
    /// `0123456789ABCDEFGHJKLMNPQRTUWXY` whose 18th is the check character
    /// (31 − Σ value×weight mod 31) mod 31 over the weights `1 3 9 27 19 26 16 17 20 29 25 13 8 24 10
    /// 30 28`. Positions 9–17 are the subject's organisation code (GB 11714-1997), whose own check
    /// character, position 17, must fit positions 9–16. The implied subject kind comes from
    /// position 1 (registration authority) and position 2 (organisation type):
    ///
    /// `USCCRegistration` holds the table of every registration authority and organisation type
    /// of the standard; a pair it does not define (`94`, `B1`, `17`) is refused by name.
    ///
    /// - Throws: `DomainError.invalid` naming `field`, e.g. "check character should be B, found A".
    public static func unifiedSocialCreditCode(_ text: String, field: String) throws(DomainError) -> SubjectID {
        let code = normalised(text)
        if let kind = validUSCCKind(code) {
            return SubjectID(value: code, scheme: .unifiedSocialCreditCode, impliedKind: kind)
        }
        if let (refusal, _) = usccReading(code, field: field) { throw refusal }
        // The rules one by one found nothing the byte check refused: they disagree, which a test guards.
        throw .invalid(field: field, value: code, reason: "is no valid unified social credit code")
    }

    /// The implied subject kind when a normalised text passes every unified social credit code rule,
    /// checked on its bytes (the common case of a bulk import); nil otherwise.
    static func validUSCCKind(_ code: String) -> SubjectKind? {
        let bytes = Array(code.utf8)
        guard bytes.count == 18, bytes.allSatisfy({ $0 < 128 && usccValues[Int($0)] >= 0 }) else { return nil }
        var sum = 0
        for index in 0..<17 { sum += Int(usccValues[Int(bytes[index])]) * usccWeights[index] }
        guard bytes[17] == usccAlphabet[(31 - sum % 31) % 31].asciiValue else { return nil }
        // The organisation code counts letters from A = 10 to Z = 35, its own alphabet's values.
        var organisationSum = 0
        for index in 8..<16 {
            let byte = Int(bytes[index])
            organisationSum += (byte <= 0x39 ? byte - 0x30 : byte - 55) * organisationCodeWeights[index - 8]
        }
        let check = 11 - organisationSum % 11
        let expected = check == 10 ? UInt8(ascii: "X") : check == 11 ? UInt8(ascii: "0") : UInt8(0x30 + check)
        guard bytes[16] == expected else { return nil }
        let authority = Character(Unicode.Scalar(bytes[0]))
        return USCCRegistration.lookup(authority: authority, type: Character(Unicode.Scalar(bytes[1])))?.kind
    }

    /// Why a normalised text is no unified social credit code, the rules one by one, and how far it
    /// got through them; nil when it passes them all.
    static func usccReading(_ code: String, field: String) -> (DomainError, ReadingFit)? {
        func refuse(_ reason: String, _ fit: ReadingFit) -> (DomainError, ReadingFit) {
            (.invalid(field: field, value: code, reason: reason), fit)
        }
        let characters = Array(code)
        guard characters.count == 18 else {
            return refuse("a unified social credit code must be 18 characters, found \(characters.count)", .length)
        }
        for (index, character) in characters.enumerated() where !usccAlphabet.contains(character) {
            let rule =
                "IOZSV".contains(character) ? "no I, O, Z, S, V" : "only digits and letters other than I, O, Z, S, V"
            return refuse("character '\(character)' at position \(index + 1) is not allowed (\(rule))", .characters)
        }
        guard USCCRegistration.lookup(authority: characters[0], type: characters[1]) != nil else {
            return refuse(USCCRegistration.refusal(authority: characters[0], type: characters[1]), .prefix)
        }
        if let expected = organisationCodeCheckCharacter(for: String(characters[8..<16])), characters[16] != expected {
            return refuse(
                "organisation code \(String(characters[8..<17])) in positions 9–17 fails its GB 11714-1997 check: "
                    + "position 17 should be \(expected), found \(characters[16])", .parts)
        }
        if let expected = usccCheckCharacter(for: String(characters[0..<17])), characters[17] != expected {
            return refuse("check character should be \(expected), found \(characters[17])", .checkCharacter)
        }
        return nil
    }

    /// Validates a resident ID (居民身份证号码, GB 11643-1999): 17 digits and a check character
    /// (a digit or `X`; a lower-case `x` is accepted and upper-cased). Positions 7–14 must be a real
    /// calendar date between 1900-01-01 and today (UTC).
    ///
    /// - Throws: `DomainError.invalid` naming `field` and the broken rule.
    public static func residentID(_ text: String, field: String) throws(DomainError) -> SubjectID {
        try residentID(text, field: field, today: FieldDates.isoDate(Date()))
    }

    /// `residentID(_:field:)` against a given today (yyyy-MM-dd), for tests and replays.
    static func residentID(_ text: String, field: String, today: String) throws(DomainError) -> SubjectID {
        let id = normalised(text)
        if !isValidResidentID(id, today: today), let refusal = residentIDRefusal(id, field: field, today: today) { throw refusal }
        return SubjectID(value: id, scheme: .residentID, impliedKind: .naturalPerson)
    }

    /// Why a normalised text is no resident ID, the rules one by one; nil when it passes them all.
    static func residentIDRefusal(_ id: String, field: String, today: String) -> DomainError? {
        residentIDReading(id, field: field, today: today)?.0
    }

    /// `residentIDRefusal` with how far the text got through the rules.
    static func residentIDReading(_ id: String, field: String, today: String) -> (DomainError, ReadingFit)? {
        func refuse(_ reason: String, _ fit: ReadingFit) -> (DomainError, ReadingFit) {
            (.invalid(field: field, value: id, reason: reason), fit)
        }
        let characters = Array(id)
        guard characters.count == 18 else {
            return refuse("a resident ID must be 18 characters, found \(characters.count)", .length)
        }
        for (index, character) in characters[0..<17].enumerated() where !character.isASCIIDigit {
            return refuse(
                "character '\(character)' at position \(index + 1) is not allowed (the first 17 are digits)", .characters)
        }
        guard characters[17].isASCIIDigit || characters[17] == "X" else {
            return refuse(
                "character '\(characters[17])' at position 18 is not allowed (the check character is a digit or X)",
                .characters)
        }
        let region = String(characters[0..<2])
        guard residentIDRegions.contains(region) else {
            return refuse(
                "region code \(region) in positions 1–2 is no province-level division "
                    + "(11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81–83)", .prefix)
        }
        let birth = String(characters[6..<14])
        guard let birthISO = try? FieldDates.isoDate(birth, field: field, years: 0...9999) else {
            return refuse("birth date \(birth) in positions 7–14 is not a calendar date", .parts)
        }
        guard birthISO >= "1900-01-01" else {
            return refuse("birth date \(birth) in positions 7–14 is before 1900", .parts)
        }
        guard birthISO <= today else {
            return refuse("birth date \(birth) in positions 7–14 is in the future", .parts)
        }
        guard let expected = residentIDCheckCharacter(for: String(characters[0..<17])) else {
            return refuse("the first 17 characters must be digits", .characters)
        }
        guard characters[17] == expected else {
            return refuse("check character should be \(expected), found \(characters[17])", .checkCharacter)
        }
        return nil
    }

    /// Whether a normalised text passes every resident ID rule, checked on its bytes (the common case
    /// of a bulk import, where the character-by-character checks cost more than the rest of a row).
    static func isValidResidentID(_ id: String, today: String) -> Bool {
        var id = id
        return id.withUTF8 { bytes -> Bool in
            guard bytes.count == 18 else { return false }
            var sum = 0
            for index in 0..<17 {
                let digit = Int(bytes[index]) - 0x30
                guard (0...9).contains(digit) else { return false }
                sum += digit * residentIDWeights[index]
            }
            guard bytes[17] == residentIDCheckBytes[sum % 11] else { return false }
            let region = Int(bytes[0] - 0x30) * 10 + Int(bytes[1] - 0x30)
            guard residentIDRegionNumbers.contains(region) else { return false }
            guard let (year, month, day) = FieldDates.parts(of: UnsafeBufferPointer(rebasing: bytes[6..<14])),
                year >= 1900, (1...12).contains(month), (1...FieldDates.daysIn(month: month, year: year)).contains(day)
            else { return false }
            return FieldDates.format(year: year, month: month, day: day) <= today
        }
    }

    /// Validates either scheme, chosen by shape: 18 characters that are all digits (or 17 digits and
    /// `X`) follow the resident ID rules, anything else the unified social credit code rules.
    ///
    /// An all-digit unified social credit code is possible (its check character may be a digit), so
    /// a resident-ID-shaped text that fails the resident ID rules is tried as a code before being
    /// refused. When both fail, the refusal names the reading that fits best, the one that gets
    /// further through its rules (`ReadingFit`): `913305007954220540` is refused as a unified social
    /// credit code whose check character should be Q, not as a resident ID of a region 91 that does
    /// not exist. When each reading fails only its final check character, the refusal names both.
    /// Otherwise the resident ID's reason is given, the likelier reading of digits (whatever their
    /// length). A masked identifier (with `*`, as published lists print them) is refused as such.
    public static func subjectID(_ text: String, field: String) throws(DomainError) -> SubjectID {
        try subjectID(text, field: field, today: FieldDates.isoDate(Date()))
    }

    /// `subjectID(_:field:)` against a given today (yyyy-MM-dd), for tests and replays.
    static func subjectID(_ text: String, field: String, today: String) throws(DomainError) -> SubjectID {
        let id = normalised(text)
        if id.utf8.contains(UInt8(ascii: "*")) {
            // Published lists mask personal identifiers; a masked one cannot key a record.
            throw .invalid(field: field, value: id, reason: "is masked; the full identifier is required")
        }
        guard looksLikeResidentID(id) else {
            return try unifiedSocialCreditCode(id, field: field)
        }
        if isValidResidentID(id, today: today) {
            return SubjectID(value: id, scheme: .residentID, impliedKind: .naturalPerson)
        }
        if let kind = validUSCCKind(id) {
            return SubjectID(value: id, scheme: .unifiedSocialCreditCode, impliedKind: kind)
        }
        guard let (asResident, residentFit) = residentIDReading(id, field: field, today: today) else {
            return SubjectID(value: id, scheme: .residentID, impliedKind: .naturalPerson)
        }
        guard let (asCode, codeFit) = usccReading(id, field: field) else {
            return try unifiedSocialCreditCode(id, field: field)
        }
        if codeFit > residentFit {
            throw .invalid(
                field: field, value: id,
                reason: "as a unified social credit code, \(asCode.reason) (it is no resident ID: \(asResident.reason))")
        }
        if codeFit == .checkCharacter && residentFit == .checkCharacter {
            throw .invalid(
                field: field, value: id,
                reason: "neither reading checks: as a resident ID, \(asResident.reason); "
                    + "as a unified social credit code, \(asCode.reason)")
        }
        throw asResident
    }

    /// The check character of a unified social credit code whose first 17 characters are given, or
    /// nil when they are not 17 characters of the code's alphabet.
    public static func usccCheckCharacter(for first17: String) -> Character? {
        let characters = Array(first17.uppercased())
        guard characters.count == 17 else { return nil }
        var sum = 0
        for (character, weight) in zip(characters, usccWeights) {
            guard let value = usccAlphabet.firstIndex(of: character) else { return nil }
            sum += value * weight
        }
        return usccAlphabet[(31 - sum % 31) % 31]
    }

    /// The unified social credit code whose first 16 characters are given, completed with the
    /// organisation code's check character (position 17, GB 11714-1997) and the code's own (position
    /// 18); nil when they are not 16 characters of the code's alphabet.
    public static func usccCompleting(_ first16: String) -> String? {
        let first16 = first16.uppercased()
        guard first16.count == 16, first16.allSatisfy(usccAlphabet.contains),
            let organisationCheck = organisationCodeCheckCharacter(for: String(first16.suffix(8)))
        else { return nil }
        let first17 = first16 + String(organisationCheck)
        return usccCheckCharacter(for: first17).map { first17 + String($0) }
    }

    /// The check character of a resident ID whose first 17 digits are given, or nil when they are not
    /// 17 ASCII digits.
    public static func residentIDCheckCharacter(for first17: String) -> Character? {
        let characters = Array(first17)
        guard characters.count == 17 else { return nil }
        var sum = 0
        for (character, weight) in zip(characters, residentIDWeights) {
            guard character.isASCIIDigit, let value = character.wholeNumberValue else { return nil }
            sum += value * weight
        }
        return residentIDCheckCharacters[sum % 11]
    }

    /// Masks a personal identifier for public output (Siyang Measures Art. 13, Shaanxi Plan 三(四)5: privacy
    /// is protected).
    ///
    /// - A resident ID keeps its first 6 and last 4 characters: `330102********123X`.
    /// - A unified social credit code (an organisation) is returned unchanged. An all-digit text that
    ///   passes both schemes is treated as a resident ID: privacy wins.
    /// - Anything else of 8 characters or more keeps its first 2 and last 2; shorter becomes all `*`.
    public static func maskForPublic(_ id: String) -> String {
        let text = normalised(id)
        let characters = Array(text)
        if looksLikeResidentID(text) && characters.count == 18 {
            let isCode = (try? unifiedSocialCreditCode(text, field: "id")) != nil
            let isResident = residentIDCheckCharacter(for: String(characters[0..<17])) == characters[17]
            if isCode && !isResident { return text }
            return String(characters[0..<6]) + String(repeating: "*", count: 8) + String(characters[14...])
        }
        if (try? unifiedSocialCreditCode(text, field: "id")) != nil { return text }
        guard characters.count >= 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters[0..<2]) + String(repeating: "*", count: characters.count - 4)
            + String(characters[(characters.count - 2)...])
    }

    // MARK: - Helpers

    /// Trimmed and upper-cased, as every identifier is compared.
    public static func normalised(_ text: String) -> String {
        FastText.upper(FastText.trimmed(text))
    }

    /// Digits only, except perhaps a final `X`, and 18 characters long (or any length when all
    /// digits, so a resident ID missing a digit is reported as a resident ID).
    static func looksLikeResidentID(_ text: String) -> Bool {
        let bytes = text.utf8
        guard !bytes.isEmpty else { return false }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        if bytes.allSatisfy(isDigit) { return true }
        return bytes.count == 18 && bytes.dropLast().allSatisfy(isDigit) && bytes.last == UInt8(ascii: "X")
    }

    /// The first two digits of a resident ID: a province-level division of GB/T 2260 (11–15 north,
    /// 21–23 north-east, 31–37 east, 41–46 centre-south, 50–54 south-west, 61–65 north-west), 71 Taiwan,
    /// 81 Hong Kong and 82 Macao (their residents' residence permits), 83 residence permits of Taiwan
    /// residents. Anything else is a typing error or an invented number.
    static let residentIDRegionNumbers: Set<Int> = Set(residentIDRegions.compactMap { Int($0) })
    static let residentIDRegions: Set<String> = {
        var regions: Set<String> = ["71", "81", "82", "83"]
        for range in [11...15, 21...23, 31...37, 41...46, 50...54, 61...65] {
            for code in range { regions.insert(String(code)) }
        }
        return regions
    }()
}

/// How far a text gets through the rules of one identifier scheme, checked in this order: length,
/// characters, the prefix (resident ID region; registration authority and organisation type), the
/// parts (birth date; the organisation code with its own check character), the final check
/// character. Of two readings of one text, the one that gets further fits best.
enum ReadingFit: Int, Comparable, Sendable {
    case length, characters, prefix, parts, checkCharacter

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
