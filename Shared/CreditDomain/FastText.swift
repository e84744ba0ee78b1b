/// Text helpers for the import hot path that stay in the standard library. On Linux, Foundation's
/// `trimmingCharacters(in:)`, `uppercased()` via `NSString`, `replacingOccurrences` and
/// `contains` bridge through UTF-16 `NSString`s: measured at most of a registry core per row when a
/// million rows are imported. These give the same answers for the texts sources send.
public enum FastText {
    /// Trimmed of leading and trailing whitespace and newlines (Unicode's, so the ideographic space
    /// U+3000 too, and the zero-width space U+200B that text pasted from web pages carries, as
    /// `.whitespacesAndNewlines` does). Returns the text itself when there is nothing to trim.
    public static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let firstByte = utf8.first, let lastByte = utf8.last else { return text }
        if !mayBeSpace(first: firstByte), !mayBeSpace(last: lastByte) { return text }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        guard isSpace(first) || isSpace(last) else { return text }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    /// Whether a text whose UTF-8 starts with `byte` may start with a space: an ASCII one, or a
    /// scalar whose encoding starts C2 (U+0085, U+00A0), E1 (U+1680), E2 (U+2000…U+205F) or E3
    /// (U+3000). Every other text is told apart on its first byte, without decoding a scalar.
    @inline(__always)
    static func mayBeSpace(first byte: UInt8) -> Bool {
        byte < 0x80 ? isSpace(Unicode.Scalar(byte)) : (byte == 0xC2 || (byte >= 0xE1 && byte <= 0xE3))
    }

    /// Whether a text whose UTF-8 ends with `byte` may end with a space: an ASCII one, or a
    /// continuation byte that ends one of the others (85, A0, 80, 80…8B, A8, A9, AF, 9F). Most
    /// CJK texts end with a byte that rules it out.
    @inline(__always)
    static func mayBeSpace(last byte: UInt8) -> Bool {
        switch byte {
        case 0..<0x80: isSpace(Unicode.Scalar(byte))
        case 0x80...0x8B, 0x9F, 0xA0, 0xA8, 0xA9, 0xAF: true
        default: false
        }
    }

    /// Unicode's White_Space property and U+200B (as Foundation's set), spelled out: the property
    /// lookup was a measurable share of a bulk import (every field's first and last character is checked).
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09...0x0D, 0x85, 0xA0, 0x1680, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// Upper-cased; ASCII-only text (identifiers, field codes) without a Foundation round trip.
    public static func upper(_ text: String) -> String {
        var hasLower = false
        for byte in text.utf8 {
            if byte >= 0x80 { return text.uppercased() }
            if byte >= 0x61 && byte <= 0x7A { hasLower = true }
        }
        guard hasLower else { return text }
        return String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
    }

    /// ASCII letters lower-cased; other characters kept (enough for keyword matching).
    public static func lowerASCII(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether `needle` occurs in `text`, comparing UTF-8 bytes (in place for native strings: the
    /// severity rules ask this of every penalty's category once per keyword).
    public static func contains(_ text: String, _ needle: String) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ haystack in
            needle.utf8.withContiguousStorageIfAvailable { pattern in contains(haystack, pattern) }
        }), let found {
            return found
        }
        return Array(text.utf8).withUnsafeBufferPointer { haystack in
            Array(needle.utf8).withUnsafeBufferPointer { pattern in contains(haystack, pattern) }
        }
    }

    private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !pattern.isEmpty else { return true }
        guard haystack.count >= pattern.count else { return false }
        let first = pattern[0]
        var index = 0
        let last = haystack.count - pattern.count
        while index <= last {
            if haystack[index] == first {
                var matched = true
                for offset in 1..<pattern.count where haystack[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { return true }
            }
            index += 1
        }
        return false
    }

    /// `text` with every occurrence of `target` replaced, comparing UTF-8 bytes.
    public static func replacing(_ target: String, with replacement: String, in text: String) -> String {
        guard contains(text, target) else { return text }
        let haystack = Array(text.utf8)
        let pattern = Array(target.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(haystack.count)
        var index = 0
        while index < haystack.count {
            if index + pattern.count <= haystack.count, haystack[index..<(index + pattern.count)].elementsEqual(pattern) {
                output += replacement.utf8
                index += pattern.count
            } else {
                output.append(haystack[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
