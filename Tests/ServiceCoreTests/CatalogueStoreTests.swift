import Bus
import CreditDomain
import GRDB
import MeshProtocol
import ServiceKit
import Testing

@testable import DispatchCore

/// Catalogue versions: a version names one content for good.
@Suite struct CatalogueStoreTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "dispatch")

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
    }

    static func catalogue(_ version: String, effect: MeasureEffect = .block) -> MeasureCatalogue {
        MeasureCatalogue(
            version: version,
            measures: [
                Measure(
                    id: "finance.procurement-ban", department: .finance, title: "No government procurement",
                    actions: ["government-procurement"], lists: [.black], effect: effect, basis: "《政府采购法》第二十二条")
            ])
    }

    func install(_ catalogue: MeasureCatalogue) throws -> Bool {
        try database.write { try CatalogueStore.install(catalogue, in: $0, log: log) }
    }

    func announced() throws -> [String] {
        try database.read { try log.events($0, after: 0, limit: 100) }.map { $0.data["version"]?.stringValue ?? "?" }
    }

    @Test func theSameContentUnderTheSameVersionIsANoOp() throws {
        #expect(try install(Self.catalogue("2026.2")))
        #expect(try !install(Self.catalogue("2026.2")))
        #expect(try announced() == ["2026.2"])
    }

    @Test func refusesOtherContentUnderTheVersionInForceAndKeepsTheOldOne() throws {
        #expect(try install(Self.catalogue("2026.2")))
        #expect {
            try install(Self.catalogue("2026.2", effect: .review))
        } throws: { error in
            guard let conflict = error as? CatalogueVersionConflict else { return false }
            return conflict.version == "2026.2" && conflict.inForce
                && conflict.description.contains("catalogue version 2026.2 is in force")
                && conflict.description.contains("needs a new version") && conflict.description.contains("e.g. 2026.3")
        }
        #expect(try database.read { try CatalogueStore.current(in: $0) } == Self.catalogue("2026.2"))
        #expect(try announced() == ["2026.2"], "nothing announced")
        #expect(try install(Self.catalogue("2026.3", effect: .review)), "a new version loads")
    }

    @Test func refusesOtherContentUnderAnEarlierVersionButPutsItsOwnBackInForce() throws {
        #expect(try install(Self.catalogue("2026.1")))
        #expect(try install(Self.catalogue("2026.2", effect: .review)))
        #expect {
            try install(Self.catalogue("2026.1", effect: .notify))
        } throws: { error in
            guard let conflict = error as? CatalogueVersionConflict else { return false }
            return !conflict.inForce && conflict.description.contains("catalogue version 2026.1 was loaded before")
        }
        #expect(try install(Self.catalogue("2026.1")), "rolling back to 2026.1 as it was")
        #expect(try database.read { try CatalogueStore.current(in: $0) }?.version == "2026.1")
        #expect(try announced() == ["2026.1", "2026.2", "2026.1"])
    }

    @Test(arguments: [("2026.2", "2026.3"), ("v9", "v10"), ("2026", "2027"), ("draft", "draft.1")])
    func suggestsTheNextVersion(version: String, next: String) {
        #expect(CatalogueVersionConflict.suggestedNext(after: version) == next)
    }
}
