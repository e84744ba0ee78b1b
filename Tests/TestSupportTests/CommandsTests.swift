import Foundation
import TestSupport
import Testing

/// `Commands.run`: a child's output on both pipes is read at once, whatever their sizes and order.
@Suite struct CommandsTests {
    /// More than a pipe holds (64 KiB on Linux) on each stream: read one after the other, the
    /// child would block on the stream not being read and never end.
    static let size = 1_200_000

    /// A shell line writing `size` bytes of `e` to stderr and of `o` to stdout.
    static func script(_ order: String) -> String {
        let errors = "head -c \(size) /dev/zero | tr '\\0' e >&2"
        let output = "head -c \(size) /dev/zero | tr '\\0' o"
        return order == "stderr first" ? "\(errors); \(output); exit 3" : "\(errors) & \(output); wait; exit 3"
    }

    @Test(.timeLimit(.minutes(1)), arguments: ["stderr first", "both at once"])
    func aChildWritingMoreThanAMebibyteToEachStreamEnds(order: String) async throws {
        let result = try await Commands.run(path: "/bin/sh", ["-c", Self.script(order)], environment: ["PATH": "/usr/bin:/bin"])
        #expect(result.status == 3)
        #expect(result.stderr.utf8.count == Self.size)
        #expect(result.stdout.utf8.count == Self.size)
        #expect(result.stderr.utf8.allSatisfy { $0 == UInt8(ascii: "e") })
        #expect(result.stdout.utf8.allSatisfy { $0 == UInt8(ascii: "o") })
    }

    @Test func theWorkingDirectoryIsTheOneGiven() async throws {
        let result = try await Commands.run(path: "/bin/sh", ["-c", "pwd"], environment: [:], in: "/tmp")
        #expect(result.stdout == "/tmp\n")
    }

    @Test func findsTheRepositoryFromTheCurrentDirectory() throws {
        let root = try #require(BuiltProducts.findPackageRoot())
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("config/catalogue.yaml").path))
    }
}
