import ArgumentParser
import Bus
import Crypto
import Foundation
import GRDB
import MeshProtocol
import ServiceKit

/// What `creditctl backup` writes beside the copies (`manifest.json`) and `creditctl restore` reads.
struct BackupManifest: Codable {
    static let formatName = "credit-mesh-backup/1"

    struct Database: Codable {
        /// The database's name under the data directory (`dispatch`, `interceptor-finance`).
        var name: String
        var file: String
        /// The service's own stream and its head in the copy, with the event at the head.
        var stream: String
        var head: Int64
        var headEvent: EventAnchor?
        /// For each stream the service follows, the last seq applied in the copy.
        var applied: [String: Int64]
        var bytes: Int64
        var sha256: String
        var takenAt: String
    }

    var format: String
    var takenAt: String
    var dataDirectory: String
    var databases: [Database]
}

/// The service databases of a data directory, followers before the publishers they follow (so that in
/// a backup set each follower's checkpoint is not beyond its publisher's head, except between
/// sanction-dispatch and repair, which follow each other).
enum ServiceDatabases {
    static let centralOrder = ["disclosure", "grading", "dispatch", "repair", "registry"]

    static func names(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let present = Set(files.filter { $0.hasSuffix(".sqlite") }.map { String($0.dropLast(".sqlite".count)) })
        let interceptors = present.filter { $0.hasPrefix("interceptor-") }.sorted()
        return interceptors + centralOrder.filter(present.contains)
    }

    /// The stream a database's service publishes: `interceptor-finance` → `interceptor.finance`.
    static func stream(of name: String) -> String {
        name.hasPrefix("interceptor-") ? "interceptor." + name.dropFirst("interceptor-".count) : name
    }

