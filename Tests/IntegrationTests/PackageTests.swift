import Foundation
import TestSupport
import Testing

/// The department agent's Debian package, built from the tested binaries at two versions, then
/// installed, used, upgraded, removed and purged by dpkg in a throwaway root
/// (scripts/test-package.sh).
@Suite(.serialized, .enabled(if: PackagingTools.available))
struct PackageTests {
    @Test func installsUpgradesAndRemovesInAThrowawayRoot() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("credit-mesh-package-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: out) }
        let root = BuiltProducts.packageRoot.path
        var environment = ProcessInfo.processInfo.environment
        // The test binaries are large debug builds: no compression keeps this quick.
        environment["CREDIT_PACKAGE_COMPRESSION"] = "none"
        var packages: [String] = []
        for version in ["1.0.0", "1.0.1"] {
            let built = try await Commands.run(
                path: "\(root)/scripts/package.sh",
                ["--bin", BuiltProducts.directory().path, "--version", version, "--out", out.path], environment: environment, in: root)
            try #require(built.status == 0, "package.sh \(version): \(built.stderr)")
            packages.append(built.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(packages[0].hasSuffix("credit-mesh-agent_1.0.0_\(Self.architecture).deb"), "\(packages)")
        let fields = try await Commands.run(path: "/usr/bin/dpkg-deb", ["-f", packages[0]], environment: environment)
        #expect(fields.stdout.contains("Depends: ") && fields.stdout.contains("libzmq5"), "\(fields.stdout)")

        let tested = try await Commands.run(path: "\(root)/scripts/test-package.sh", packages, environment: environment, in: root)
        #expect(tested.status == 0, "\(tested.stdout)\n\(tested.stderr)")
        #expect(tested.stdout.contains(", 0 failed"), "\(tested.stdout)")
    }

    static var architecture: String {
        #if arch(x86_64)
            "amd64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }
}

/// What building and installing the package in a throwaway root needs.
enum PackagingTools {
    static let available: Bool = {
        let tools = ["/usr/bin/dpkg-deb", "/usr/bin/unshare", "/usr/sbin/chroot"]
        let ready = getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        if !ready {
            print("*** SKIPPED PackageTests: needs root, dpkg-deb, unshare and chroot (uid \(getuid())) ***")
        }
        return ready
    }()
}
