import CreditDomain
import Foundation
import MeshProtocol

/// The source formats `records.import` accepts.
public enum RecordFormat: String, Codable, Sendable, CaseIterable {
    /// The court's dishonest judgment-debtor list (失信被执行人), JSON objects with the court's field names.
    case shixin
    /// Administrative penalties (行政处罚) in the national double-publicity (双公示) `CF_*` fields.
    case xzcf
    /// Administrative licences (行政许可) in the national double-publicity `XK_*` fields.
    case xzxk
    /// The suite's own shape for every kind, one `kind` per row (`NativeRecordRow`).
    case native

    /// The kind of record every row of this format is; nil for `native`, whose rows name their kind.
    public var recordKind: RecordKind? {
        switch self {
        case .shixin: .courtDishonestDebtor
        case .xzcf: .penalty
        case .xzxk: .licence
        case .native: nil
        }
    }
}

/// One row of an import batch: its number as the operator's file shows it, and its fields.
public struct ImportRow: Codable, Sendable {
    public var row: Int
    public var fields: [String: JSONValue]

    public init(row: Int, fields: [String: JSONValue]) {
        self.row = row
        self.fields = fields
    }
}

/// A `records.import` body: rows as JSON objects (`rows`), or — the bulk form creditctl uses for CSV
/// files — the CSV records of a batch as text (`csv`, one record per line as the file had it, blank
/// ones included) with the header's `columns` and the row number of the first (`firstRow`).
public struct ImportRequest: Codable, Sendable {
    /// The most rows one request may carry; the registry refuses a larger batch.
    public static let maxRows = 10_000

    public var format: RecordFormat
    public var rows: [ImportRow]
    public var columns: [String]?
    public var csv: String?
    public var firstRow: Int?

    public init(format: RecordFormat, rows: [ImportRow]) {
        self.format = format
        self.rows = rows
    }

    public init(format: RecordFormat, columns: [String], csv: String, firstRow: Int) {
        self.format = format
        self.rows = []
        self.columns = columns
        self.csv = csv
        self.firstRow = firstRow
    }

    /// The body as a JSON value, built directly (a batch's text is megabytes; `JSONValue(encoding:)`
    /// would encode and parse it once more).
    public var body: JSONValue {
        if let csv, let columns {
            return .object([
                "format": .string(format.rawValue), "columns": .array(columns.map { .string($0) }), "csv": .string(csv),
                "firstRow": .int(Int64(firstRow ?? 2)),
            ])
        }
        return .object([
            "format": .string(format.rawValue),
            "rows": .array(rows.map { .object(["row": .int(Int64($0.row)), "fields": .object($0.fields)]) }),
        ])
    }
}

/// A row the registry would not store, and why.
public struct RefusedRow: Codable, Sendable, Equatable {
    public var row: Int
    public var field: String
    public var value: String?
    public var reason: String

    public init(row: Int, field: String, value: String?, reason: String) {
        self.row = row
        self.field = field
        self.value = value
        self.reason = reason
    }
}

/// What an import did: rows read, new records stored, rows already present unchanged, corrections
/// (a new version of a record already present), and the refused rows.
public struct ImportResult: Codable, Sendable {
    public var read: Int
    public var stored: Int
    public var alreadyPresent: Int
    public var corrected: Int
    public var refused: [RefusedRow]
    /// Ids of stored and corrected records (the `rows` form only; a bulk batch leaves it empty).
    public var recordIDs: [String]

    public init(
        read: Int = 0, stored: Int = 0, alreadyPresent: Int = 0, corrected: Int = 0, refused: [RefusedRow] = [], recordIDs: [String] = []
    ) {
        self.read = read
        self.stored = stored
        self.alreadyPresent = alreadyPresent
        self.corrected = corrected
        self.refused = refused
        self.recordIDs = recordIDs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        read = try container.decode(Int.self, forKey: .read)
        stored = try container.decode(Int.self, forKey: .stored)
        alreadyPresent = try container.decode(Int.self, forKey: .alreadyPresent)
        corrected = try container.decodeIfPresent(Int.self, forKey: .corrected) ?? 0
        refused = try container.decode([RefusedRow].self, forKey: .refused)
        recordIDs = try container.decodeIfPresent([String].self, forKey: .recordIDs) ?? []
    }

    /// Adds another batch's counts.
    public mutating func add(_ other: ImportResult) {
        read += other.read
        stored += other.stored
        alreadyPresent += other.alreadyPresent
        corrected += other.corrected
        refused += other.refused
        recordIDs += other.recordIDs
    }
}
