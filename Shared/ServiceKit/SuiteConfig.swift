import Foundation
import Yams

/// A configuration value that cannot be used, naming the key and where it came from.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var source: String
    public var reason: String

    public init(key: String, source: String, reason: String) {
        self.key = key
        self.source = source
        self.reason = reason
    }

    public var description: String { "config \(key) (from \(source)): \(reason)" }
}

/// The suite's configuration: one YAML file shared by every service (`--config FILE` or
/// `CREDIT_CONFIG`, else `/etc/credit-mesh/credit-mesh.yaml` where the department agent's package
/// installed it), every key overridable from the environment.
///
/// Keys are dotted paths into the file (`registry.pub`, `interceptors.finance.http`). The
/// environment variable for a key is `CREDIT_` + the path upper-cased with dots and camel-case
/// humps turned into underscores: `dataDir` → `CREDIT_DATA_DIR`, `interceptors.finance.http` →
/// `CREDIT_INTERCEPTORS_FINANCE_HTTP`. The environment wins over the file, the file over defaults.
public struct SuiteConfig: Sendable {
    public private(set) var fileValues: [String: String]
    public let environment: [String: String]
    public let file: String?

    public init(file: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        let path = file ?? environment["CREDIT_CONFIG"] ?? Self.installedFile
        self.file = path
        self.fileValues = [:]
        guard let path else { return }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(key: "config", source: path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw ConfigError(key: "config", source: path, reason: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let map = node as? [String: Any] else {
            throw ConfigError(key: "config", source: path, reason: "the top level must be a mapping of keys")
        }
        Self.flatten(map, prefix: "", into: &fileValues)
    }

    /// The installed department agent's file (the Debian package's), used when neither `--config`
    /// nor `CREDIT_CONFIG` names one and it exists.
    static var installedFile: String? {
        let path = "/etc/credit-mesh/credit-mesh.yaml"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A configuration built from literal values, for tests.
    public init(values: [String: String], environment: [String: String] = [:]) {
        self.fileValues = values
        self.environment = environment
        self.file = nil
    }

    private static func flatten(_ map: [String: Any], prefix: String, into values: inout [String: String]) {
        for (key, value) in map {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            if let nested = value as? [String: Any] {
                flatten(nested, prefix: path, into: &values)
            } else if let list = value as? [Any] {
                values[path] = list.map { "\($0)" }.joined(separator: ",")
            } else {
                values[path] = "\(value)"
            }
        }
    }

    /// The environment variable that overrides `key`.
    public static func environmentName(for key: String) -> String {
        var name = "CREDIT_"
        for character in key {
            if character == "." || character == "-" {
                name += "_"
            } else if character.isUppercase {
                name += "_" + character.uppercased()
            } else {
                name += character.uppercased()
            }
        }
        return name
    }

    /// The raw value and where it came from, or nil when unset.
    public func lookup(_ key: String) -> (value: String, source: String)? {
        let variable = Self.environmentName(for: key)
        if let value = environment[variable], !value.isEmpty { return (value, "environment \(variable)") }
        if let value = fileValues[key] { return (value, file ?? "config") }
        return nil
    }

    public func string(_ key: String, default fallback: String) -> String {
        lookup(key)?.value ?? fallback
    }

    public func optionalString(_ key: String) -> String? { lookup(key)?.value }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int> = Int.min...Int.max) throws(ConfigError) -> Int {
        guard let (text, source) = lookup(key) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigError(key: key, source: source, reason: "\"\(text)\" is not a whole number")
        }
        guard range.contains(value) else {
            throw ConfigError(key: key, source: source, reason: "\(value) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let (text, source) = lookup(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigError(key: key, source: source, reason: "\"\(text)\" is not true or false")
        }
    }

    /// A ZeroMQ endpoint (`tcp://host:port`, `ipc://path`, `inproc://name`).
    public func endpoint(_ key: String, default fallback: String) throws(ConfigError) -> String {
        guard let (text, source) = lookup(key) else { return fallback }
        let valid = ["tcp://", "ipc://", "inproc://"].contains { text.hasPrefix($0) && text.count > $0.count }
        guard valid else {
            throw ConfigError(key: key, source: source, reason: "\"\(text)\" is not a ZeroMQ endpoint such as tcp://127.0.0.1:7101")
        }
        return text
    }

    /// The values of the file's keys that start with `prefix` (`authority.`, `registry.severity.`),
    /// environment overrides applied, by key.
    public func values(under prefix: String) -> [String: String] {
        var values: [String: String] = [:]
        for key in fileValues.keys where key.hasPrefix(prefix) { values[key] = lookup(key)?.value }
        return values
    }

    /// A section of keys (`authority.<dept>.records` …) read by `parse` with the file's name as its
    /// source, or `fallback` when the file has no key in it; a failure names the section.
    public func section<T>(
        _ name: String, default fallback: T, parse: ([String: String], _ source: String) throws -> T
    ) throws(ConfigError) -> T {
        let values = values(under: name + ".")
        guard !values.isEmpty else { return fallback }
        do {
            return try parse(values, file ?? "config")
        } catch {
            throw ConfigError(key: name, source: file ?? "config", reason: "\(error)")
        }
    }

    /// A file the key names (or `fallback`), read by `load`; a file that cannot be read or parsed
    /// stops start-up naming the key and the path. Returns the path too, for log lines.
    public func file<T>(_ key: String, default fallback: String, load: (URL) throws -> T) throws(ConfigError) -> (T, path: String) {
        let path = string(key, default: fallback)
        do {
            return (try load(URL(fileURLWithPath: path)), path)
        } catch {
            throw ConfigError(key: key, source: path, reason: "\(error)")
        }
    }

    /// An HTTP listen address `host:port`.
    public func hostPort(_ key: String, default fallback: HostPort) throws(ConfigError) -> HostPort {
        guard let (text, source) = lookup(key) else { return fallback }
        guard let value = HostPort(text) else {
            throw ConfigError(key: key, source: source, reason: "\"\(text)\" is not host:port such as 127.0.0.1:8080")
        }
        return value
    }
}

/// An HTTP listen or connect address.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { "\(host):\(port)" }
    public var url: String { "http://\(host):\(port)" }
}