    /// The executable that owns a database, for messages.
    static func executable(of name: String) -> String {
        if name.hasPrefix("interceptor-") { return "interceptor --dept \(name.dropFirst("interceptor-".count))" }
        return CentralService(rawValue: name)?.executable ?? name
    }

    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CtlError("cannot read \(path)") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// `creditctl backup --to DIR`: an online, consistent copy of every service database of this host.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy every service database under the data directory, online and consistent, with each event log's head.",
        discussion: """
            Uses SQLite's online backup: the services keep running, and each copy is one consistent moment of its \
            database. DIR must be new or empty; it gets one .sqlite file per database and manifest.json (heads, \
            follower positions, sizes, SHA-256). Restore with creditctl restore --from DIR NAME. \
            Example: creditctl backup --to backup/$(date +%F)
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Directory to write the backup set to (created; must be empty if it exists).")
    var to: String
    @Option(help: "Back up only these databases (dispatch, interceptor-finance, …); repeatable.")
    var only: [String] = []
    @Flag var json = false

    func run() async throws {
        let topology = try global.topology()
        let source = topology.dataDirectory
        var names = ServiceDatabases.names(in: source)
        if names.isEmpty { throw CtlError("no service databases under \(source) (dataDir); nothing to back up") }
        if !only.isEmpty {
            let unknown = only.filter { !names.contains($0) }
            if !unknown.isEmpty {
                throw CtlError(
                    "no database \(unknown.joined(separator: ", ")) under \(source); there are: \(names.joined(separator: ", "))")
            }
            names = names.filter(only.contains)
        }
        try Self.prepare(directory: to)
        var entries: [BackupManifest.Database] = []
        for name in names {
            let entry = try Self.copy(name, from: (source as NSString).appendingPathComponent("\(name).sqlite"), to: to)
            entries.append(entry)
            if !json {
                let follows = entry.applied.keys.sorted().map { "\($0) \(entry.applied[$0]!)" }.joined(separator: ", ")
                say(
                    name.padding(24) + "head \(entry.head)".padding(14) + "\(entry.bytes / 1024) KiB".padding(12)
                        + (follows.isEmpty ? "" : "applied: \(follows)"))
            }
        }
        let manifest = BackupManifest(
            format: BackupManifest.formatName, takenAt: WireTime.format(Date()), dataDirectory: source, databases: entries)
        let data = try WireCoding.encode(manifest)
        try Data(data).write(to: URL(fileURLWithPath: to).appendingPathComponent("manifest.json"))
        if json { try printJSON(manifest) } else { say("backup of \(entries.count) databases in \(to) (manifest.json)") }
    }

    static func prepare(directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CtlError("\(directory) is a file; give a directory for the backup set") }
            let contents = try manager.contentsOfDirectory(atPath: directory)
            guard contents.isEmpty else {
                throw CtlError("\(directory) is not empty (\(contents.count) entries); give a new directory, nothing is overwritten")
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CtlError("cannot create \(directory): \(error.localizedDescription)")
            }
        }
    }

    /// Copies one live database with SQLite's backup API, reading the head and checkpoints in the same
    /// read transaction as the pages, and leaves the copy in rollback-journal mode (one self-contained file).
    static func copy(_ name: String, from path: String, to directory: String) throws -> BackupManifest.Database {
        let target = (directory as NSString).appendingPathComponent("\(name).sqlite")
        let takenAt = WireTime.format(Date())
        var head: Int64 = 0
        var headEvent: EventAnchor?
        var applied: [String: Int64] = [:]
        do {
            let live = try DatabaseQueue(path: path)
            let copy = try DatabaseQueue(path: target)
            try copy.writeWithoutTransaction { destination in
                try live.read { db in
                    if try db.tableExists("bus_events") {
                        headEvent = try Row.fetchOne(db, sql: "SELECT seq, id, at FROM bus_events ORDER BY seq DESC LIMIT 1").map {
                            EventAnchor(seq: $0["seq"], id: $0["id"], at: $0["at"])
                        }
                        head = headEvent?.seq ?? 0
                    }
                    if try db.tableExists("bus_checkpoints") { applied = try Checkpoints.all(db) }
                    try db.backup(to: destination)
                }
                try destination.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try copy.close()
            try live.close()
        } catch {
            throw CtlError("cannot back up \(name) (\(path)): \(error)")
        }
        let bytes = (try FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.int64Value ?? 0
        return BackupManifest.Database(
            name: name, file: "\(name).sqlite", stream: ServiceDatabases.stream(of: name), head: head, headEvent: headEvent,
            applied: applied, bytes: bytes, sha256: try ServiceDatabases.sha256(ofFile: target), takenAt: takenAt)
    }
}

/// `creditctl restore --from DIR NAME…`: puts stopped services' databases back from a backup set.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put service databases back from a backup set made by creditctl backup (the services must be stopped).",
        discussion: """
            Checks each copy against the manifest (SHA-256) and SQLite's integrity check, refuses while the service \
            answers on its ROUTER, keeps the database it replaces as <name>.sqlite.replaced-<time> (with its -wal), \
            and gives a restored interceptor a new instance id so that no check id is issued twice. When a restored \
            publisher starts, followers that applied events it no longer has rebuild from it (interceptors, \
            disclosure's and repair's listings) or stop as diverged (docs/OPERATIONS.md, "Restoring"). \
            Example: creditctl restore --from backup/2026-12-05 dispatch
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The backup set's directory.")
    var from: String
    @Flag(help: "Restore every database of the backup set.")
    var all = false
    @Argument(help: "Databases to restore: dispatch, registry, interceptor-finance, …")
    var names: [String] = []

    func validate() throws {
        if names.isEmpty && !all { throw ValidationError("name the databases to restore (dispatch, interceptor-finance, …) or give --all") }
        if !names.isEmpty && all { throw ValidationError("give either names or --all, not both") }
    }

