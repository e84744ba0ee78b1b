import Bus
import Foundation

/// The central services of the suite. Their streams carry the same names.
public enum CentralService: String, CaseIterable, Sendable {
    case registry
    case grading
    case dispatch
    case repair
    case disclosure

    /// The executable's name (`sanction-dispatch` for `dispatch`).
    public var executable: String { self == .dispatch ? "sanction-dispatch" : rawValue }

    /// The key of the address where a service without an HTTP API of its own serves `/metrics`
    /// (`registry.metrics`); sanction-dispatch, disclosure and the interceptors serve it on theirs.
    public var metricsKey: String { "\(rawValue).metrics" }

    var defaultBasePort: Int {
        switch self {
        case .registry: 7101
        case .grading: 7201
        case .dispatch: 7301
        case .repair: 7401
        case .disclosure: 7501
        }
    }
}

/// The bus endpoints of one publisher: its PUB (events) and ROUTER (requests, replay, snapshot),
/// and the roster name whose key its sockets present (`registry`, or the department of an interceptor).
public struct BusEndpoints: Sendable, Hashable {
    public var pub: String
    public var router: String
    public var server: String

    public init(pub: String, router: String, server: String) {
        self.pub = pub
        self.router = router
        self.server = server
    }
}

/// Where everything listens: every endpoint of the suite from config, with the documented defaults
/// (README, port table). Services bind theirs and connect to the others'; `creditctl` connects.
public struct Topology: Sendable {
    public let config: SuiteConfig
    /// Host used in default endpoints (`host`, default 127.0.0.1).
    public let host: String
    /// Where services keep their databases (`dataDir`, default `var/data`).
    public let dataDirectory: String
    /// Set by `--insecure` on the command line: no CURVE, departments are whatever requests claim.
    public var insecure = false

    /// Departments with a default interceptor port block, in port order.
    public static let defaultInterceptorDepartments = ["court", "finance", "commerce", "market", "education", "ndrc", "tax"]

    public init(config: SuiteConfig) {
        self.config = config
        self.host = config.string("host", default: "127.0.0.1")
        self.dataDirectory = config.string("dataDir", default: "var/data")
    }

    public func endpoints(of service: CentralService) throws(ConfigError) -> BusEndpoints {
        let base = service.defaultBasePort
        return BusEndpoints(
            pub: try config.endpoint("\(service.rawValue).pub", default: "tcp://\(host):\(base)"),
            router: try config.endpoint("\(service.rawValue).router", default: "tcp://\(host):\(base + 1)"),
            server: service.rawValue)
    }

    /// An interceptor's bus endpoints. Departments outside the default table must be configured.
    public func interceptorEndpoints(of department: String) throws(ConfigError) -> BusEndpoints {
        let key = "interceptors.\(department)"
        let base = Self.defaultInterceptorDepartments.firstIndex(of: department).map { 7610 + 10 * $0 }
        func value(_ name: String, _ offset: Int) throws(ConfigError) -> String {
            guard let base else {
                guard let (text, _) = config.lookup("\(key).\(name)") else {
                    throw ConfigError(
                        key: "\(key).\(name)", source: "defaults",
                        reason: "department \(department) has no default port; set \(key).pub, .router and .http")
                }
                return try config.endpoint("\(key).\(name)", default: text)
            }
            return try config.endpoint("\(key).\(name)", default: "tcp://\(host):\(base + offset)")
        }
        return BusEndpoints(pub: try value("pub", 0), router: try value("router", 1), server: department)
    }

    /// An interceptor's local HTTP API address (default port 8610 + 10 × position in the table).
    public func interceptorHTTP(of department: String) throws(ConfigError) -> HostPort {
        let key = "interceptors.\(department).http"
        guard let index = Self.defaultInterceptorDepartments.firstIndex(of: department) else {
            guard let (text, source) = config.lookup(key) else {
                throw ConfigError(key: key, source: "defaults", reason: "department \(department) has no default HTTP port; set it")
            }
            guard let value = HostPort(text) else {
                throw ConfigError(key: key, source: source, reason: "\"\(text)\" is not host:port such as 127.0.0.1:8650")
            }
            return value
        }
        return try config.hostPort(key, default: HostPort(host: host, port: 8610 + 10 * index))
    }

    /// Departments that run interceptors (`interceptors.departments`, default finance, commerce, market).
    public var interceptorDepartments: [String] {
        config.string("interceptors.departments", default: "finance,commerce,market")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The public portal's HTTP address (`disclosure.http`, default 127.0.0.1:8080).
    public func disclosureHTTP() throws(ConfigError) -> HostPort {
        try config.hostPort("disclosure.http", default: HostPort(host: host, port: 8080))
    }

    /// Where a service without an HTTP API serves `/metrics` (`<service>.metrics`): by default
    /// `<host>` and its PUB port + 2000 (registry 9101, grading 9201, repair 9401).
    public func metricsAddress(of service: CentralService) throws(ConfigError) -> HostPort {
        try config.hostPort(service.metricsKey, default: HostPort(host: host, port: service.defaultBasePort + 2_000))
    }

    /// The bus endpoints of a stream by name: a central service or `interceptor.<dept>`.
    public func endpoints(ofStream stream: String) throws(ConfigError) -> BusEndpoints {
        if let service = CentralService(rawValue: stream) { return try endpoints(of: service) }
        // Dispatch's second stream (protocol 1.3), on dispatch's sockets.
        if stream == "feedback" { return try endpoints(of: .dispatch) }
        if stream.hasPrefix("interceptor.") {
            return try interceptorEndpoints(of: String(stream.dropFirst("interceptor.".count)))
        }
        throw ConfigError(
            key: "stream", source: "command line",
            reason: "unknown stream \(stream); streams are registry, grading, dispatch, feedback, repair, disclosure, interceptor.<dept>")
    }

    /// The database file of a service (`<dataDir>/<name>.sqlite`), creating the directory.
    public func databasePath(for name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return (dataDirectory as NSString).appendingPathComponent("\(name).sqlite")
    }

    /// `interceptors.<dept>.tokens`: the API tokens of a department's HTTP check API, written by
    /// `creditctl token` and read by the interceptor (default `<dataDir>/interceptor-<dept>.tokens`).
    public func interceptorTokensPath(of department: String) -> String {
        config.string(
            "interceptors.\(department).tokens",
            default: (dataDirectory as NSString).appendingPathComponent("interceptor-\(department).tokens"))
    }
}

extension Topology {
    /// Bus server options for a publisher whose config section is `section` (`registry`,
    /// `interceptors.finance` …): `<section>.pubHighWaterMark` (default 100000; PUB drops beyond it,
    /// followers recover by replay) and `<section>.heartbeatMillis` (default 1000).
    public func serverOptions(section: String, endpoints: BusEndpoints) throws(ConfigError) -> BusServerOptions {
        var options = BusServerOptions(pubEndpoint: endpoints.pub, routerEndpoint: endpoints.router)
        options.pubHighWaterMark = Int32(try config.int("\(section).pubHighWaterMark", default: 100_000, range: 0...10_000_000))
        options.heartbeatInterval = .milliseconds(try config.int("\(section).heartbeatMillis", default: 1_000, range: 10...60_000))
        return options
    }
}
