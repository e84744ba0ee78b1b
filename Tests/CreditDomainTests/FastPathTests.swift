import Foundation
import Testing

@testable import CreditDomain

/// The byte-level fast paths of the import agree with the rule-by-rule checks they stand in front
/// of: a text the fast path accepts is one the rules accept, and the other way round.
@Suite struct FastPathTests {
    static let today = "2026-06-01"

    /// Valid resident IDs and every single-character change of them: digits, X, letters, a
    /// non-ASCII character, plus bad regions and birth dates before 1900, impossible or future.
    static func residentIDCandidates() -> [String] {
        var candidates: [String] = []
        let bodies = ["11010519491231002", "33010219850301123", "44030620000229456", "65010119000101789", "81000020260601001"]
        for body in bodies {
            guard let check = Identifiers.residentIDCheckCharacter(for: body) else { continue }
            let valid = body + String(check)
            candidates.append(valid)
            let characters = Array(valid)
            for position in characters.indices {
                for replacement in ["0", "1", "5", "9", "X", "x", "A", "一", " "] {
                    var changed = characters
                    changed[position] = Character(replacement)
                    candidates.append(String(changed))
                }
            }
        }
        for body in [
            "00010519491231002", "99010519491231002", "11010518991231002", "11010520260602002", "11010520230230002", "11010520231301002",
        ] {
            candidates.append(body + String(Identifiers.residentIDCheckCharacter(for: body)!))
        }
        candidates += ["", "1101051949123100", "11010519491231002XX", "１１０１０５１９４９１２３１００２Ｘ"]
        return candidates
    }

    @Test func residentIDsFastPathAgreesWithTheRules() {
        var accepted = 0
        for candidate in Self.residentIDCandidates() {
            let id = Identifiers.normalised(candidate)
            let fast = Identifiers.isValidResidentID(id, today: Self.today)
            let rules = Identifiers.residentIDRefusal(id, field: "ID", today: Self.today) == nil
            #expect(fast == rules, "\(candidate): fast \(fast), rules \(rules)")
            if fast { accepted += 1 }
        }
        #expect(accepted >= 5)  // the valid ones, and the changes that happen to keep a valid check digit
    }

    /// Valid unified social credit codes and every single-character change of them: the changes
    /// break the organisation code's check character, the code's own, the registration pair or the
    /// alphabet.
    @Test func unifiedSocialCreditCodesFastPathAgreesWithTheRules() {
        var candidates: [String] = ["", "91330100799655058", "91330100799655058BB", "９１330100799655058B"]
        for first16 in ["9133010079965505", "91350100M000100Y", "1233000047000000", "92330102MA2AB000", "N2330100MA2AB000"] {
            let valid = Identifiers.usccCompleting(first16)!
            candidates.append(valid)
            let characters = Array(valid)
            for position in characters.indices {
                for replacement in ["0", "1", "5", "9", "X", "A", "I", "一", " "] {
                    var changed = characters
                    changed[position] = Character(replacement)
                    candidates.append(String(changed))
                }
            }
        }
        var accepted = 0
        for candidate in candidates {
            let code = Identifiers.normalised(candidate)
            let fast = Identifiers.validUSCCKind(code) != nil
            let rules = Identifiers.usccReading(code, field: "code") == nil
            #expect(fast == rules, "\(candidate): fast \(fast), rules \(rules)")
            if fast { accepted += 1 }
        }
        #expect(accepted >= 5)
    }

    @Test func todayIsTheUTCCalendarsDate() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for seconds in stride(from: -2_208_988_800.0, through: 4_102_444_800, by: 86_400 * 3.7) {
            let date = Date(timeIntervalSince1970: seconds)
            let components = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = String(format: "%04d-%02d-%02d", components.year!, components.month!, components.day!)
            #expect(FieldDates.isoDate(date) == expected, "\(seconds)")
        }
    }

    @Test func datesAreReadOnBytesInEveryShape() throws {
        let shapes: [(String, String?)] = [
            ("2024-01-05", "2024-01-05"), ("2024/1/5", "2024-01-05"), ("2024.01.05", "2024-01-05"), ("20240105", "2024-01-05"),
            ("2024年1月5日", "2024-01-05"), ("2024年01月05日 08:30:00", "2024-01-05"), ("2024-01-05T08:30:00.000+08:00", "2024-01-05"),
            ("2024-01-05 00:00:00", "2024-01-05"), ("  2024-01-05  ", "2024-01-05"), ("2024-01/05", nil), ("2024年1月5", nil),
            ("2024-1-5x", nil), ("2024-01-05T", nil), ("24-01-05", nil), ("2024-02-30", nil), ("2024-13-01", nil), ("２０２４-01-05", nil),
        ]
        for (text, expected) in shapes {
            #expect((try? FieldDates.isoDate(text, field: "D")) == expected, "\(text)")
        }
    }

    /// Every scalar that is Unicode White_Space (and U+200B, which Foundation trims too), and neighbours of them that are not (same lead or
    /// last byte), at the start, the end, both or neither of ASCII and CJK texts: the byte check in
    /// front of `trimmed` never lets a space through, and the result is Foundation's.
    @Test func trimmedAgreesWithFoundationAtEveryEdge() {
        let spaces: [Unicode.Scalar] =
            (0x09...0x0D).map { Unicode.Scalar($0)! } + [" ", "\u{85}", "\u{A0}", "\u{1680}"]
            + (0x2000...0x200B).map { Unicode.Scalar($0)! } + ["\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}"]
        let others: [Unicode.Scalar] = [
            "a", "\u{84}", "\u{A1}", "\u{1681}", "\u{200C}", "\u{2030}", "\u{205E}", "\u{3001}", "罚", "。", "\u{0}", "\u{1F}",
        ]
        #expect(spaces.allSatisfy { CharacterSet.whitespacesAndNewlines.contains($0) })
        var checked = 0
        for edge in spaces + others {
            for body in ["罚款", "x", "杭州市监罚处〔2025〕1号", ""] {
                for text in [String(edge) + body, body + String(edge), String(edge) + body + String(edge), String(edge)] {
                    let expected = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    #expect(FastText.trimmed(text) == expected, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    checked += 1
                }
            }
        }
        #expect(checked == (spaces.count + others.count) * 16)
    }

    /// A key the byte check calls a code is one normalising leaves as it is; ASCII codes are
    /// recognised (other keys take the normalising path, which gives the same keys, only slower).
    @Test func codesAreRecognisedOnTheirBytes() {
        let codes = ["CF_WSH", "CF_NR_FK", "XK_XDR_SHXYM", "SEVERITY", "", "_ROW"]
        let others = [
            "cf_wsh", "Cf_Wsh", " CF_WSH", "CF_WSH ", "CF_WSH\t", "\u{3000}CF_WSH", "CF_WSH\u{3000}", "CF_名称", "ＣＦ_WSH", "ß", "\u{1}CF",
        ]
        for key in codes { #expect(DoublePublicityFields.isCode(key), "\(key)") }
        for key in codes + others where DoublePublicityFields.isCode(key) { #expect(doublePublicityCode(key) == key, "\(key)") }
        #expect(others.filter(DoublePublicityFields.isCode).isEmpty)
    }

    @Test func containsComparesBytesOfAnyString() {
        let bridged = NSString(string: "暂扣或者吊销许可证").description
        #expect(FastText.contains(bridged, "吊销"))
        #expect(FastText.contains("罚款;警告", "警告"))
        #expect(!FastText.contains("罚款", "罚款;"))
        #expect(FastText.contains("x", ""))
        #expect(FastText.contains(String("abc吊销def".dropFirst(3)), "吊销"))
    }
}
