import Conversations
import GRDB

/// What consecutive message appends need to know about a conversation — its row, next index
/// and members — kept by the writer between appends so each append only inserts. The
/// conversation row's changes (next index, activity, timers) are written once per commit
/// (``flush(_:clear:)``) instead of once per message.
///
/// Only the writer queue touches it. Any other kind of write flushes and clears it first, and a
/// failed transaction clears it, so it never answers with something the database does not hold.
final class AppendCache: @unchecked Sendable {
    struct Member {
        var sid: String
        var identity: String?
        var address: String?
        var proxy: String?
    }

    final class Entry {
        var conversation: Conversation
        var nextIndex: Int
        var members: [Member]
        /// The row needs writing (next_index, state, timers, date_updated).
        var dirty = false
        init(conversation: Conversation, nextIndex: Int, members: [Member]) {
            self.conversation = conversation; self.nextIndex = nextIndex; self.members = members
        }
    }

    private var bySid: [String: Entry] = [:]
    /// (address, proxy address) → the open conversation bound to it, as appends found it.
    var bindings: [String: (service: String, conversation: String)] = [:]
    /// (service, unique_name) → conversation SID.
    private var byName: [String: String] = [:]
    /// Entries with unwritten changes, in first-touched order.
    private var dirty: [Entry] = []
    /// Bounds memory: past this many conversations the cache starts over (after a flush).
    private let capacity = 10_000

    func entry(service: String, id: String) -> Entry? {
        let sid = SID.isValid(id, prefix: .conversation) ? id : byName[service + "\u{0}" + id]
        guard let sid, let entry = bySid[sid], entry.conversation.serviceSid == service else { return nil }
        return entry
    }

    /// Adds an entry. Past the capacity, entries without unwritten changes are forgotten (no
    /// database write here: this runs inside a request's savepoint, which may still roll back).
    func insert(_ entry: Entry, db: Database) throws {
        if bySid.count >= capacity {
            bySid = bySid.filter { $0.value.dirty }
            byName = byName.filter { bySid[$0.value] != nil }
            bindings.removeAll(keepingCapacity: true)
        }
        bySid[entry.conversation.sid] = entry
        if let name = entry.conversation.uniqueName { byName[entry.conversation.serviceSid + "\u{0}" + name] = entry.conversation.sid }
    }

    func markDirty(_ entry: Entry) {
        if !entry.dirty {
            entry.dirty = true
            dirty.append(entry)
        }
    }

    /// Writes every changed conversation row; with `clear`, forgets everything afterwards.
    func flush(_ db: Database, clear: Bool) throws {
        if !dirty.isEmpty {
            let update = try RawStatement(db, "UPDATE conversations SET next_index = ?, state = ?, date_inactive = ?, date_closed = ?, date_updated = ? WHERE sid = ?")
            for entry in dirty {
                let c = entry.conversation
                update.bind(1, Int64(entry.nextIndex))
                update.bind(2, c.state.rawValue)
                update.bind(3, c.timers.dateInactive)
                update.bind(4, c.timers.dateClosed)
                update.bind(5, c.dateUpdated)
                update.bind(6, c.sid)
                try update.run()
                entry.dirty = false
            }
            dirty.removeAll(keepingCapacity: true)
        }
        if clear { self.clear() }
    }

    func clear() {
        bySid.removeAll(keepingCapacity: true)
        byName.removeAll(keepingCapacity: true)
        bindings.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
    }
}