    func run() async throws {
        let manifestFile = URL(fileURLWithPath: from).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: manifestFile.path) else {
            throw CtlError("\(manifestFile.path) not found: --from must be a directory written by creditctl backup")
        }
        let manifest: BackupManifest
        do {
            manifest = try WireCoding.decode(BackupManifest.self, from: Array(data))
        } catch {
            throw CtlError("\(manifestFile.path) is not a backup manifest (\(error))")
        }
        guard manifest.format == BackupManifest.formatName else {
            throw CtlError("\(manifestFile.path) has format \(manifest.format); this creditctl reads \(BackupManifest.formatName)")
        }
        let chosen = all ? manifest.databases.map(\.name) : names
        let unknown = chosen.filter { name in !manifest.databases.contains { $0.name == name } }
        if !unknown.isEmpty {
            throw CtlError(
                "the backup set in \(from) has no \(unknown.joined(separator: ", ")); it has: \(manifest.databases.map(\.name).joined(separator: ", "))"
            )
        }
        let topology = try global.topology()
        let entries = manifest.databases.filter { chosen.contains($0.name) }
        // Everything is checked before anything is replaced.
        for entry in entries {
            try verify(entry)
            try await refuseIfRunning(entry.name, topology: topology)
        }
        let stamp = WireTime.format(Date()).replacingOccurrences(of: ":", with: "")
        for entry in entries {
            let kept = try restore(entry, into: topology.dataDirectory, stamp: stamp)
            say(
                "\(entry.name): restored from \(from) (taken \(entry.takenAt), \(entry.stream) head \(entry.head))"
                    + (kept.map { "; the database it replaced is kept as \($0)" } ?? ""))
        }
        say(
            "start the restored services; followers that applied beyond a restored head rebuild from it or report diverged: "
                + "watch creditctl status")
    }

    private func verify(_ entry: BackupManifest.Database) throws {
        let path = (from as NSString).appendingPathComponent(entry.file)
        guard FileManager.default.fileExists(atPath: path) else { throw CtlError("\(path) is missing from the backup set") }
        let digest = try ServiceDatabases.sha256(ofFile: path)
        guard digest == entry.sha256 else {
            throw CtlError(
                "\(path) does not match its manifest (SHA-256 \(digest), manifest \(entry.sha256)): the copy was altered or damaged")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let result: String? = try {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                defer { try? queue.close() }
                return try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            } catch {
                throw CtlError("\(path) cannot be read as a database: \(error)")
            }
        }()
        guard result == "ok" else { throw CtlError("\(path) fails SQLite's integrity check: \(result ?? "no answer")") }
    }

    /// A service that answers (or refuses this key) on its ROUTER is running: its database must not be
    /// replaced under it.
    private func refuseIfRunning(_ name: String, topology: Topology) async throws {
        let endpoints: BusEndpoints
        if name.hasPrefix("interceptor-") {
            guard let found = try? topology.interceptorEndpoints(of: String(name.dropFirst("interceptor-".count))) else { return }
            endpoints = found
        } else {
            guard let service = CentralService(rawValue: name) else { return }
            endpoints = try topology.endpoints(of: service)
        }
        let client = try global.security(as: nil).busClient(toward: endpoints)
        defer { client.close() }
        let answered: Bool
        do {
            _ = try await client.request("ping", body: .object([:]), timeout: .milliseconds(1_500))
            answered = true
        } catch BusClientError.refused {
            answered = true
        } catch {
            answered = false
        }
        if answered {
            throw CtlError(
                "\(ServiceDatabases.executable(of: name)) is running (it answered on \(endpoints.router)); stop it first (make down, or "
                    + "SIGTERM its process), then restore")
        }
    }

    /// Moves the current database aside and copies the backup in its place. Returns where the
    /// replaced database is kept.
    private func restore(_ entry: BackupManifest.Database, into dataDirectory: String, stamp: String) throws -> String? {
        let manager = FileManager.default
        try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let target = (dataDirectory as NSString).appendingPathComponent("\(entry.name).sqlite")
        var kept: String?
        if manager.fileExists(atPath: target) {
            let aside = "\(target).replaced-\(stamp)"
            for suffix in ["", "-wal", "-shm"] where manager.fileExists(atPath: target + suffix) {
                try manager.moveItem(atPath: target + suffix, toPath: aside + suffix)
            }
            kept = aside
        }
        try manager.copyItem(atPath: (from as NSString).appendingPathComponent(entry.file), toPath: target)
        if entry.name.hasPrefix("interceptor-") {
            // Check ids (and so feedback ids) carry the instance id: the restored database issues check
            // numbers again from its backup, and dispatch keeps each feedback id once.
            let queue = try DatabaseQueue(path: target)
            try queue.write { db in
                if try db.tableExists("instance") {
                    try db.execute(sql: "UPDATE instance SET id = ?", arguments: [String(UUID().uuidString.prefix(8)).lowercased()])
                }
            }
            try queue.close()
        }
        return kept
    }
}
