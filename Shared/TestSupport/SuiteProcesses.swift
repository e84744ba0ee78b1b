import Bus
import Foundation
import MeshProtocol
import ServiceKit
import Subprocess
import Synchronization
import SystemPackage
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the built executables and the repository they were built from.
public enum BuiltProducts {
    /// `$CREDIT_BIN`, else `.build/debug` of the package.
    public static func directory() -> URL {
        if let bin = ProcessInfo.processInfo.environment["CREDIT_BIN"] { return URL(fileURLWithPath: bin) }
        return (findPackageRoot() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).appendingPathComponent(".build/debug")
    }

    /// The repository's root: `findPackageRoot()`, else the current directory.
    public static var packageRoot: URL {
        findPackageRoot() ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// The first directory holding `Package.swift` and `config/catalogue.yaml`, looking up from the
    /// current directory, then from the running executable (symbolic links resolved: SwiftPM's
    /// `.build/release` is one), then from this source file; nil when none is found (a copied
    /// binary run outside the repository).
    public static func findPackageRoot(file: StaticString = #filePath) -> URL? {
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        if let executable = Bundle.main.executableURL { starts.append(executable.resolvingSymlinksInPath().deletingLastPathComponent()) }
        starts.append(URL(fileURLWithPath: "\(file)").deletingLastPathComponent())
        for start in starts {
            var url = start.standardizedFileURL
            while true {
                if isPackageRoot(url) { return url }
                let parent = url.deletingLastPathComponent()
                if parent.path == url.path { break }
                url = parent
            }
        }
        return nil
    }

    private static func isPackageRoot(_ url: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && manager.fileExists(atPath: url.appendingPathComponent("config/catalogue.yaml").path)
    }
}

/// Free TCP ports on loopback for services a test starts.
///
/// Ports come from 20000–32767, below Linux's ephemeral range (32768–60999), so an outgoing
/// connection elsewhere in the test run can never take a port between the moment it is chosen and
/// the moment a service binds it; ports handed out once are not handed out again in this process.
public enum FreePorts {
    private static let handedOut = Mutex<Set<Int>>([])

