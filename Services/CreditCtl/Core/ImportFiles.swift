import Foundation
import MeshProtocol
import RegistryProtocol

/// Reads an operator's import file in batches, never the whole file at once: CSV records are
/// passed on as their text (the registry parses them; `records.import`'s bulk form), JSON arrays are
/// split into their objects. Row numbers are what the operator sees: for CSV the spreadsheet row
/// (the header is row 1), for JSON the 1-based index of the object in the array.
public final class ImportReader {
    /// One batch to send, with what a report or a resume needs.
    public struct Batch: Sendable {
        public var request: ImportRequest
        /// Rows refused before sending (not an object, not UTF-8 …).
        public var refused: [RefusedRow]
        /// The text of every row of the batch as the file has it, by row number (for the report).
        public var raw: [Int: String]
        /// Rows of the file the batch covers (blank ones included).
        public var firstRow: Int
        public var lastRow: Int
        /// Rows that will be counted as read (not blank).
        public var rowCount: Int
        /// Byte offset in the file just after the batch's last row.
        public var endOffset: Int
    }

    public let path: String
    public let format: RecordFormat
    public private(set) var isCSV = false
    /// The CSV header (empty for JSON).
    public private(set) var header: [String] = []
    /// The header line as written, for the report.
    public private(set) var headerText = ""
    public let fileSize: Int
    /// Byte offset of the next unread row.
    public private(set) var offset: Int

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// Index in `buffer` of the next unread byte; `buffer[0]` is at file offset `bufferStart`.
    private var position = 0
    private var bufferStart = 0
    private var atEnd = false
    private var nextRow: Int
    /// JSON: the array was closed (nothing more to read).
    private var finished = false
    private static let chunkSize = 4 << 20

