import Foundation
import TestSupport
import Testing
import Yams

/// compose/docker-compose.yml has the three-host layout of ThreeHostTests: each host's containers
/// mount only that host's keys, departments reach the centre only over `wan`; and `docker compose`
/// accepts the file where it is installed.
@Suite struct ComposeTests {
    static let file = BuiltProducts.packageRoot.appendingPathComponent("compose/docker-compose.yml")

    func services() throws -> [String: [String: Any]] {
        let text = try String(contentsOf: Self.file, encoding: .utf8)
        let root = try #require(try Yams.load(yaml: text) as? [String: Any])
        return try #require(root["services"] as? [String: [String: Any]])
    }

    static func keysVolume(_ service: [String: Any]) -> String? {
        (service["volumes"] as? [String])?.first { $0.hasSuffix(":/keys:ro") }?.split(separator: ":").first.map(String.init)
    }

    @Test func eachHostMountsOnlyItsOwnKeysAndDepartmentsReachTheCentreOverTheWan() throws {
        let services = try services()
        let centre = ["registry", "grading", "dispatch", "repair", "disclosure", "ctl"]
        for name in centre {
            let service = try #require(services[name], "no \(name) service")
            #expect(Self.keysVolume(service) == "keys-centre", "\(name)")
            #expect((service["networks"] as? [String])?.contains("centre") == true, "\(name) is not on the centre's network")
        }
        for department in ["finance", "market"] {
            let service = try #require(services["interceptor-\(department)"])
            #expect(Self.keysVolume(service) == "keys-\(department)")
            #expect(Set(service["networks"] as? [String] ?? []) == ["wan", "\(department)-lan"], "interceptor-\(department)")
        }
        #expect(Self.keysVolume(try #require(services["court"])) == "keys-court")
        #expect(Set(services.keys) == Set(centre + ["interceptor-finance", "interceptor-market", "court", "keys"]))
        // The keys job copies each host only its own secret keys.
        let script = try #require((services["keys"]?["command"] as? [String])?.joined())
        #expect(
            script.contains(
                "for name in registry grading dispatch repair disclosure operator; do cp -p /keys-all/$$name.key /sites/centre/"))
        #expect(script.contains("for name in finance market court; do cp -p /keys-all/$$name.key /sites/$$name/"))
    }

    @Test func dockerComposeAcceptsTheFile() async throws {
        let environment = ProcessInfo.processInfo.environment
        let probe = try? await Commands.run(path: "/usr/bin/env", ["docker", "compose", "version"], environment: environment)
        guard probe?.status == 0 else {
            print("*** SKIPPED ComposeTests.dockerComposeAcceptsTheFile: the docker compose plugin is not installed ***")
            return
        }
        let result = try await Commands.run(
            path: "/usr/bin/env", ["docker", "compose", "-f", Self.file.path, "--profile", "tools", "config", "--quiet"],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
    }
}
