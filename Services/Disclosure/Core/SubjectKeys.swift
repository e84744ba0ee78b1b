import CreditDomain
import Crypto
import Foundation
import GRDB

/// The key of a subject's page. An organisation's unified social credit code is public and is its own
/// key; a natural person's identifier is never stored: its key is `P` and 24 hex characters of an
/// HMAC-SHA-256 under this installation's secret, so the person's full ID finds the page while the page
/// address and the database reveal nothing of it.
public struct SubjectKeys: Sendable {
    let secret: SymmetricKey

    public init(secret: Data) { self.secret = SymmetricKey(data: secret) }

    /// The installation's secret, made once by the schema (`disclosure_secrets`).
    public static func load(from db: Database) throws -> SubjectKeys {
        guard let value = try Data.fetchOne(db, sql: "SELECT value FROM disclosure_secrets WHERE name = 'subject-key'") else {
            throw DomainError.invalid(field: "disclosure_secrets", value: "", reason: "the subject-key secret is missing")
        }
        return SubjectKeys(secret: value)
    }

    /// The page key of a stored (validated) subject identifier.
    public func key(for id: String) -> String {
        let normalised = Identifiers.normalised(id)
        if (try? Identifiers.unifiedSocialCreditCode(normalised, field: "subject")) != nil { return normalised }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(normalised.utf8), using: secret)
        return "P" + mac.prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `text` has the shape of a page key (so a lookup by key is tried first).
    public static func isKey(_ text: String) -> Bool {
        text.count == 25 && text.first == "P" && text.dropFirst().allSatisfy(\.isHexDigit)
    }
}

/// Search text as the portal compares it: full-width forms folded to half-width (NFKC), spaces of every
/// width removed, Latin letters upper-cased.
public enum SearchText {
    public static func normalised(_ text: String) -> String {
        // NFKC leaves ASCII and the CJK unified ideographs as they are, and of them only ASCII has
        // spaces and letters to upper-case: most names and codes take this path, byte by byte.
        guard text.unicodeScalars.allSatisfy(isNFKCStable) else {
            return text.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.uppercased()
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x09...0x0D, 0x20: continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"): bytes.append(byte - 0x20)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ASCII, and the CJK Unified Ideographs with Extension A: no compatibility mapping, and nothing
    /// composes with them.
    static func isNFKCStable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 || (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
    }
}
