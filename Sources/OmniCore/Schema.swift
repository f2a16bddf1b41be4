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
        migrator.registerMigration("v2-graph") { db in
            // Parents are stored by local sequence number so that graph walks
            // join on integers; every other reference uses the turn id.
            try db.execute(
                sql: """
                    CREATE TABLE turn (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE CHECK (length(id) = 64),
                        record TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        instruction TEXT NOT NULL,
                        output TEXT NOT NULL REFERENCES asset(id),
                        model TEXT,
                        interaction_id TEXT,
                        cost_usd REAL,
                        created_at TEXT NOT NULL,
                        generation INTEGER NOT NULL
                    );
                    CREATE INDEX turn_by_output ON turn(output);
                    CREATE INDEX turn_by_interaction ON turn(interaction_id) WHERE interaction_id IS NOT NULL;
                    CREATE TABLE turn_parent (
                        child INTEGER NOT NULL REFERENCES turn(seq),
                        position INTEGER NOT NULL,
                        parent INTEGER NOT NULL REFERENCES turn(seq),
                        PRIMARY KEY (child, position)
                    ) WITHOUT ROWID;
                    CREATE INDEX turn_parent_by_parent ON turn_parent(parent, child);
                    CREATE TABLE turn_input (
                        turn INTEGER NOT NULL REFERENCES turn(seq),
                        position INTEGER NOT NULL,
                        asset TEXT NOT NULL REFERENCES asset(id),
                        name TEXT NOT NULL,
                        PRIMARY KEY (turn, position)
                    ) WITHOUT ROWID;
                    CREATE INDEX turn_input_by_asset ON turn_input(asset);
                    CREATE TABLE ref (
                        name TEXT PRIMARY KEY NOT NULL,
                        target TEXT NOT NULL REFERENCES turn(id)
                    ) WITHOUT ROWID;
                    CREATE INDEX ref_by_target ON ref(target);
                    CREATE TABLE head (
                        only INTEGER PRIMARY KEY CHECK (only = 1),
                        symbolic TEXT,
                        detached TEXT REFERENCES turn(id),
                        CHECK ((symbolic IS NULL) != (detached IS NULL))
                    );
                    INSERT INTO head (only, symbolic, detached) VALUES (1, 'refs/heads/main', NULL);
                    CREATE TABLE reflog (
                        seq INTEGER PRIMARY KEY,
                        ref TEXT NOT NULL,
                        old TEXT,
                        new TEXT,
                        at TEXT NOT NULL,
                        author TEXT NOT NULL,
                        reason TEXT NOT NULL
                    );
                    CREATE INDEX reflog_by_ref ON reflog(ref, seq);
                    CREATE INDEX reflog_by_new ON reflog(new);
                    CREATE TABLE config (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE worktree (
                        only INTEGER PRIMARY KEY CHECK (only = 1),
                        path TEXT NOT NULL,
                        asset TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3-interactions") { db in
            // A pending row is written the moment the API accepts a create,
            // before any polling, and removed in the transaction that records
            // the turn: paid work is never forgotten and lands exactly once.
            try db.execute(
                sql: """
                    CREATE TABLE pending (
                        interaction_id TEXT PRIMARY KEY NOT NULL,
                        status TEXT NOT NULL,
                        plan TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE attempt (
                        seq INTEGER PRIMARY KEY,
                        interaction_id TEXT,
                        kind TEXT NOT NULL,
                        instruction TEXT NOT NULL,
                        parent TEXT,
                        status TEXT NOT NULL,
                        error_code TEXT,
                        message TEXT NOT NULL,
                        plan TEXT NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v4-path-touched") { db in
            // added_at keeps the first time a path was added (it orders paths);
            // touched_at is the latest, which restarts gc's grace period.
            try db.execute(sql: "ALTER TABLE asset_path ADD COLUMN touched_at TEXT")
        }
        migrator.registerMigration("v5-remotes") { db in
            // Remotes hold no credentials: those come from the environment.
            // Remote-tracking branches are refs named refs/remotes/NAME/BRANCH.
            // A lazy object has its asset row but no object file yet: it is
            // fetched from `remote` when a command first needs its bytes. A
            // remote marked lazy (clone --lazy) keeps later pulls lazy too.
            try db.execute(
                sql: """
                    CREATE TABLE remote (
                        name TEXT PRIMARY KEY NOT NULL,
                        url TEXT NOT NULL,
                        endpoint TEXT,
                        region TEXT,
                        addressing TEXT,
                        lazy INTEGER NOT NULL DEFAULT 0,
                        added_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE lazy_object (
                        asset TEXT PRIMARY KEY NOT NULL REFERENCES asset(id) ON DELETE CASCADE,
                        remote TEXT NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        registerChains(in: &migrator)
        registerPathStat(in: &migrator)
        registerWorktreePathStat(in: &migrator)
        registerDisplaySize(in: &migrator)
        registerUnansweredIndex(in: &migrator)
        registerJournalState(in: &migrator)
        registerLibrary(in: &migrator)
        registerMeta(in: &migrator)
        registerLooks(in: &migrator)
        registerTakenAt(in: &migrator)
        return migrator
    }
}
