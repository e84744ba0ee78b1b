import GRDB
import GRDBSQLite

/// One argument of `Statement.run(_:)`: text, an integer or NULL.
public enum DirectArgument {
    case text(String)
    /// Text as UTF-8 bytes the caller vouches for (written by `JSONWriter`, say).
    case utf8([UInt8])
    case int(Int64)
    case null

    /// `.text(value)` or `.null` when there is none.
    @inlinable
    public static func optional(_ value: String?) -> DirectArgument {
        if let value { .text(value) } else { .null }
    }
}

/// SQLite copies the bytes at once (`SQLITE_TRANSIENT`).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Statement {
    /// Runs an `INSERT`/`UPDATE` with its arguments bound straight through SQLite's C API, each
    /// text from the string's own UTF-8 storage (no copy, no `DatabaseValue`), and returns the
    /// number of rows it changed.
    ///
    /// For the rows a bulk import writes by the thousand a second (the registry's writer, the event
    /// log): GRDB's `execute(arguments:)` boxes every argument and checks it against the statement,
    /// which was a fifth of the registry writer's time. The caller passes as many arguments as the
    /// statement has parameters, in order; a mismatch is a programming error and traps.
    ///
    /// GRDB does not see these statements run: its transaction observers (`ValueObservation` and
    /// the like, which no service here uses) would miss their changes. Commit hooks such as the event
    /// log's `afterNextTransaction` are SQLite's and fire as usual.
    @discardableResult
    public func run(_ arguments: [DirectArgument]) throws -> Int {
        let handle = sqliteStatement
        precondition(Int(sqlite3_bind_parameter_count(handle)) == arguments.count, "\(sql): \(arguments.count) arguments")
        sqlite3_reset(handle)
        defer {
            // The texts were bound without a copy: no pointer may outlive this call.
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        var arguments = arguments
        return try Self.bind(&arguments, from: 0, to: handle) {
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE || code == SQLITE_ROW else {
                let connection = sqlite3_db_handle(handle)
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) }, sql: sql)
            }
            return Int(sqlite3_changes(sqlite3_db_handle(handle)))
        }
    }

    /// Binds arguments `index…` then calls `body`, each text bound inside its own `withUTF8` so its
    /// bytes stay where they are until the statement has run.
    private static func bind(
        _ arguments: inout [DirectArgument], from index: Int, to handle: OpaquePointer, body: () throws -> Int
    ) throws -> Int {
        guard index < arguments.count else { return try body() }
        let position = Int32(index + 1)
        switch arguments[index] {
        case .null:
            sqlite3_bind_null(handle, position)
            return try bind(&arguments, from: index + 1, to: handle, body: body)
        case .int(let value):
            sqlite3_bind_int64(handle, position, value)
            return try bind(&arguments, from: index + 1, to: handle, body: body)
        case .utf8(let bytes):
            return try bytes.withUnsafeBufferPointer { buffer in
                bindText(UnsafeRawBufferPointer(buffer), at: position, to: handle)
                return try bind(&arguments, from: index + 1, to: handle, body: body)
            }
        case .text(var text):
            return try text.withUTF8 { bytes in
                bindText(UnsafeRawBufferPointer(bytes), at: position, to: handle)
                return try bind(&arguments, from: index + 1, to: handle, body: body)
            }
        }
    }

    private static func bindText(_ bytes: UnsafeRawBufferPointer, at position: Int32, to handle: OpaquePointer) {
        if let base = bytes.baseAddress, !bytes.isEmpty {
            // SQLITE_STATIC (nil): SQLite reads the bytes in place; they live until the statement has run.
            sqlite3_bind_text(handle, position, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        } else {
            sqlite3_bind_text(handle, position, "", 0, transient)
        }
    }
}
