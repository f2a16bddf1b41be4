import GRDB

extension Schema {
    /// v12: the library, the assets that were added (by `add`, or as a
    /// reference given as a file) and not removed. gc never removes a member.
    /// Every asset of an older store was added by the user or kept by a turn,
    /// so all of them start in it.
    static func registerLibrary(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v12-library") { db in
            try db.execute(
                sql: """
                    CREATE TABLE library (
                        asset TEXT PRIMARY KEY NOT NULL,
                        added_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO library (asset, added_at) SELECT id, added_at FROM asset;
                    """)
        }
    }
}
