import GRDB

extension Schema {
    /// v11: the ref journal's size at the last commit, so that a journal
    /// tail from a transaction that never committed is recognised and cut
    /// off (see ``Store/reconcileJournal(_:_:)``). -1 until the first write.
    static func registerJournalState(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v11-journal-state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE journal_state (
                        only INTEGER PRIMARY KEY CHECK (only = 1),
                        size INTEGER NOT NULL
                    );
                    INSERT INTO journal_state (only, size) VALUES (1, -1);
                    """)
        }
    }
}
