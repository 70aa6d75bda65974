import GRDB
import GRDBSQLite

/// A GRDB-cached statement driven through the SQLite C API: binding by position and reading
/// columns by position without building `StatementArguments` and `Row` values. Used where a
/// request's cost is dominated by that bookkeeping (the message append).
struct RawStatement {
    private let statement: OpaquePointer
    private let connection: OpaquePointer?
    private let sql: String

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// A NUL that lives as long as the process (SQLite may read a static binding until the reset).
    nonisolated(unsafe) private static let emptyText: UnsafeMutablePointer<CChar> = {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return pointer
    }()

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection
        self.sql = sql
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(statement, index); return }
        var text = value
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                // An empty buffer may have no address: bind the one static empty string instead.
                _ = sqlite3_bind_text(statement, index, Self.emptyText, 0, nil)
                return
            }
            _ = sqlite3_bind_text(statement, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                  Int32(bytes.count), Self.transient)
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(statement, index); return }
        sqlite3_bind_int64(statement, index, value)
    }

    /// Steps once: true for a row, false when done; SQLite errors are thrown as `DatabaseError`.
    @discardableResult
    func step() throws -> Bool {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            sqlite3_reset(statement)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
        }
    }

    /// A value for ``run(_:)``.
    enum Value {
        case text(String?)
        case int(Int64?)
    }

    /// Binds `values` to parameters 1, 2, 3… and runs the statement (no rows), then resets it.
    /// The texts are copied once into one buffer bound without SQLite's own copy of each.
    func run(_ values: [Value]) throws {
        var total = 0
        for case .text(let text?) in values { total += text.utf8.count + 1 }
        var arena = [UInt8]()
        arena.reserveCapacity(total)
        var offsets: [Int] = []
        offsets.reserveCapacity(values.count)
        for value in values {
            if case .text(let text?) = value {
                offsets.append(arena.count)
                arena.append(contentsOf: text.utf8)
                arena.append(0)
            } else {
                offsets.append(-1)
            }
        }
        try arena.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(Self.emptyText).withMemoryRebound(to: UInt8.self, capacity: 1) { $0 })
            for (i, value) in values.enumerated() {
                let index = Int32(i + 1)
                switch value {
                case .text(let text?):
                    sqlite3_bind_text(statement, index, (base + offsets[i]).assumingMemoryBound(to: CChar.self), Int32(text.utf8.count), nil)
                case .int(let number?):
                    sqlite3_bind_int64(statement, index, number)
                case .text(nil), .int(nil):
                    sqlite3_bind_null(statement, index)
                }
            }
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            try step()
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws {
        try step()
        sqlite3_reset(statement)
    }

    func reset() { sqlite3_reset(statement) }

    func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, column) else { return nil }
        return String(cString: bytes)
    }

    func int64(_ column: Int32) -> Int64? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, column)
    }
}
