import CreditDomain
import Foundation

/// The error a throwing domain call refuses with, or nil when it succeeds.
func domainError<T>(_ body: () throws(DomainError) -> T) -> DomainError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The repository's `config/catalogue.yaml`, found from this file (symlinks resolved, so that a
/// scratch package pointing at the test directory through a link finds the same file).
let catalogueURL: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    .deletingLastPathComponent()  // CreditDomainTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // repository root
    .appendingPathComponent("config/catalogue.yaml")

/// The shipped catalogue, loaded once.
let shippedCatalogue: MeasureCatalogue = {
    do {
        return try CatalogueLoader.load(contentsOf: catalogueURL)
    } catch {
        fatalError("config/catalogue.yaml does not load: \(error)")
    }
}()
