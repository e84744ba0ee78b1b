import Bus
import Foundation
import Logging
import Synchronization
import Yams

/// The centre's roster: the public key of every party (departments, central services, operators)
/// and the keys revoked. Public data — its integrity matters, not its secrecy. Kept as YAML
/// (`security.roster`, default `<keysDir>/roster.yaml`) and changed with `creditctl keys`.
public struct Roster: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var role: PeerRole
        public var key: String
        public var registered: String?
    }

    public struct Revocation: Codable, Sendable, Equatable {
        public var name: String
        public var key: String
        public var revoked: String
        public var reason: String?
    }

    public var parties: [String: Entry]
    public var revoked: [Revocation]

    public init(parties: [String: Entry] = [:], revoked: [Revocation] = []) {
        self.parties = parties
        self.revoked = revoked
    }

    /// Adds or replaces a party's key; a replaced key is revoked, so it stops working everywhere.
    public mutating func register(_ name: String, role: PeerRole, key: String, at time: String) throws(KeyError) {
        guard KeyFile.isZ85Key(key) else { throw KeyError("\(key) is not a 40-character Z85 public key") }
        if let holder = parties.first(where: { $0.value.key == key && $0.key != name }) {
            throw KeyError("this key is already registered to \(holder.key); every party has its own key")
        }
        guard !revoked.contains(where: { $0.key == key }) else {
            throw KeyError("this key was revoked; generate a new one (creditctl keys generate --dept \(name) --replace)")
        }
        if let old = parties[name], old.key != key {
            revoked.append(Revocation(name: name, key: old.key, revoked: time, reason: "replaced"))
        }
        parties[name] = Entry(role: role, key: key, registered: time)
    }

    /// Revokes a party's current key and removes the party.
    public mutating func revoke(_ name: String, reason: String?, at time: String) throws(KeyError) {
        guard let entry = parties.removeValue(forKey: name) else { throw KeyError("\(name) is not in the roster") }
        revoked.append(Revocation(name: name, key: entry.key, revoked: time, reason: reason))
    }

    public static func load(path: String) throws -> Roster {
        guard FileManager.default.fileExists(atPath: path) else {
            throw KeyError(
                "no roster at \(path) (on a department host: install the roster.yaml the credit office sent; for the local suite: run `creditctl keys init`; or start with --insecure)"
            )
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KeyError("cannot read the roster \(path): \(error.localizedDescription)")
        }
        do {
            var roster = try YAMLDecoder().decode(Roster.self, from: text)
            for (name, entry) in roster.parties where !KeyFile.isZ85Key(entry.key) {
                throw KeyError("party \(name) has a key that is not 40 Z85 characters")
            }
            roster.revoked = roster.revoked.filter { KeyFile.isZ85Key($0.key) }
            return roster
        } catch let error as KeyError {
            throw KeyError("\(path): \(error.description)")
        } catch {
            throw KeyError("\(path) is not a valid roster: \(error)")
        }
    }

    public func save(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let header =
            "# Credit Mesh roster: every party's CURVE public key. Change it with `creditctl keys`; services reload it within a second.\n"
        try writeAtomically(header + (try YAMLEncoder().encode(self)), to: path, permissions: 0o644)
    }
}

/// The roster file as the services see it: reloaded when the file changes (checked at most every
/// `reloadInterval`, 200 ms by default, on use), so registrations and revocations take effect
/// without a restart. A file that cannot be read keeps the last good roster in force and is logged.
public final class RosterStore: PeerDirectory {
    public let path: String
    /// The least time between two looks at the file.
    public let reloadInterval: Duration
    private let clock: ServiceClock
    private let logger: Logger
    private struct State {
        var roster: Roster {
            didSet { peers = Self.index(roster) }
        }
        /// Valid keys → party, so a lookup per request is one dictionary access.
        var peers: [String: Peer]
        var stamp: FileStamp?
        var checked: ServiceClock.Instant
        var revocations: Int

        init(roster: Roster, stamp: FileStamp?, checked: ServiceClock.Instant, revocations: Int) {
            self.roster = roster
            self.peers = Self.index(roster)
            self.stamp = stamp
            self.checked = checked
            self.revocations = revocations
        }

        static func index(_ roster: Roster) -> [String: Peer] {
            let revoked = Set(roster.revoked.map(\.key))
            var peers: [String: Peer] = [:]
            for (name, entry) in roster.parties where !revoked.contains(entry.key) {
                peers[entry.key] = Peer(name: name, role: entry.role)
            }
            return peers
        }
    }
    private let state: Mutex<State>

    public init(path: String, reloadInterval: Duration = .milliseconds(200), clock: ServiceClock = .system, logger: Logger) throws {
        self.path = path
        self.reloadInterval = reloadInterval
        self.clock = clock
        self.logger = logger
        let roster = try Roster.load(path: path)
        state = Mutex(State(roster: roster, stamp: FileStamp(path: path), checked: clock.now, revocations: 0))
    }

    public var roster: Roster { refreshed().roster }

    public func peer(forKey publicKey: String) -> Peer? { refreshed().peers[publicKey] }

    public var revocations: Int { refreshed().revocations }

    private func refreshed() -> State {
        state.withLock { state in
            let now = clock.now
            guard state.checked.duration(to: now) >= reloadInterval else { return state }
            state.checked = now
            let stamp = FileStamp(path: path)
            guard stamp != state.stamp else { return state }
            do {
                let fresh = try Roster.load(path: path)
                let before = Set(state.peers.keys)
                state.roster = fresh
                if !before.subtracting(state.peers.keys).isEmpty { state.revocations += 1 }
                state.stamp = stamp
                logger.notice(
                    "Roster reloaded",
                    metadata: [
                        "roster.path": "\(path)", "roster.parties": "\(fresh.parties.count)", "roster.revoked": "\(fresh.revoked.count)",
                    ])
            } catch {
                state.stamp = stamp
                logger.error(
                    "Roster could not be reloaded; the previous one stays in force",
                    metadata: ["roster.path": "\(path)", "error": "\(error)"])
            }
            return state
        }
    }
}

/// Modification time, size and inode of a file, to notice a change (a rename gives a new inode).
struct FileStamp: Equatable {
    var modified: Date
    var size: Int
    var inode: Int

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? NSNumber
        else { return nil }
        self.modified = modified
        self.size = size.intValue
        self.inode = (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? 0
    }
}
