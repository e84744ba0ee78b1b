import Foundation
import Synchronization
import TestSupport

/// The figures of a run as `var/bench/results.json`: one entry per figure with its reference and
/// ratio, under stable names (docs/PERFORMANCE.md lists them), beside the printed report. A run of
/// one part replaces that part's entries and keeps the others', each dated.
enum BenchResults {
    struct Entry: Codable {
        struct Reference: Codable {
            var name: String
            var value: Double
        }
        var name: String
        var value: Double
        var unit: String
        var reference: Reference?
        var ratio: Double?
        var measured: String
    }

    struct File: Codable {
        var machine: String
        var entries: [Entry]
    }

    private static let recorded = Mutex<[Entry]>([])
    private static let machineLine = Mutex("")

    static func machine(_ line: String) { machineLine.withLock { $0 = line } }

    /// One figure; `ratio` is `value / reference` unless given.
    static func record(_ name: String, _ value: Double, unit: String, reference: (name: String, value: Double)? = nil, ratio: Double? = nil)
    {
        let entry = Entry(
            name: name, value: value, unit: unit, reference: reference.map { Entry.Reference(name: $0.name, value: $0.value) },
            ratio: ratio ?? reference.map { value / $0.value }, measured: ISO8601DateFormatter().string(from: Date()))
        recorded.withLock { $0.append(entry) }
    }

    /// The value of a figure recorded in this run.
    static func value(_ name: String) -> Double? { recorded.withLock { $0.last { $0.name == name }?.value } }

    /// Writes the figures recorded so far into `var/bench/results.json` of the repository, merged
    /// by name with the entries already there; returns the file's path.
    @discardableResult
    static func write() throws -> String {
        let directory = BuiltProducts.packageRoot.appendingPathComponent("var/bench")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("results.json")
        var entries = (try? JSONDecoder().decode(File.self, from: Data(contentsOf: url)))?.entries ?? []
        let new = recorded.withLock { $0 }
        let names = Set(new.map(\.name))
        entries.removeAll { names.contains($0.name) }
        entries.append(contentsOf: new)
        entries.sort { $0.name < $1.name }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(File(machine: machineLine.withLock { $0 }, entries: entries)).write(to: url, options: .atomic)
        return url.path
    }
}
