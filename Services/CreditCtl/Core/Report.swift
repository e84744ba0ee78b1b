import ArgumentParser
import Crypto
import Foundation
import MeshProtocol

/// `creditctl report`: the public key credit reports are signed with, and offline verification of a
/// report's signed file (`/reports/{number}.json` on the portal).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Credit reports (信用报告): the signing key, and verifying a report's signed file offline.",
        subcommands: [Key.self, Verify.self])

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the portal's public key (Ed25519, base64) that credit reports are signed with: publish it.")
        @OptionGroup var global: GlobalOptions
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("disclosure", "report.key")
            try output(result, json: json) { say($0["publicKey"]?.textValue ?? "?") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a credit report's signed file offline with the published public key.",
            discussion: """
                Exits 0 and prints what the report says when the signature verifies with the key; exits 1 naming \
                what is wrong when the file was altered, signed by another key, or is not a report.
                """)
        @Argument(help: "The report's signed file (REPORT.json from the portal).") var file: String
        @Option(help: "The published public key: base64, or a file holding it (or /reports/public-key's JSON).")
        var publicKey: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            let document = try? WireCoding.decode(JSONValue.self, from: Array(data))
            guard let document, let payloadText = document["payload"]?.stringValue, let payload = Data(base64Encoded: payloadText),
                let signatureText = document["signature"]?.stringValue, let signature = Data(base64Encoded: signatureText)
            else {
                throw ValidationError("\(file) is not a credit report's signed file: it needs payload and signature (base64)")
            }
            guard let key = try Self.key(publicKey) else {
                throw ValidationError("--public-key is not an Ed25519 public key (32 bytes, base64), nor a file holding one")
            }
            guard key.isValidSignature(signature, for: payload) else {
                FileHandle.standardError.write(
                    Data(
                        "NOT GENUINE: the signature of \(file) does not verify with the published key: altered, or not issued by the portal\n"
                            .utf8))
                throw ExitCode(1)
            }
            let report = (try? WireCoding.decode(JSONValue.self, from: Array(payload))) ?? .null
            guard report["number"] != nil, report["number"] == document["number"] else {
                FileHandle.standardError.write(Data("NOT GENUINE: the signed report's number is not the file's number\n".utf8))
                throw ExitCode(1)
            }
            let subject = report["page"]?["subject"] ?? .null
            say(
                "GENUINE: report \(report["number"]?.textValue ?? "?") issued \(report["issuedAt"]?.textValue ?? "?") by "
                    + "\(report["issuer"]?.textValue ?? "?") for \(subject["name"]?.textValue ?? "?") (\(subject["code"]?.textValue ?? "?"))"
            )
            for (key, label) in [
                ("licences", "licences"), ("penalties", "penalties"), ("commitments", "commitments"), ("listings", "listings"),
            ] {
                say("  \(label): \(report["page"]?[key]?.arrayValue?.count ?? 0)")
            }
        }

        /// The key from base64 text, a file holding it, or the JSON of `/reports/public-key`.
        static func key(_ text: String) throws -> Curve25519.Signing.PublicKey? {
            var value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let contents = FileManager.default.contents(atPath: value) {
                value = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if let json = try? WireCoding.decode(JSONValue.self, from: Array(value.utf8)), let key = json["publicKey"]?.stringValue {
                    value = key
                }
            }
            return Data(base64Encoded: value).flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
        }
    }
}
