import GRDB

extension Schema {
    /// v13: metadata records (see ``MetaRecord``) and the state their replay
    /// gives: tags, notes, ratings; `library` becomes that replay's
    /// membership. `meta_line` keeps every line of every record, so a record
    /// pulled later is merged by replaying only the assets it names. Also the
    /// indexes the `assets` filters read.
    static func registerMeta(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13-meta") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta_record (
                        id TEXT PRIMARY KEY NOT NULL,
                        at TEXT NOT NULL,
                        author TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX meta_record_by_at ON meta_record(at);
                    CREATE TABLE meta_line (
                        record TEXT NOT NULL,
                        n INTEGER NOT NULL,
                        asset TEXT NOT NULL,
                        field TEXT NOT NULL,
                        value TEXT NOT NULL,
                        op TEXT NOT NULL,
                        at TEXT NOT NULL,
                        PRIMARY KEY (record, n)
                    ) WITHOUT ROWID;
                    CREATE INDEX meta_line_by_key ON meta_line(asset, field, value, at);
                    CREATE TABLE asset_tag (
                        asset TEXT NOT NULL,
                        tag TEXT NOT NULL,
                        PRIMARY KEY (asset, tag)
                    ) WITHOUT ROWID;
                    CREATE INDEX asset_tag_by_tag ON asset_tag(tag, asset);
                    CREATE TABLE asset_note (asset TEXT PRIMARY KEY NOT NULL, note TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE asset_rating (asset TEXT PRIMARY KEY NOT NULL, rating INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE INDEX asset_rating_by_rating ON asset_rating(rating, asset);
                    -- 0 until the first write has put the library into a record
                    -- (and the journal says so): see Store.writeMetaBaseline.
                    CREATE TABLE meta_state (
                        only INTEGER PRIMARY KEY CHECK (only = 1),
                        baseline INTEGER NOT NULL
                    );
                    INSERT INTO meta_state (only, baseline) VALUES (1, 0);
                    CREATE INDEX asset_by_size ON asset(size);
                    CREATE INDEX asset_by_duration ON asset(duration) WHERE duration IS NOT NULL;
                    CREATE INDEX asset_by_width ON asset(display_width) WHERE display_width IS NOT NULL;
                    """)
        }
    }
}
