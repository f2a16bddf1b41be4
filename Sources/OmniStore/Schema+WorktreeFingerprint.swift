import GRDB

extension Schema {
    /// v8: the working file's cache gets what `path_stat` has (device and
    /// inode change time) plus the time it was recorded, so `status` and
    /// `checkout` trust it only when the file was still before that time (see
    /// ``FileFingerprint/isSettled(at:)``). Rows from before have a recorded
    /// time of 0: the file is hashed once more and the row refreshed.
    static func registerWorktreeFingerprint(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-worktree-fingerprint") { db in
            try db.execute(
                sql: """
                    ALTER TABLE worktree ADD COLUMN device INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE worktree ADD COLUMN ctime_ns INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE worktree ADD COLUMN recorded_ns INTEGER NOT NULL DEFAULT 0;
                    """)
        }
    }
}
