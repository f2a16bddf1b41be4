import GRDB

extension Schema {
    /// v14: the look cache of `OmniLooks`. Rows are derived from the objects
    /// alone, so a rebuilt index starts with them empty and fills them again
    /// on first need.
    ///
    /// - `look`: an asset's PDQ frames, `frames` packed as 37 bytes each
    ///   (32 of hash, bit 255 first; 1 of quality; 4 of milliseconds, little
    ///   endian), an empty blob when nothing could be hashed; `quality` the
    ///   best frame's; `version` the hashing that made it, so a change to it
    ///   is recomputed rather than compared.
    /// - `look_search`: the distance each asset has been searched at against
    ///   every look there was then, so `dupes` searches each asset once.
    /// - `look_pair`: what those searches found, `a < b`.
    ///
    /// Each row goes with its asset (gc deletes the asset's row).
    static func registerLooks(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v14-looks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE look (
                        asset TEXT PRIMARY KEY NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        frames BLOB NOT NULL,
                        quality INTEGER NOT NULL,
                        duration REAL,
                        version INTEGER NOT NULL,
                        computed_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE look_search (
                        asset TEXT PRIMARY KEY NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        distance INTEGER NOT NULL,
                        searched_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE look_pair (
                        a TEXT NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        b TEXT NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        distance INTEGER NOT NULL,
                        PRIMARY KEY (a, b)
                    ) WITHOUT ROWID;
                    CREATE INDEX look_pair_by_b ON look_pair(b, a);
                    """)
        }
    }
}
