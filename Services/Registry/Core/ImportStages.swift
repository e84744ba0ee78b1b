import Bus
import CreditDomain
import GRDB

/// The stages of a bulk import one by one, for `credit-bench import-stages`: where a row's time
/// goes when nothing runs beside it (no transport, no concurrency).
@_spi(Benchmarks)
public enum ImportStages {
    /// A record with its JSON written, ready for the writer.
    public struct Prepared: Sendable {
        let record: RegistrySchema.PreparedRecord
    }

    /// Reads CSV records into validated penalty records, as `records.import`'s bulk form does.
    public static func parse(csv: String, columns: [String], handler: RegistryHandler) throws -> [CreditRecord] {
        try handler.parseCSV(csv, columns: columns, firstRow: 2, format: .xzcf, department: "market").0.map(\.1)
    }

    /// Writes each record's archive and event JSON.
    public static func prepare(_ records: [CreditRecord]) -> [Prepared] {
        records.map { Prepared(record: RegistrySchema.PreparedRecord($0)) }
    }

    /// Stores one batch in one transaction, as the registry's writer does.
    public static func store(_ batch: [Prepared], in writer: any DatabaseWriter, log: EventLog, source: String) throws {
        _ = try writer.write { db in try RegistrySchema.store(batch.map(\.record), source: source, in: db, log: log) }
    }
}
