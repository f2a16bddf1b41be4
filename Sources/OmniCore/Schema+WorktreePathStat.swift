import GRDB

extension Schema {
    /// v8: the working file's fingerprint moves to `path_stat`, the cache
    /// `add` uses (see ``FileFingerprint``): its own columns (size, mtime and
    /// inode, without the inode change time or the settling rule) could vouch
    /// for bytes that an in-place rewrite had changed. `worktree` keeps which
    /// file was checked out and what was written there.
    static func registerWorktreePathStat(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v8-worktree-uses-path-stat") { db in
            try db.execute(
                sql: """
                    ALTER TABLE worktree DROP COLUMN size;
                    ALTER TABLE worktree DROP COLUMN mtime_ns;
                    ALTER TABLE worktree DROP COLUMN inode;
                    """)
        }
    }
}
