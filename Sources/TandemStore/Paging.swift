import Conversations
import Foundation
import GRDB

/// Keyset paging over one ordered integer key (rowid or message index): a page is the rows
/// after (or before) the cursor's key, so pages stay stable while rows are added.
struct KeysetPage {
    /// `SELECT <columns>, <key> AS _key FROM … WHERE <filter>`: no ORDER BY, no LIMIT.
    var select: String
    var arguments: StatementArguments
    var key: String

    func fetch<T>(_ db: Database, _ request: PageRequest, map: (Row) throws -> T) throws -> Page<T> {
        let ascending = !request.descending
        let (forwardOp, backwardOp) = ascending ? (">", "<") : ("<", ">")
        let (forwardOrder, backwardOrder) = ascending ? ("ASC", "DESC") : ("DESC", "ASC")
        var sql = select
        var args = arguments
        let hasWhere = select.range(of: " WHERE ", options: .caseInsensitive) != nil
        var backward = false
        if let cursor = request.cursor {
            backward = cursor.direction == .before
            sql += (hasWhere ? " AND " : " WHERE ") + "\(key) \(backward ? backwardOp : forwardOp) ?"
            _ = args.append(contentsOf: [cursor.key])
        }
        sql += " ORDER BY \(key) \(backward ? backwardOrder : forwardOrder) LIMIT ?"
        _ = args.append(contentsOf: [request.size + 1])
        var rows = try Row.fetchAll(db, sql: sql, arguments: args)
        let more = rows.count > request.size
        if more { rows.removeLast() }
        if backward { rows.reverse() }
        let keys = rows.map { $0["_key"] as Int64 }
        let items = try rows.map(map)
        var next: PageCursor?
        var previous: PageCursor?
        if let last = keys.last, backward || more { next = PageCursor(.after, key: last) }
        if let first = keys.first, request.cursor != nil, !backward || more { previous = PageCursor(.before, key: first) }
        return Page(items: items, next: next, previous: previous)
    }
}
