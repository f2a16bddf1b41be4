import GRDB

/// The SQLite schema, as an ordered list of migrations.
///
/// Migrations only ever append: a store written by this version opens in any
/// later one, and a store with a migration this version does not know is
/// refused rather than misread.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-assets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE asset (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),
                        size INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        mime TEXT NOT NULL,
                        format TEXT NOT NULL,
                        duration REAL,
                        bit_rate INTEGER,
                        width INTEGER,
                        height INTEGER,
                        fps REAL,
                        probe TEXT NOT NULL,
                        added_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX asset_by_kind ON asset(kind, added_at);
                    CREATE INDEX asset_by_added ON asset(added_at);
                    CREATE TABLE asset_path (
                        asset_id TEXT NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        path TEXT NOT NULL,
                        added_at TEXT NOT NULL,
                        UNIQUE (asset_id, path)
                    );
                    """)
        }
        return migrator
    }
}