    /// Opens `path`. With `resumeAt` (offset and the last row done, from a progress file) reading
    /// continues there; the CSV header is read from the start in any case.
    public init(path: String, format: RecordFormat, resumeAt: (offset: Int, row: Int)? = nil) throws {
        self.path = path
        self.format = format
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CtlError("cannot read \(path): no such file or not readable") }
        self.handle = handle
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        fileSize = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        offset = 0
        nextRow = 1
        try fill(minimum: 3)
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }  // Excel's UTF-8 BOM
        try skipWhitespace()
        let first = position < buffer.count ? buffer[position] : 0
        isCSV = format == .xzcf || format == .xzxk || format == .native ? first != UInt8(ascii: "[") && first != UInt8(ascii: "{") : false
        if isCSV {
            guard let record = try nextRecord(), let text = String(validating: record, as: UTF8.self) else {
                throw CtlError("\(path) has no header row (or it is not UTF-8 text; save it as CSV UTF-8)")
            }
            guard let fields = CSVText.fields(text), fields.contains(where: { !$0.isEmpty }) else {
                throw CtlError("\(path) has no readable header row")
            }
            header = fields
            headerText = text
            nextRow = 2
        } else {
            try openJSONArray()
        }
        if let resumeAt {
            guard resumeAt.offset <= fileSize else {
                throw CtlError(
                    "\(path) is shorter than its progress file says (\(resumeAt.offset) bytes done); it changed: import without --resume")
            }
            try seek(to: resumeAt.offset)
            nextRow = resumeAt.row + 1
        }
    }

    deinit { try? handle.close() }

    /// The next batch of at most `rows` rows, or nil at the end of the file.
    public func next(rows: Int) throws -> Batch? {
        var batch = Batch(
            request: ImportRequest(format: format, rows: []), refused: [], raw: [:], firstRow: nextRow, lastRow: nextRow - 1, rowCount: 0,
            endOffset: offset)
        if isCSV {
            var text = ""
            text.reserveCapacity(rows * 700)
            while batch.lastRow - batch.firstRow + 1 < rows, let record = try nextRecord() {
                let row = nextRow
                nextRow += 1
                batch.lastRow = row
                if row > batch.firstRow { text += "\n" }
                guard let line = String(validating: record, as: UTF8.self) else {
                    batch.rowCount += 1
                    batch.refused.append(
                        RefusedRow(row: row, field: "row", value: nil, reason: "is not UTF-8 text; save the file as CSV UTF-8"))
                    continue
                }
                if !line.isEmpty { batch.rowCount += 1 }
                batch.raw[row] = line
                text += line
            }
            guard batch.lastRow >= batch.firstRow else { return nil }
            batch.request = ImportRequest(format: format, columns: header, csv: text, firstRow: batch.firstRow)
        } else {
            while batch.lastRow - batch.firstRow + 1 < rows, let element = try nextJSONElement() {
                let row = nextRow
                nextRow += 1
                batch.lastRow = row
                batch.rowCount += 1
                let text = String(decoding: element, as: UTF8.self)
                batch.raw[row] = text
                guard let value = try? WireCoding.decode(JSONValue.self, from: Array(element)) else {
                    batch.refused.append(RefusedRow(row: row, field: "row", value: nil, reason: "is not valid JSON"))
                    continue
                }
                guard let object = value.objectValue else {
                    batch.refused.append(RefusedRow(row: row, field: "row", value: nil, reason: "is not a JSON object"))
                    continue
                }
                batch.request.rows.append(ImportRow(row: row, fields: object))
            }
            guard batch.lastRow >= batch.firstRow else { return nil }
        }
        batch.endOffset = offset
        return batch
    }

    // MARK: - Bytes

    /// Makes at least `minimum` unread bytes available unless the file ends first.
    private func fill(minimum: Int) throws {
        while buffer.count - position < minimum, !atEnd {
            if position > 0 {
                buffer.removeFirst(position)
                bufferStart += position
                position = 0
            }
            let data = try handle.read(upToCount: Self.chunkSize) ?? Data()
            if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
        }
    }

    private func seek(to target: Int) throws {
        try handle.seek(toOffset: UInt64(target))
        buffer.removeAll(keepingCapacity: true)
        position = 0
        bufferStart = target
        offset = target
        atEnd = false
    }

    private func byte(at index: Int) throws -> UInt8? {
        if position + index >= buffer.count { try fill(minimum: index + 1) }
        return position + index < buffer.count ? buffer[position + index] : nil
    }

    private func skipWhitespace() throws {
        while let byte = try byte(at: 0), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
            offset = bufferStart + position
        }
    }

    /// The next CSV record's bytes (without its line break), or nil at the end.
    private func nextRecord() throws -> ArraySlice<UInt8>? {
        guard try byte(at: 0) != nil else { return nil }
        var index = 0
        var inQuotes = false
        while let byte = try byte(at: index) {
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == 0x0A, !inQuotes {
                break
            }
            index += 1
        }
        var end = position + index
        let next = min(end + 1, buffer.count)
        if end > position, buffer[end - 1] == 0x0D { end -= 1 }
        let record = buffer[position..<end]
        position = next
        offset = bufferStart + position
        return record
    }

    // MARK: - JSON

    /// Expects `[` (or `{"data": [...]}`, the envelope some exports use, which is read whole).
    private func openJSONArray() throws {
        guard let first = try byte(at: 0) else { throw CtlError("\(path) is empty; expected a JSON array of objects") }
        if first == UInt8(ascii: "[") {
            position += 1
            offset = bufferStart + position
            return
        }
        // An envelope object: small exports only; read it whole and re-serve its array.
        try fill(minimum: Int.max)
        let value: JSONValue
        do {
            value = try WireCoding.decode(JSONValue.self, from: Array(buffer[position...]))
        } catch {
            throw CtlError("\(path) is not valid JSON: \(error)")
        }
        guard let items = value["data"]?.arrayValue ?? value["result"]?.arrayValue else {
            throw CtlError("\(path): expected a JSON array of objects (or an object with a \"data\" array)")
        }
        buffer = Array("[".utf8) + Array(try WireCoding.encode(JSONValue.array(items)).dropFirst())
        position = 1
    }

    /// The next element of the top-level array, or nil after `]`.
    private func nextJSONElement() throws -> ArraySlice<UInt8>? {
        guard !finished else { return nil }
        try skipWhitespace()
        if try byte(at: 0) == UInt8(ascii: ",") {
            position += 1
            try skipWhitespace()
        }
        guard let first = try byte(at: 0) else { throw CtlError("\(path) ends inside the JSON array (missing ])") }
        if first == UInt8(ascii: "]") {
            position += 1
            offset = bufferStart + position
            finished = true
            return nil
        }
        var index = 0
        var depth = 0
        var inString = false
        var escaped = false
        while let byte = try byte(at: index) {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { break }
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { break }
                default: break
                }
                if depth == 0, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") { break }
            }
            index += 1
        }
        guard try byte(at: index) != nil else { throw CtlError("\(path) ends inside the JSON array (missing ])") }
        var end = position + index
        while end > position, [0x20, 0x0A, 0x0D, 0x09].contains(buffer[end - 1]) { end -= 1 }
        let element = buffer[position..<end]
        position += index
        offset = bufferStart + position
        return element
    }
}

/// Reads a whole import file at once: the convenience for small files and tests.
public enum ImportFiles {
    public struct Parsed: Sendable {
        public var rows: [ImportRow]
        /// Rows refused before sending (not an object, wrong column count …).
        public var refused: [RefusedRow]
    }

    public static func read(path: String, format: RecordFormat) throws -> Parsed {
        let reader = try ImportReader(path: path, format: format)
        var parsed = Parsed(rows: [], refused: [])
        while let batch = try reader.next(rows: 10_000) {
            parsed.refused += batch.refused
            if let csv = batch.request.csv, let first = batch.request.firstRow {
                CSVText.forEachRow(in: csv, firstRow: first, columnCount: reader.header.count) { row, record in
                    switch record {
                    case .refused(let refusal):
                        parsed.refused.append(refusal)
                    case .values(let values):
                        var fields: [String: JSONValue] = [:]
                        for (key, value) in zip(reader.header, values) where !value.isEmpty { fields[key] = .string(value) }
                        parsed.rows.append(ImportRow(row: row, fields: fields))
                    }
                }
            } else {
                parsed.rows += batch.request.rows
            }
        }
        parsed.refused.sort { $0.row < $1.row }
        return parsed
    }
}

/// A creditctl failure, printed as one line.
public struct CtlError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
