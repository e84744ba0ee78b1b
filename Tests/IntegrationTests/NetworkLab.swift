import Foundation
import TestSupport

/// Hosts on one machine: network namespaces, each linked by a veth pair to a bridge in the test's own
/// namespace, on a private /24 that exists only inside this machine. Needs root and iproute2 (as on
/// the project's machines and CI); tests that need it print loudly when they are skipped.
enum NetworkLab {
    /// Root, iproute2, and the kernel lets us make a namespace (a container may not).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else { return false }
        let probe = "cmprobe\(getpid() % 10_000)"
        guard (try? ip("netns", "add", probe)) != nil else { return false }
        _ = try? ip("netns", "del", probe)
        return true
    }()

    /// Says loudly, in the test output, that a test did not run its network-namespace part.
    static func sayWhenSkipped(_ test: String) -> Bool {
        if !available {
            print(
                "*** SKIPPED \(test): needs root and iproute2 for network namespaces (uid \(getuid()), ip \(FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "present" : "missing")) ***"
            )
        }
        return available
    }

    @discardableResult
    static func ip(_ arguments: String...) throws -> String { try ip(arguments) }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CtlFailure("ip \(arguments.joined(separator: " ")): \(output)")
        }
        return output
    }

    struct CtlFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A bridge and its hosts. The test process sits on the bridge (`.254`), so it reaches every host
    /// from a network namespace of its own; `separate` cuts two hosts apart, `join` heals the cut.
    final class Hosts: @unchecked Sendable {
        // @unchecked: every property is set in init and never changed.
        let tag: String
        let subnet: String
        let bridge: String
        let names: [String]

        init(_ names: [String]) throws {
            tag = String(UUID().uuidString.prefix(4)).lowercased()
            subnet = "10.\(Int.random(in: 80...99)).\(Int.random(in: 1...250))"
            bridge = "cmbr\(tag)"
            self.names = names
            do {
                try NetworkLab.ip("link", "add", bridge, "type", "bridge")
                try NetworkLab.ip("addr", "add", "\(subnet).254/24", "dev", bridge)
                try NetworkLab.ip("link", "set", bridge, "up")
                for (number, name) in names.enumerated() {
                    let namespace = self.namespace(name)
                    let (outside, inside) = ("cm\(tag)o\(number)", "cm\(tag)i\(number)")
                    try NetworkLab.ip("netns", "add", namespace)
                    try NetworkLab.ip("link", "add", outside, "type", "veth", "peer", "name", inside)
                    try NetworkLab.ip("link", "set", inside, "netns", namespace)
                    try NetworkLab.ip("link", "set", outside, "master", bridge)
                    try NetworkLab.ip("link", "set", outside, "up")
                    try NetworkLab.ip("netns", "exec", namespace, "ip", "addr", "add", "\(address(name))/24", "dev", inside)
                    try NetworkLab.ip("netns", "exec", namespace, "ip", "link", "set", inside, "up")
                    try NetworkLab.ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")
                }
            } catch {
                remove()
                throw error
            }
        }

        func namespace(_ name: String) -> String { "cm\(tag)\(name.prefix(6))" }

        /// The host's address on the bridge: `.1`, `.2` … in the order given.
        func address(_ name: String) -> String { "\(subnet).\(names.firstIndex(of: name)! + 1)" }

        /// Runs an executable on the host (`SuiteProcess(..., launcher:)`).
        func launcher(_ name: String) -> [String] { ["ip", "netns", "exec", namespace(name)] }

        /// Cuts the network between two hosts both ways (a blackhole route on each side); each
        /// still reaches the others and the test.
        func separate(_ first: String, _ second: String) throws {
            try NetworkLab.ip(["netns", "exec", namespace(first), "ip", "route", "add", "blackhole", "\(address(second))/32"])
            try NetworkLab.ip(["netns", "exec", namespace(second), "ip", "route", "add", "blackhole", "\(address(first))/32"])
        }

        func join(_ first: String, _ second: String) throws {
            try NetworkLab.ip(["netns", "exec", namespace(first), "ip", "route", "del", "blackhole", "\(address(second))/32"])
            try NetworkLab.ip(["netns", "exec", namespace(second), "ip", "route", "del", "blackhole", "\(address(first))/32"])
        }

        func remove() {
            for (number, name) in names.enumerated() {
                _ = try? NetworkLab.ip("link", "del", "cm\(tag)o\(number)")
                _ = try? NetworkLab.ip("netns", "del", namespace(name))
            }
            _ = try? NetworkLab.ip("link", "del", bridge)
        }
    }
}
