import GRDB

extension Schema {
    /// v10: `status` lists the creates that were sent and got no reply (they
    /// may be billed) on every run, so they are found by a partial index
    /// rather than by reading every failed attempt.
    static func registerUnansweredIndex(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10-unanswered-index") { db in
            try db.execute(sql: "CREATE INDEX attempt_unanswered ON attempt (seq) WHERE status = 'no_reply'")
        }
    }
}
