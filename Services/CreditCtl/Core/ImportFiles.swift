import CSV
import Foundation
import MeshProtocol
import RegistryCore

/// Reads an operator's import file into numbered rows of fields, as the registry's
/// `records.import` takes them. Row numbers are what the operator sees: for CSV the spreadsheet row
/// (the header is row 1), for JSON the 1-based index of the object in the array.
public enum ImportFiles {
    public struct Parsed: Sendable {
        public var rows: [ImportRow]
        /// Rows refused before sending (not an object, wrong column count …).
        public var refused: [RefusedRow]
    }

    public static func read(path: String, format: RecordFormat) throws -> Parsed {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CtlError("cannot read \(path): \(error.localizedDescription)")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }  // Excel's UTF-8 BOM
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CtlError("\(path) is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)")
        }
        switch format {
        case .shixin: return try json(text, path: path)
        case .xzcf:
            if text.drop(while: \.isWhitespace).first == "[" { return try json(text, path: path) }
            return try csv(text, path: path)
        }
    }

    static func json(_ text: String, path: String) throws -> Parsed {
        let value: JSONValue
        do {
            value = try WireCoding.decode(JSONValue.self, from: Array(text.utf8))
        } catch {
            throw CtlError("\(path) is not valid JSON: \(error)")
        }
        let items: [JSONValue]
        if let array = value.arrayValue {
            items = array
        } else if let array = value["data"]?.arrayValue ?? value["result"]?.arrayValue {
            items = array
        } else {
            throw CtlError("\(path): expected a JSON array of objects (or an object with a \"data\" array)")
        }
        var parsed = Parsed(rows: [], refused: [])
        for (index, item) in items.enumerated() {
            if let object = item.objectValue {
                parsed.rows.append(ImportRow(row: index + 1, fields: object))
            } else {
                parsed.refused.append(RefusedRow(row: index + 1, field: "row", value: nil, reason: "is not a JSON object"))
            }
        }
        return parsed
    }

    static func csv(_ text: String, path: String) throws -> Parsed {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true, trimFields: true)
        } catch {
            throw CtlError("\(path) is not readable CSV: \(error)")
        }
        guard let header = reader.headerRow, !header.isEmpty else { throw CtlError("\(path) has no header row") }
        var parsed = Parsed(rows: [], refused: [])
        var number = 1
        while let row = reader.next() {
            number += 1
            if row.allSatisfy({ $0.isEmpty }) { continue }
            guard row.count == header.count else {
                parsed.refused.append(
                    RefusedRow(row: number, field: "row", value: nil, reason: "has \(row.count) columns; the header has \(header.count)"))
                continue
            }
            var fields: [String: JSONValue] = [:]
            for (key, value) in zip(header, row) where !value.isEmpty { fields[key] = .string(value) }
            parsed.rows.append(ImportRow(row: number, fields: fields))
        }
        return parsed
    }
}

/// A creditctl failure, printed as one line.
public struct CtlError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
