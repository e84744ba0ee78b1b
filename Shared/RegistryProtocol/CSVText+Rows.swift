extension CSVText {
    /// One record of an import batch's CSV text, as the registry and creditctl both check it.
    public enum Row {
        /// The record's values, as many as the header has columns.
        case values([String])
        /// A record refused before its values are read: a quote that is never closed, or not as
        /// many columns as the header.
        case refused(RefusedRow)
    }

    /// Calls `body` for each record of `text` that is not blank (spreadsheets leave blank lines),
    /// with its row number (the first record of `text` is `firstRow`, blank records counted) and
    /// either its values or the reason it is refused.
    public static func forEachRow(
        in text: String, firstRow: Int, columnCount: Int, _ body: (_ row: Int, _ record: Row) throws -> Void
    ) rethrows {
        var row = firstRow - 1
        try forEachRecord(in: text) { values in
            row += 1
            guard let values else {
                try body(row, .refused(RefusedRow(row: row, field: "row", value: nil, reason: "has a quote that is never closed")))
                return
            }
            if values.count == 1, values[0].isEmpty { return }
            guard values.count == columnCount else {
                let reason = "has \(values.count) columns; the header has \(columnCount)"
                try body(row, .refused(RefusedRow(row: row, field: "row", value: nil, reason: reason)))
                return
            }
            try body(row, .values(values))
        }
    }

    /// The fields of one record given as text (without its line feed), or nil when a quote is left open.
    public static func fields(_ text: String) -> Record {
        var text = text
        return text.withUTF8 { fields($0) }
    }
}
