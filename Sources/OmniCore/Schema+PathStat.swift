import GRDB

extension Schema {
    /// v7: the fingerprint (inode, size, times) each added path had when it
    /// was hashed, so adding an unchanged file again needs no re-hash (see
    /// ``FileFingerprint``). Rows go with their asset when gc deletes it.
    static func registerPathStat(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v7-path-stat") { db in
            try db.execute(
                sql: """
                    CREATE TABLE path_stat (
                        path TEXT PRIMARY KEY NOT NULL,
                        asset_id TEXT NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        device INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        ctime_ns INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX path_stat_by_asset ON path_stat(asset_id);
                    """)
        }
    }
}
