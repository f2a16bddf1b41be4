import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Journal lines for every setting, remote and lazy-object marker, and
    /// the line that says they are all journaled from here on.
    static func settingsSnapshot(_ db: Database) throws -> [JSONValue] {
        var lines: [JSONValue] = []
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM config ORDER BY key") {
            lines.append(RefJournal.Line.config(row["key"], value: row["value"]))
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM remote ORDER BY name") {
            lines.append(
                RefJournal.Line.remote(
                    row["name"],
                    columns: RefJournal.Line.remoteColumns(
                        url: row["url"], endpoint: row["endpoint"], region: row["region"],
                        addressing: row["addressing"],
                        lazy: row["lazy"], addedAt: row["added_at"])))
        }
        for row in try Row.fetchAll(db, sql: "SELECT asset, remote FROM lazy_object ORDER BY asset") {
            lines.append(RefJournal.Line.lazy(row["asset"], remote: row["remote"]))
        }
        for row in try Row.fetchAll(db, sql: "SELECT asset, added_at FROM library ORDER BY asset") {
            lines.append(RefJournal.Line.library(row["asset"], member: true, at: row["added_at"]))
        }
        // From here on the journal holds the whole library; before it, a
        // rebuild takes every asset as a member, as the v12 migration did.
        lines.append(.object(["op": .string("library-journaled")]))
        lines.append(.object(["op": .string("settings-journaled")]))
        return lines
    }

    /// Rewrites the ref journal as a snapshot of what it describes, as
    /// `git pack-refs` does: one line per ref, HEAD, each reflog entry, each
    /// setting, remote and lazy marker, each pending interaction and attempt,
    /// plus every `sending` line that is still unanswered (a killed create
    /// that may be billed). A rebuild from the snapshot gives the same index
    /// as from the journal it replaces.
    ///
    /// Runs in a write transaction, so no writer appends meanwhile; the new
    /// file is synced and renamed over the old one before the transaction
    /// records its size.
    ///
    /// - Returns: the journal's size before and after.
    func compactJournal() throws -> (before: Int64, after: Int64) {
        let storeLayout = layout
        return try write("cannot compact the ref journal") { db in
            try Store.reconcileJournal(db, storeLayout)
            let journal = RefJournal(storeLayout)
            let before = journal.size()
            var lines: [JSONValue] = []
            for row in try Row.fetchAll(db, sql: "SELECT name, target FROM ref ORDER BY name") {
                lines.append(RefJournal.Line.ref(row["name"], target: row["target"]))
            }
            if let head = try Row.fetchOne(db, sql: "SELECT symbolic, detached FROM head WHERE only = 1") {
                if let symbolic = head["symbolic"] as String? {
                    lines.append(RefJournal.Line.head(symbolic: symbolic))
                } else if let detached = head["detached"] as String? {
                    lines.append(RefJournal.Line.head(detached: detached))
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT ref, old, new, at, author, reason FROM reflog ORDER BY seq") {
                lines.append(
                    RefJournal.Line.reflog(
                        ref: row["ref"], old: row["old"], new: row["new"], at: row["at"], author: row["author"],
                        reason: row["reason"]))
            }
            lines += try Store.settingsSnapshot(db)
            for row in try Row.fetchAll(db, sql: "SELECT * FROM pending ORDER BY created_at") {
                lines.append(
                    RefJournal.Line.pending(
                        attempt: "", interaction: row["interaction_id"], status: row["status"], plan: row["plan"],
                        at: row["created_at"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM attempt ORDER BY seq") {
                lines.append(
                    RefJournal.Line.attempt([
                        "interaction_id": JSONValue(row["interaction_id"] as String?),
                        "kind": .string(row["kind"]), "instruction": .string(row["instruction"]),
                        "parent": JSONValue(row["parent"] as String?), "status": .string(row["status"]),
                        "error_code": JSONValue(row["error_code"] as String?), "message": .string(row["message"]),
                        "plan": .string(row["plan"]), "created_at": .string(row["created_at"]),
                    ]))
            }
            // A create journaled as sent with no answer yet: only the journal knows it.
            var unanswered: [(String, JSONValue)] = []
            for entry in try journal.entries().entries {
                guard let attempt = entry["attempt"]?.stringValue else { continue }
                switch entry["op"]?.stringValue {
                case "sending": unanswered.append((attempt, entry))
                case "send-failed", "pending": unanswered.removeAll { $0.0 == attempt }
                default: break
                }
            }
            lines += unanswered.map(\.1)

            let text = lines.map(CanonicalJSON.text).joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
            let file = try AtomicFile(destination: journal.path)
            let bytes = Array(text.utf8)
            try bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) throws in
                guard let base = buffer.baseAddress else { return }
                try file.file.writeAll(base, count: buffer.count)
            }
            try file.commit()
            let after = journal.size()
            try db.execute(sql: "UPDATE journal_state SET size = ? WHERE only = 1", arguments: [after])
            return (before, after)
        }
    }
}
