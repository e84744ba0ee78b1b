import Foundation
import HTTPSupport
import Hummingbird
import Logging
import MeshProtocol
import ServiceKit
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Who may reach an interceptor's HTTP check API, and over what: plain HTTP on loopback for a single
/// host (the default), or HTTPS with an API token per calling business system on the department's
/// network.
///
/// Config keys, per department: `interceptors.<dept>.tls.certificate` and `.tls.key` (PEM files; both
/// or neither), `interceptors.<dept>.auth` (`none` or `tokens`, default `none`),
/// `interceptors.<dept>.tokens` (the token file, default `<dataDir>/interceptor-<dept>.tokens`),
/// `interceptors.<dept>.allowPlainHttp` (default false). An `http` address beyond loopback needs TLS
/// and tokens, unless `allowPlainHttp` says the port is reachable from this host only (a container
/// whose port is published on 127.0.0.1).
public struct CheckAPIAccess: Sendable {
    public enum Auth: String, Sendable { case none, tokens }

    public var auth: Auth
    public var tls: TLSFiles?
    public var tokensPath: String

    public init(auth: Auth, tls: TLSFiles?, tokensPath: String) {
        self.auth = auth
        self.tls = tls
        self.tokensPath = tokensPath
    }

    public static func load(department: String, http: HostPort, topology: Topology) throws(ConfigError) -> CheckAPIAccess {
        let config = topology.config
        let section = "interceptors.\(department)"
        func source(_ key: String) -> String { config.lookup(key)?.source ?? "defaults" }
        let authText = config.string("\(section).auth", default: Auth.none.rawValue)
        guard let auth = Auth(rawValue: authText) else {
            throw ConfigError(
                key: "\(section).auth", source: source("\(section).auth"),
                reason: "\"\(authText)\" is not one of none, tokens (tokens: each business system calls with its own API token)")
        }
        let certificate = config.optionalString("\(section).tls.certificate").flatMap { $0.isEmpty ? nil : $0 }
        let key = config.optionalString("\(section).tls.key").flatMap { $0.isEmpty ? nil : $0 }
        var tls: TLSFiles?
        switch (certificate, key) {
        case (let certificate?, let key?):
            tls = TLSFiles(
                certificate: certificate, key: key, certificateKey: "\(section).tls.certificate", keyKey: "\(section).tls.key")
        case (nil, nil):
            tls = nil
        case (_?, nil), (nil, _?):
            let missing = certificate == nil ? "tls.certificate" : "tls.key"
            throw ConfigError(
                key: "\(section).\(missing)", source: "config",
                reason: "HTTPS needs both \(section).tls.certificate and \(section).tls.key (PEM files); set the missing one or neither")
        }
        let access = CheckAPIAccess(auth: auth, tls: tls, tokensPath: topology.interceptorTokensPath(of: department))
        let plainAllowed = try config.bool("\(section).allowPlainHttp", default: false)
        if !Self.isLoopback(http.host), !plainAllowed, access.tls == nil || access.auth != .tokens {
            throw ConfigError(
                key: "\(section).http", source: source("\(section).http"),
                reason:
                    "\(http) is reachable beyond this host, so the check API needs TLS and API tokens: set \(section).tls.certificate, \(section).tls.key and \(section).auth: tokens (or listen on 127.0.0.1)"
            )
        }
        return access
    }

    /// Whether `host` is this machine's loopback only (127.0.0.0/8, ::1, localhost).
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// The token file as the interceptor sees it: read again whenever it changes on disk (`creditctl
/// token add|revoke` replaces it), so that a revoked token is refused from the next request on.
public final class APITokenStore: Sendable {
    public let path: String
    private let state: Mutex<(signature: FileSignature?, file: Result<APITokenFile, APITokenError>)>
    private let logger: Logger

    /// Loads the file now: a file that exists but cannot be read or parsed stops start-up.
    public init(path: String, logger: Logger) throws(APITokenError) {
        self.path = path
        self.logger = logger
        let signature = FileSignature(path: path)
        state = Mutex((signature, .success(try APITokenFile.load(path: path))))
    }

    /// The calling system's name for an `Authorization` header, or the refusal to send.
    public func authenticate(_ authorization: String?) -> Result<String, ReplyError> {
        guard let authorization, !authorization.isEmpty else {
            return .failure(
                ReplyError(
                    .unauthenticated,
                    "this check API needs an API token: send Authorization: Bearer <token> (the department issues one per business system with creditctl token add)"
                ))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(ReplyError(.unauthenticated, "the Authorization header must be Bearer <token>"))
        }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        switch current() {
        case .failure(let error):
            // Fail closed: a token file that cannot be read admits no one.
            return .failure(ReplyError(.unavailable, "the interceptor cannot read its API tokens; its operator must fix: \(error)"))
        case .success(let file):
            guard let entry = file.caller(presenting: token) else {
                return .failure(
                    ReplyError(
                        .unauthenticated,
                        "the API token is not valid: it is unknown or was revoked; ask the department for a token (creditctl token add)"))
            }
            return .success(entry.name)
        }
    }

    /// The file as it is on disk now.
    public func current() -> Result<APITokenFile, APITokenError> {
        let signature = FileSignature(path: path)
        return state.withLock { state in
            if state.signature == signature { return state.file }
            do throws(APITokenError) {
                state.file = .success(try APITokenFile.load(path: path))
                logger.info(
                    "API tokens reloaded",
                    metadata: [
                        "tokens.path": "\(path)", "tokens.active": "\((try? state.file.get())?.entries.filter(\.isActive).count ?? 0)",
                    ])
            } catch {
                state.file = .failure(error)
                logger.error("API tokens unreadable: every request is refused", metadata: ["tokens.path": "\(path)", "error": "\(error)"])
            }
            state.signature = signature
            return state.file
        }
    }
}

/// What tells one version of a file from the next: device, inode, size and change time (a rename
/// gives a new inode; an edit in place a new change time).
struct FileSignature: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var changed: Int
    var changedNanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        changed = Int(info.st_ctim.tv_sec)
        changedNanoseconds = Int(info.st_ctim.tv_nsec)
    }
}

/// The interceptor's request context: the calling business system, once its API token is accepted.
public struct InterceptorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The name the department gave the caller's token; nil when the API takes no tokens.
    public var caller: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = nil
    }
}

/// Refuses, with 401 and a JSON error, every request without an active API token, before any route
/// runs: a refused check is answered by no one and logged as no decision.
struct APITokenMiddleware: RouterMiddleware {
    typealias Context = InterceptorRequestContext
    let store: APITokenStore
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch store.authenticate(request.headers[.authorization]) {
        case .success(let name):
            var context = context
            context.caller = name
            return try await next(request, context)
        case .failure(let error):
            logger.notice(
                "Check API request refused", metadata: ["http.path": "\(request.uri.path)", "error.code": "\(error.code.rawValue)"])
            var response = JSONResponses.failure(error)
            if error.code == .unauthenticated {
                response.headers[.wwwAuthenticate] = #"Bearer realm="credit-mesh interceptor""#
            }
            return response
        }
    }
}