    public static func take(_ count: Int) -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = Int.random(in: 20_000...32_767)
            let fresh = handedOut.withLock { used -> Bool in
                guard !used.contains(port) else { return false }
                used.insert(port)
                return true
            }
            if fresh, isFree(port) { ports.append(port) }
        }
        return ports
    }

    /// Whether the port can be bound on loopback right now.
    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return withLoopbackAddress(port: port) { bind(fd, $0, $1) } == 0
    }

    /// Calls `body` with 127.0.0.1:`port` as a socket address and its length (for bind, connect).
    public static func withLoopbackAddress<R>(port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// A whole suite on free ports with a temporary data directory, written as a config file that
/// every process (services and creditctl) reads through `CREDIT_CONFIG`.
public struct TestSuiteLayout: Sendable {
    public let directory: URL
    public let configFile: URL
    public let ports: [String: Int]
    public let departments: [String]

    public init(departments: [String] = ["finance", "commerce", "market"]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-mesh-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.departments = departments
        let keysDirectory = directory.appendingPathComponent("keys")
        try Self.makeKeys(in: keysDirectory, departments: departments)
        var names: [String] = []
        for service in ["registry", "grading", "dispatch", "repair", "disclosure"] { names += ["\(service).pub", "\(service).router"] }
        names += ["disclosure.http", "dispatch.http", "registry.metrics", "grading.metrics", "repair.metrics"]
        for department in departments {
            names += ["interceptors.\(department).pub", "interceptors.\(department).router", "interceptors.\(department).http"]
        }
        let free = FreePorts.take(names.count)
        ports = Dictionary(uniqueKeysWithValues: zip(names, free))
        var yaml = "dataDir: \(directory.appendingPathComponent("data").path)\nlogLevel: debug\n"
        // Security is on in tests as in production: every service, the operator and every
        // department has a key in the layout's roster.
        yaml += "security:\n  keysDir: \(keysDirectory.path)\n"
        yaml += "dispatch:\n  catalogue: \(BuiltProducts.packageRoot.appendingPathComponent("config/catalogue.yaml").path)\n"
        // Listings initiated in tests take effect at once unless a test sets a window itself.
        yaml += "  objectionWorkingDays: 0\n  scheduleSeconds: 1\n"
        yaml += "grading:\n  model: \(BuiltProducts.packageRoot.appendingPathComponent("config/evaluation-model.yaml").path)\n"
        yaml += "interceptor:\n  staleAfter: 5\n"
        yaml += "interceptors:\n  departments: \(departments.joined(separator: ","))\n"
        yaml += "names:\n  court: 湖州市中级人民法院\n  market: 湖州市市场监督管理局\n  finance: 湖州市财政局\n"
        var lines: [String] = []
        for (name, port) in ports.sorted(by: { $0.key < $1.key }) {
            let value = name.hasSuffix(".http") || name.hasSuffix(".metrics") ? "127.0.0.1:\(port)" : "tcp://127.0.0.1:\(port)"
            lines.append("\(name)=\(value)")
        }
        // Flat keys are easiest to override through the environment, which the file loader shares.
        configFile = directory.appendingPathComponent("suite.yaml")
        try yaml.write(to: configFile, atomically: true, encoding: .utf8)
        environmentOverrides = Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                return (SuiteConfig.environmentName(for: parts[0]), parts[1])
            })
    }

    /// The environment every process of this suite gets.
    public let environmentOverrides: [String: String]

    public var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CREDIT_CONFIG"] = configFile.path
        for (key, value) in environmentOverrides { environment[key] = value }
        return environment
    }

    public func http(_ key: String) -> String { "http://127.0.0.1:\(ports[key]!)" }

    /// Where a process of the suite serves `/metrics`: `registry`, `grading`, `repair` on their
    /// metrics listener, `dispatch`, `disclosure` and `interceptors.<dept>` on their HTTP port.
    public func metricsURL(_ section: String) -> String {
        let key = ["registry", "grading", "repair"].contains(section) ? "\(section).metrics" : "\(section).http"
        return http(key) + "/metrics"
    }

    public var keysDirectory: URL { directory.appendingPathComponent("keys") }
    public var rosterFile: URL { keysDirectory.appendingPathComponent("roster.yaml") }

    /// Key pairs for the central services, `operator`, the standard departments and `departments`,
    /// all registered in the roster (as `creditctl keys init` does for `make up`).
    static func makeKeys(in directory: URL, departments: [String]) throws {
        var parties: [(String, PeerRole)] = CentralService.allCases.map { ($0.rawValue, .service) } + [("operator", .operator)]
        parties += Set(Topology.defaultInterceptorDepartments + departments).sorted().map { ($0, .department) }
        var roster = Roster()
        for (name, role) in parties {
            let file = KeyFile(name: name, role: role, keys: try CurveKeyPair.generate())
            _ = try KeyFile.write(file, to: directory.path)
            try roster.register(name, role: role, key: file.publicKey, at: "2026-01-01T00:00:00Z")
        }
        try roster.save(path: directory.appendingPathComponent("roster.yaml").path)
    }

    /// Creates a key pair for a new party and registers it in the roster (services pick it up within a second).
    @discardableResult
    public func addParty(_ name: String, role: PeerRole = .department) throws -> CurveKeyPair {
        let keys = try CurveKeyPair.generate()
        _ = try KeyFile.write(KeyFile(name: name, role: role, keys: keys), to: keysDirectory.path, replace: true)
        var roster = try Roster.load(path: rosterFile.path)
        try roster.register(name, role: role, key: keys.publicKey, at: WireTime.format(Date()))
        try roster.save(path: rosterFile.path)
        return keys
    }

    /// A new key pair for `name` that is not in the roster (an outsider), written beside the others.
    public func unregisteredKey(_ name: String) throws -> CurveKeyPair {
        let keys = try CurveKeyPair.generate()
        _ = try KeyFile.write(KeyFile(name: name, role: .department, keys: keys), to: keysDirectory.path)
        return keys
    }

    /// The key pair of a party of this layout.
    public func keys(of name: String) throws -> CurveKeyPair {
        guard let keys = try KeyFile.read(path: keysDirectory.appendingPathComponent("\(name).key").path, requireSecret: true).keyPair
        else {
            throw KeyError("no key pair for \(name)")
        }
        return keys
    }

    /// The suite's topology as its processes see it (config file and environment overrides).
    public func topology() throws -> Topology {
        Topology(config: try SuiteConfig(file: configFile.path, environment: environment))
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A running executable of the suite, its output in a log file; killed when stopped.
public final class SuiteProcess: Sendable {
    public let name: String
    public let logFile: URL
    private let process: Mutex<Process>

    public init(
        _ executable: String, _ arguments: [String] = [], name: String? = nil, layout: TestSuiteLayout,
        environment extra: [String: String] = [:], launcher: [String] = []
    ) throws {
        self.name = name ?? executable
        logFile = layout.directory.appendingPathComponent("\(self.name).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        let path = BuiltProducts.directory().appendingPathComponent(executable).path
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        } else {
            // e.g. ["ip", "netns", "exec", "b"]: run the executable inside another network namespace.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = launcher + [path] + arguments
        }
        process.environment = layout.environment.merging(extra) { _, new in new }
        process.currentDirectoryURL = BuiltProducts.packageRoot
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = Mutex(process)
    }

    public var isRunning: Bool { process.withLock { $0.isRunning } }
    public var pid: Int32 { process.withLock { $0.processIdentifier } }

    /// Sends a signal (SIGTERM by default) and waits for the process to end.
    public func stop(signal: Int32 = SIGTERM) {
        process.withLock { process in
            guard process.isRunning else { return }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    deinit { stop(signal: SIGKILL) }
}

/// What a command that ran to completion left: its exit status (128 + the signal's number when a
/// signal ended it, as shells report it) and its output.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Commands {
    /// Runs a built executable of the suite to completion with the layout's environment, in the
    /// repository's root.
    public static func run(_ executable: String, _ arguments: [String], layout: TestSuiteLayout) async throws -> CommandResult {
        try await run(
            path: BuiltProducts.directory().appendingPathComponent(executable).path, arguments, environment: layout.environment,
            in: BuiltProducts.packageRoot.path)
    }

    /// Runs the executable at `path` to completion. Standard output and error are read at the same
    /// time (swift-subprocess), so a child that fills one pipe while the other is being read does
    /// not block; each is kept up to `limit` bytes (more fails the run).
    public static func run(
        path: String, _ arguments: [String], environment: [String: String], in directory: String? = nil, limit: Int = 64 << 20
    ) async throws -> CommandResult {
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment {
            if let key = Environment.Key(rawValue: name) { variables[key] = value }
        }
        let result = try await Subprocess.run(
            .path(FilePath(path)), arguments: Arguments(arguments), environment: .custom(variables),
            workingDirectory: directory.map { FilePath($0) }, output: .string(limit: limit), error: .string(limit: limit))
        let status: Int32 =
            switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        return CommandResult(status: status, stdout: result.standardOutput, stderr: result.standardError)
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. For conditions
/// that become true asynchronously across processes (propagation), never as a speed assertion. The
/// default is generous: CI runs every suite at once on two shared cores.
public func eventually(
    timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
