import Foundation
import MeshProtocol

/// Dates as the sources write them, turned into the ISO `yyyy-MM-dd` every record and listing uses.
///
/// Departments export decision dates in many shapes (`2024-01-05`, `2024/1/5`, `20240105`,
/// `2024年1月5日`, `2024-01-05 00:00:00`, ISO datetimes). Only the calendar date as written is kept:
/// the time and any zone are dropped, because the date printed on the decision is the legal one.
/// Calendar arithmetic is done in UTC so that it never depends on the host's zone.
public enum FieldDates {
    /// The years a record date may fall in: the People's Republic and a generous future for
    /// "valid until" dates (some sources write 2099-12-31 for "permanent").
    public static let acceptedYears = 1949...2100

    /// The Gregorian calendar in UTC used for all date arithmetic.
    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Parses a date written by a source and returns it as `yyyy-MM-dd`.
    ///
    /// - Throws: `DomainError.invalid` naming `field` when the text is not a date, names an
    ///   impossible day (2023-02-30) or a year outside 1949–2100.
    public static func isoDate(_ text: String, field: String) throws(DomainError) -> String {
        try isoDate(text, field: field, years: acceptedYears)
    }

    /// `isoDate(_:field:)` with another range of years (birth dates in resident IDs start in 1900).
    static func isoDate(_ text: String, field: String, years: ClosedRange<Int>) throws(DomainError) -> String {
        let trimmed = FastText.trimmed(text)
        guard let (year, month, day) = parts(of: trimmed) else {
            throw .invalid(
                field: field, value: text,
                reason: "is not a date; write it as yyyy-MM-dd, such as 2024-01-05")
        }
        let iso = format(year: year, month: month, day: day)
        guard years.contains(year) else {
            throw .invalid(
                field: field, value: text,
                reason: "year \(year) is outside \(years.lowerBound)–\(years.upperBound)")
        }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            throw .invalid(field: field, value: text, reason: "\(iso) is not a calendar date")
        }
        return iso
    }

    /// The UTC calendar date of an instant as `yyyy-MM-dd` (by arithmetic, `CivilDate`: every
    /// resident ID check asks for today).
    public static func isoDate(_ date: Date) -> String {
        let (year, month, day) = CivilDate.date(daysSince1970: Int((date.timeIntervalSince1970 / 86_400).rounded(.down)))
        return format(year: year, month: month, day: day)
    }

    /// Midnight UTC of a strict `yyyy-MM-dd` date, or nil when the text is not one.
    public static func date(_ iso: String) -> Date? {
        let characters = Array(iso)
        guard characters.count == 10, characters[4] == "-", characters[7] == "-",
            let year = Int(String(characters[0..<4])), let month = Int(String(characters[5..<7])),
            let day = Int(String(characters[8..<10])),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return calendar.date(from: DateComponents(year: year, month: month, day: day))
    }

    /// The date `years` years after (or before, when negative) an ISO date; 29 February becomes
    /// 28 February in a common year. Nil when `iso` is not a `yyyy-MM-dd` date.
    public static func adding(years: Int, to iso: String) -> String? {
        guard let start = date(iso), let end = calendar.date(byAdding: .year, value: years, to: start) else {
            return nil
        }
        return isoDate(end)
    }

    // MARK: - Parsing

    /// Splits `yyyyMMdd` or `yyyy<sep>M<sep>d[日]` optionally followed by a time (after a space or
    /// `T`) into numbers. Separators are `-`, `/`, `.` or `年`/`月`, used consistently. Read on UTF-8
    /// bytes: every record has dates, and a bulk import reads millions.
    static func parts(of text: String) -> (Int, Int, Int)? {
        var text = text
        return text.withUTF8 { parts(of: $0) }
    }

    static func parts(of bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int)? {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) } }
        if bytes.count == 8, bytes.allSatisfy(isDigit) {
            return (number(0..<4), number(4..<6), number(6..<8))
        }
        var index = 0
        func digits(min: Int, max: Int) -> Int? {
            let start = index
            while index < bytes.count, isDigit(bytes[index]), index - start < max { index += 1 }
            guard index - start >= min else { return nil }
            return number(start..<index)
        }
        /// Whether `word` (UTF-8) stands at `index`; if so, steps over it.
        func skip(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }
        guard let year = digits(min: 4, max: 4), index < bytes.count else { return nil }
        let separator = bytes[index]
        let isChinese: Bool
        switch separator {
        case UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "."):
            isChinese = false
            index += 1
        default:
            guard skip("年") else { return nil }
            isChinese = true
        }
        guard let month = digits(min: 1, max: 2), index < bytes.count else { return nil }
        if isChinese {
            guard skip("月") else { return nil }
        } else {
            guard bytes[index] == separator else { return nil }
            index += 1
        }
        guard let day = digits(min: 1, max: 2) else { return nil }
        if isChinese {
            guard skip("日") else { return nil }
        }
        guard isTime(UnsafeBufferPointer(rebasing: bytes[index...])) else { return nil }
        return (year, month, day)
    }

    /// Nothing, or a space or `T` followed by a time such as `00:00:00`, `08:30:00.000+08:00`, `Z`.
    private static func isTime(_ rest: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = rest.first else { return true }
        guard first == UInt8(ascii: " ") || first == UInt8(ascii: "T") else { return false }
        let time = rest.dropFirst().drop { $0 == UInt8(ascii: " ") }
        guard let start = time.first, start >= 0x30, start <= 0x39 else { return false }
        return time.allSatisfy { byte in
            switch byte {
            case 0x30...0x39, UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "Z"),
                UInt8(ascii: " "):
                true
            default: false
            }
        }
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func format(year: Int, month: Int, day: Int) -> String {
        if let iso = CivilDate.iso(year: year, month: month, day: day) { return iso }
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
