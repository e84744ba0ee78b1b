/// Calendar dates and times of day in UTC by arithmetic, without `Calendar` or a format style:
/// every event carries a timestamp and every resident ID check asks for today's date, tens of
/// thousands of times a second in a bulk import. The proleptic Gregorian calendar, as ISO 8601
/// and Foundation's UTC calendar count it.
public enum CivilDate {
    /// The year, month and day of a count of days since 1970-01-01 (H. Hinnant's `civil_from_days`).
    public static func date(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The count of days since 1970-01-01 of a date (H. Hinnant's `days_from_civil`).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Writes `value` as `width` ASCII digits (zero-padded; `value` must fit).
    @inline(__always)
    static func digits(_ value: Int, _ width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var value = value
        for index in stride(from: offset + width - 1, through: offset, by: -1) {
            buffer[index] = UInt8(0x30 + value % 10)
            value /= 10
        }
    }

    /// `yyyy-MM-dd` for years 0–9999, or nil.
    public static func iso(year: Int, month: Int, day: Int) -> String? {
        guard (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) else { return nil }
        return String(unsafeUninitializedCapacity: 10) { buffer in
            writeDate(year, month, day, into: buffer)
            return 10
        }
    }

    /// `yyyy-MM-dd` into the first ten bytes.
    private static func writeDate(_ year: Int, _ month: Int, _ day: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) {
        digits(year, 4, into: buffer, at: 0)
        buffer[4] = UInt8(ascii: "-")
        digits(month, 2, into: buffer, at: 5)
        buffer[7] = UInt8(ascii: "-")
        digits(day, 2, into: buffer, at: 8)
    }

    /// `yyyy-MM-ddTHH:mm:ss.SSSZ` of milliseconds since 1970 (years 1970–9999), or nil outside them.
    public static func timestamp(millisecondsSince1970 milliseconds: Int64) -> String? {
        guard milliseconds >= 0, milliseconds < 253_402_300_800_000 else { return nil }
        let (days, millisecondOfDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (year, month, day) = date(daysSince1970: Int(days))
        let time = Int(millisecondOfDay)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            writeDate(year, month, day, into: buffer)
            buffer[10] = UInt8(ascii: "T")
            digits(time / 3_600_000, 2, into: buffer, at: 11)
            buffer[13] = UInt8(ascii: ":")
            digits(time / 60_000 % 60, 2, into: buffer, at: 14)
            buffer[16] = UInt8(ascii: ":")
            digits(time / 1_000 % 60, 2, into: buffer, at: 17)
            buffer[19] = UInt8(ascii: ".")
            digits(time % 1_000, 3, into: buffer, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }
}
