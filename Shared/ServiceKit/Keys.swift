import Bus
import Foundation
import Yams
import ZeroMQ

/// A party's CURVE key files: `<name>.key` holds the key pair and is readable by its owner only
/// (0600); `<name>.pub` holds the public key alone and is what a department hands to the centre.
public struct KeyFile: Codable, Sendable, Equatable {
    public var name: String
    public var role: PeerRole
    public var publicKey: String
    /// Absent in a `.pub` file.
    public var secretKey: String?

    enum CodingKeys: String, CodingKey {
        case name, role
        case publicKey = "public-key"
        case secretKey = "secret-key"
    }

    public init(name: String, role: PeerRole, keys: CurveKeyPair) {
        self.name = name
        self.role = role
        self.publicKey = keys.publicKey
        self.secretKey = keys.secretKey
    }

    public var keyPair: CurveKeyPair? { secretKey.map { CurveKeyPair(publicKey: publicKey, secretKey: $0) } }

    /// Writes `<directory>/<name>.key` (0600) and `<name>.pub` (0644); refuses to replace an existing
    /// secret key unless `replace`.
    public static func write(_ file: KeyFile, to directory: String, replace: Bool = false) throws -> (secret: String, public: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secretPath = (directory as NSString).appendingPathComponent("\(file.name).key")
        let publicPath = (directory as NSString).appendingPathComponent("\(file.name).pub")
        if !replace, FileManager.default.fileExists(atPath: secretPath) {
            throw KeyError("\(secretPath) exists; a key is not replaced by accident (use --replace, then register the new public key)")
        }
        let header =
            "# Credit Mesh CURVE key pair of \(file.name) — SECRET: keep it 0600, on \(file.name)'s own host, and out of backups others read.\n"
        try writeAtomically(header + (try YAMLEncoder().encode(file)), to: secretPath, permissions: 0o600)
        var publicPart = file
        publicPart.secretKey = nil
        let publicHeader = "# Credit Mesh public key of \(file.name): give this file to the credit office (creditctl keys register).\n"
        try writeAtomically(publicHeader + (try YAMLEncoder().encode(publicPart)), to: publicPath, permissions: 0o644)
        return (secretPath, publicPath)
    }

    /// Reads a `.key` or `.pub` file, validating the keys. A `.key` file readable by others is refused.
    public static func read(path: String, requireSecret: Bool) throws -> KeyFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw KeyError(
                "cannot read the key file \(path) (create keys with `creditctl keys generate --dept NAME`, or `creditctl keys init` for the local suite)"
            )
        }
        let file: KeyFile
        do {
            file = try YAMLDecoder().decode(KeyFile.self, from: text)
        } catch {
            throw KeyError("\(path) is not a key file: \(error)")
        }
        guard Self.isZ85Key(file.publicKey) else { throw KeyError("\(path): public-key is not a 40-character Z85 key") }
        if requireSecret {
            guard let secret = file.secretKey else { throw KeyError("\(path) holds no secret key (is it the .pub file?)") }
            guard Self.isZ85Key(secret), (try? CurveKeyPair.publicKey(forSecret: secret)) == file.publicKey else {
                throw KeyError("\(path): the secret key does not belong to the public key")
            }
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let permissions = attributes[.posixPermissions] as? NSNumber, permissions.intValue & 0o077 != 0
            {
                throw KeyError(
                    "\(path) is readable by others (mode \(String(permissions.intValue, radix: 8))); a secret key must be 0600: chmod 600 \(path)"
                )
            }
        }
        return file
    }

    public static func isZ85Key(_ text: String) -> Bool {
        text.utf8.count == 40 && text.unicodeScalars.allSatisfy { z85Alphabet.contains($0) }
    }

    private static let z85Alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".unicodeScalars)
}

/// A key or roster problem, said plainly.
public struct KeyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Writes a file through a temporary file and a rename, so readers see the old or the new whole file.
/// With `owner`, the new file gets that user and group before it takes the old one's place.
func writeAtomically(_ text: String, to path: String, permissions: Int, owner: (uid_t, gid_t)? = nil) throws {
    let temporary = path + ".tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: permissions]) else {
        throw KeyError("cannot write \(temporary)")
    }
    if let owner, chown(temporary, owner.0, owner.1) != 0 {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw KeyError("cannot give \(path) its owner: \(reason)")
    }
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw KeyError("cannot replace \(path): \(reason)")
    }
}
