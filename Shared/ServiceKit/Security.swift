import Bus
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// How one process secures its sockets: CURVE with its own key pair and the centre's roster (the
/// default), or nothing at all (only with an explicit `--insecure`).
///
/// Config keys: `security.keysDir` (default `var/keys`): where `<name>.key` files are looked up;
/// `security.roster` (default `<keysDir>/roster.yaml`); `security.key`: a key file to use instead of
/// `<keysDir>/<name>.key` (for a department's interceptor on its own host).
public struct Security: Sendable {
    public enum Mode: Sendable {
        case insecure
        case curve(name: String, keys: CurveKeyPair, roster: RosterStore)
    }

    public let mode: Mode

    public var isInsecure: Bool { if case .insecure = mode { true } else { false } }

    /// Options for this process's server sockets (PUB, ROUTER).
    public var server: SocketSecurity {
        switch mode {
        case .insecure: .none
        case .curve(_, let keys, _): .curveServer(secretKey: keys.secretKey)
        }
    }

    /// The roster servers consult on every request, nil when insecure.
    public var peers: (any PeerDirectory)? {
        switch mode {
        case .insecure: nil
        case .curve(_, _, let roster): roster
        }
    }

    /// Options for a client socket toward `endpoints`' server, whose public key the roster holds.
    public func client(toward endpoints: BusEndpoints) throws(ConfigError) -> SocketSecurity {
        guard case .curve(_, let keys, let roster) = mode else { return .none }
        guard let entry = roster.roster.parties[endpoints.server] else {
            throw ConfigError(
                key: "security.roster", source: roster.path,
                reason:
                    "the roster has no key for \(endpoints.server), so its sockets cannot be authenticated (creditctl keys init / keys register)"
            )
        }
        return .curveClient(serverKey: entry.key, keys: keys)
    }

    /// Bus server options with this process's CURVE key and roster.
    public func secure(_ options: BusServerOptions) -> BusServerOptions {
        var options = options
        options.security = server
        options.peers = peers
        return options
    }

    /// Subscriber options toward a publisher with this process's keys.
    public func subscriber(toward endpoints: BusEndpoints) throws(ConfigError) -> StreamSubscriber.Options {
        StreamSubscriber.Options(pubEndpoint: endpoints.pub, routerEndpoint: endpoints.router, security: try client(toward: endpoints))
    }

    /// A request client toward a service's ROUTER.
    public func busClient(toward endpoints: BusEndpoints) throws -> BusClient {
        try BusClient(endpoint: endpoints.router, security: try client(toward: endpoints))
    }

    // MARK: - The process's ZAP handler

    private static let authenticator = Mutex<ZAPHandler?>(nil)

    /// Starts this process's ZAP handler once, before any CURVE server socket binds: a handshake
    /// succeeds only with a key the roster holds and has not revoked; the ZAP user id is that key.
    /// Refusals are logged (once a minute per key and address).
    public func startAuthenticator(logger: Logger) throws {
        guard case .curve(_, _, let roster) = mode else { return }
        try Self.authenticator.withLock { handler in
            guard handler == nil else { return }
            let refusals = RefusalLog(logger: logger)
            handler = try ZAPHandler { request in
                guard request.mechanism == "CURVE", let key = request.publicKey else {
                    refusals.note(address: request.address, key: "(\(request.mechanism))")
                    return nil
                }
                guard roster.peer(forKey: key) != nil else {
                    refusals.note(address: request.address, key: key)
                    return nil
                }
                return key
            }
        }
    }
}

/// Logs refused handshakes without flooding: a refused client reconnects every few hundred ms.
private final class RefusalLog: Sendable {
    private let logger: Logger
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])

    init(logger: Logger) { self.logger = logger }

    func note(address: String, key: String) {
        let now = ContinuousClock.now
        let due = lastLogged.withLock { seen -> Bool in
            let id = "\(address)|\(key)"
            if let last = seen[id], now - last < .seconds(60) { return false }
            if seen.count > 10_000 { seen.removeAll() }
            seen[id] = now
            return true
        }
        if due {
            logger.warning(
                "Refused a connection: key not in the roster or revoked",
                metadata: ["peer.address": "\(address)", "peer.key": "\(key)"])
        }
    }
}

extension Topology {
    /// `security.keysDir` (default `var/keys`).
    public var keysDirectory: String { config.string("security.keysDir", default: "var/keys") }

    /// `security.roster` (default `<keysDir>/roster.yaml`).
    public var rosterPath: String {
        config.string("security.roster", default: (keysDirectory as NSString).appendingPathComponent("roster.yaml"))
    }

    /// The key file this process uses as `name`: `security.key` if set, else `<keysDir>/<name>.key`.
    public func keyFilePath(for name: String) -> String {
        config.optionalString("security.key") ?? (keysDirectory as NSString).appendingPathComponent("\(name).key")
    }

    /// This process's security as the party `name` (a service, a department's interceptor, or
    /// creditctl's operator or department): insecure only when `insecure` says so, otherwise its key
    /// file and the roster, both of which must exist and agree.
    public func security(as name: String, insecure: Bool, logger: Logger, keyFile: String? = nil) throws -> Security {
        if insecure { return Security(mode: .insecure) }
        let path = keyFile ?? keyFilePath(for: name)
        let file: KeyFile
        do {
            file = try KeyFile.read(path: path, requireSecret: true)
        } catch let error as KeyError {
            throw ConfigError(key: "security.key", source: path, reason: error.description)
        }
        guard let keys = file.keyPair else { throw ConfigError(key: "security.key", source: path, reason: "no secret key") }
        let roster: RosterStore
        do {
            roster = try RosterStore(path: rosterPath, logger: logger)
        } catch {
            throw ConfigError(key: "security.roster", source: rosterPath, reason: "\(error)")
        }
        guard let peer = roster.peer(forKey: keys.publicKey) else {
            throw ConfigError(
                key: "security.roster", source: rosterPath,
                reason:
                    "the public key of \(path) is not registered (or was revoked): creditctl keys register \(path.replacingOccurrences(of: ".key", with: ".pub"))"
            )
        }
        if peer.name != name, keyFile == nil, config.optionalString("security.key") == nil {
            throw ConfigError(key: "security.key", source: path, reason: "this key is registered to \(peer.name), not \(name)")
        }
        return Security(mode: .curve(name: peer.name, keys: keys, roster: roster))
    }
}

extension Topology {
    /// A service's security as `name`, with its ZAP handler started: call before building any bus
    /// server. In insecure mode it says so loudly, at start and in every `status`.
    public func serviceSecurity(as name: String, logger: Logger) throws -> Security {
        let security = try self.security(as: name, insecure: insecure, logger: logger)
        if security.isInsecure {
            for line in Security.insecureBanner(name) { logger.critical("\(line)") }
        } else {
            try security.startAuthenticator(logger: logger)
            logger.info("CURVE on: only keys in the roster may connect", metadata: ["roster.path": "\(rosterPath)", "key.name": "\(name)"])
        }
        return security
    }
}

extension Security {
    /// What an insecure process logs at start.
    public static func insecureBanner(_ name: String) -> [String] {
        [
            "INSECURE MODE (--insecure): \(name) runs WITHOUT CurveZMQ.",
            "Anyone who can reach its ports can read every event and act as ANY department (the \"as\" field is believed).",
            "Use it only on a closed test machine; start without --insecure to use the keys in the roster.",
        ]
    }
}
