import Foundation
import TestSupport
import Testing

/// sanction-dispatch refuses to start on a catalogue whose version is already in force with other
/// measures, and starts as before on the same file.
@Suite(.serialized)
struct CatalogueVersionTests {
    @Test func aChangedCatalogueUnderTheSameVersionStopsStartUp() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let shipped = try String(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("config/catalogue.yaml"), encoding: .utf8)
        let file = layout.directory.appendingPathComponent("catalogue.yaml")
        try shipped.write(to: file, atomically: true, encoding: .utf8)
        let environment = ["CREDIT_DISPATCH_CATALOGUE": file.path]
        let suite = SuiteClient(layout: layout)

        func startAndReadVersion() async throws -> String? {
            let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: environment)
            defer { dispatch.stop() }
            let client = try suite.client("dispatch")
            defer { client.close() }
            return try await suite.request(client, "status").get()["details"]?["catalogueVersion"]?.stringValue
        }
        let version = try #require(try await startAndReadVersion())
        #expect(try await startAndReadVersion() == version, "the same file starts again")

        // The same version with a measure's effect changed: refused, naming the version.
        let changed = shipped.replacingOccurrences(of: "effect: block", with: "effect: review")
        #expect(changed != shipped)
        try changed.write(to: file, atomically: true, encoding: .utf8)
        let refused = try SuiteProcess("sanction-dispatch", layout: layout, environment: environment)
        defer { refused.stop() }
        let exited = await eventually { !refused.isRunning }
        #expect(exited, "sanction-dispatch started on a changed catalogue under version \(version)")
        #expect(refused.log.contains("catalogue version \(version) is in force"), "\(refused.log.suffix(2_000))")
        #expect(refused.log.contains("needs a new version"), "\(refused.log.suffix(2_000))")
    }
}
