import Crypto
import Foundation

/// The API tokens of one interceptor's HTTP check API: one per calling business system, kept as the
/// SHA-256 of the token (the token itself is shown once, when issued, and stored nowhere).
///
/// The file (`interceptors.<dept>.tokens`, default `<dataDir>/interceptor-<dept>.tokens`) is text, one
/// token a line: `name<TAB>sha256-hex<TAB>issued<TAB>revoked or -`. `creditctl token` writes it
/// (through a temporary file and a rename); the interceptor reads it again whenever it changes, so an
/// issued or revoked token counts from the next request, without a restart.
public struct APITokenFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable, Codable {
        /// The calling system's name, as the audit log names it (`procurement-portal`).
        public var name: String
        /// SHA-256 of the token, lowercase hex.
        public var hash: String
        public var issued: String
        public var revoked: String?

        public var isActive: Bool { revoked == nil }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    /// Token text: `cmt_` and 43 characters of base64url (32 random bytes).
    public static let prefix = "cmt_"

    /// A name of 1–64 characters from a–z, 0–9, `.`, `_` and `-`, starting with a letter or digit.
    public static func validate(name: String) throws(APITokenError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy({ allowed.contains($0) }), let first = name.first,
            first.isLetter || first.isNumber
        else {
            throw APITokenError(
                "\"\(name)\" is not a system name: use 1–64 characters of a–z, 0–9, '.', '_', '-' starting with a letter or digit, such as procurement-portal"
            )
        }
    }

    public static func hash(of token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// The active entry whose hash is the token's, if any.
    public func caller(presenting token: String) -> Entry? {
        let hash = Self.hash(of: token)
        return entries.first { $0.isActive && $0.hash == hash }
    }

    /// Issues a token for `name` and returns it; a name that holds an active token is refused, so two
    /// systems never share one name in the audit log (revoke the old token first to replace it).
    public mutating func issue(to name: String, at time: String) throws(APITokenError) -> String {
        try Self.validate(name: name)
        if entries.contains(where: { $0.name == name && $0.isActive }) {
            throw APITokenError("\(name) already has an active token; revoke it first (creditctl token revoke \(name)) to issue another")
        }
        let token = Self.generate()
        entries.append(Entry(name: name, hash: Self.hash(of: token), issued: time, revoked: nil))
        return token
    }

    /// Revokes the active token of `name`.
    public mutating func revoke(_ name: String, at time: String) throws(APITokenError) {
        guard let index = entries.firstIndex(where: { $0.name == name && $0.isActive }) else {
            let known = entries.filter(\.isActive).map(\.name)
            throw APITokenError(
                "\(name) has no active token; active: \(known.isEmpty ? "none" : known.joined(separator: ", ")) (creditctl token list)")
        }
        entries[index].revoked = time
    }

    // MARK: - The file

    public static func parse(_ text: String, path: String) throws(APITokenError) -> APITokenFile {
        var entries: [Entry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, fields[1].count == 64, fields[1].allSatisfy(\.isHexDigit) else {
                throw APITokenError(
                    "\(path) line \(number + 1) is not name, SHA-256 hex, issued and revoked separated by tabs; manage the file with creditctl token"
                )
            }
            do {
                try validate(name: fields[0])
            } catch {
                throw APITokenError("\(path) line \(number + 1): \(error)")
            }
            entries.append(
                Entry(name: fields[0], hash: fields[1].lowercased(), issued: fields[2], revoked: fields[3] == "-" ? nil : fields[3]))
        }
        return APITokenFile(entries: entries)
    }

    /// The file at `path`; a missing file holds no token.
    public static func load(path: String) throws(APITokenError) -> APITokenFile {
        guard FileManager.default.fileExists(atPath: path) else { return APITokenFile() }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw APITokenError("cannot read the token file \(path); it must be readable by the interceptor's user")
        }
        return try parse(text, path: path)
    }

    public var text: String {
        var text = "# Credit Mesh API tokens of an interceptor: name, SHA-256 of the token, issued, revoked. Managed by creditctl token.\n"
        for entry in entries {
            text += "\(entry.name)\t\(entry.hash)\t\(entry.issued)\t\(entry.revoked ?? "-")\n"
        }
        return text
    }

    /// Writes the file through a temporary file and a rename (0640: the interceptor's group reads it),
    /// keeping the owner and group of the file it replaces.
    public func save(path: String) throws(APITokenError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            var owner: (uid_t, gid_t)?
            var info = stat()
            if stat(path, &info) == 0 {
                owner = (info.st_uid, info.st_gid)
            } else if stat(directory.isEmpty ? "." : directory, &info) == 0, getuid() == 0 {
                // A new file belongs to the directory's owner (the interceptor's user on a package install).
                owner = (info.st_uid, info.st_gid)
            }
            try writeAtomically(text, to: path, permissions: 0o640, owner: owner)
        } catch let error as APITokenError {
            throw error
        } catch {
            throw APITokenError("cannot write the token file \(path): \(error)")
        }
    }
}

/// A token file that could not be read, parsed or changed, or a request to it that makes no sense.
public struct APITokenError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
