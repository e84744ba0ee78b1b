import CreditDomain
import Crypto
import Foundation
import GRDB
import MeshProtocol

/// A credit report (信用报告): everything the portal discloses about a subject at a moment, numbered
/// and signed, so a department accepting it (procurement, approvals: Siyang Measures Art. 13–14) can
/// tell a genuine one from a forged or altered one.
public struct CreditReport: Codable, Sendable {
    public var number: String
    public var issuedAt: String
    public var issuer: String
    public var page: SubjectPage
}

/// A report as issued and as a file: the exact bytes signed (`payload`, base64 of the report's JSON),
/// the Ed25519 signature over them, the portal's public key, and the verification code printed on the
/// report (the first 12 hex characters, upper case, of SHA-256 of the signature).
public struct SignedReport: Codable, Sendable {
    public var number: String
    public var payload: String
    public var signature: String
    public var publicKey: String
    public var verificationCode: String
    public var algorithm: String

    /// The report inside, when the signature verifies with `publicKey` (raw 32-byte Ed25519, base64).
    public func verified(with publicKey: String) -> CreditReport? {
        guard let key = Data(base64Encoded: publicKey), let verifier = try? Curve25519.Signing.PublicKey(rawRepresentation: key),
            let bytes = Data(base64Encoded: payload), let signature = Data(base64Encoded: signature),
            verifier.isValidSignature(signature, for: bytes),
            let report = try? WireCoding.decode(CreditReport.self, from: Array(bytes)), report.number == number
        else { return nil }
        return report
    }

    static func code(of signature: Data) -> String {
        SHA256.hash(data: signature).prefix(6).map { String(format: "%02X", $0) }.joined()
    }
}

/// Issues, stores and looks up signed reports. The signing key is made once per installation
/// (`disclosure_secrets`); its public half is published (`/reports/public-key`, `creditctl report key`).
public struct ReportDesk: Sendable {
    let writer: any DatabaseWriter
    let key: Curve25519.Signing.PrivateKey
    let issuer: String

    public init(writer: any DatabaseWriter, issuer: String) throws {
        self.writer = writer
        self.issuer = issuer
        guard
            let raw = try writer.read({
                try Data.fetchOne($0, sql: "SELECT value FROM disclosure_secrets WHERE name = 'report-signing-key'")
            })
        else { throw DomainError.invalid(field: "disclosure_secrets", value: "", reason: "the report signing key is missing") }
        key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    /// The public key, raw 32 bytes, base64.
    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    /// Issues a report of `page` now: the next number of the day, signed, stored; the report and its
    /// signed file.
    public func issue(_ page: SubjectPage, at now: Date = Date()) async throws -> (report: CreditReport, signed: SignedReport) {
        let day = FieldDates.isoDate(now)
        return try await writer.write { [key, issuer] db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM reports WHERE issued_on = ?", arguments: [day]) ?? 0
            let number = "CR" + day.replacingOccurrences(of: "-", with: "") + String(format: "%06d", count + 1)
            let report = CreditReport(number: number, issuedAt: WireTime.format(now), issuer: issuer, page: page)
            let payload = Data(try WireCoding.encode(report))
            let signature = try key.signature(for: payload)
            let signed = SignedReport(
                number: number, payload: payload.base64EncodedString(), signature: signature.base64EncodedString(),
                publicKey: key.publicKey.rawRepresentation.base64EncodedString(), verificationCode: SignedReport.code(of: signature),
                algorithm: "Ed25519")
            try db.execute(
                sql: "INSERT INTO reports(number, issued_on, subject_key, document) VALUES (?, ?, ?, ?)",
                arguments: [number, day, page.subject.key, String(decoding: try WireCoding.encode(signed), as: UTF8.self)])
            return (report, signed)
        }
    }

    /// The stored signed file of a report, by number.
    public func stored(_ number: String) async throws -> SignedReport? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT document FROM reports WHERE number = ?", arguments: [number])
                .map { try WireCoding.decode(SignedReport.self, from: Array($0.utf8)) }
        }
    }

    /// The stored report with this number and verification code (case and separators ignored), or nil.
    public func lookup(_ number: String, code: String) async throws -> SignedReport? {
        let wanted = code.uppercased().filter { $0.isHexDigit }
        return try await stored(number).flatMap { $0.verificationCode == wanted ? $0 : nil }
    }
}
