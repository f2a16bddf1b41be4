import Foundation
import GRDB
import OmniMedia

extension Schema {
    /// v15: when each asset was shot (`MediaInfo.capturedAt`), indexed for
    /// `assets --taken-since`. Filled in from the stored probes of existing
    /// assets, as v9 did for display sizes. Also paths by themselves: a path
    /// names an asset (`meta PATH`, `rm PATH`), and `--path` globs have a
    /// literal prefix once made absolute, which this index serves.
    static func registerTakenAt(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-taken-at") { db in
            try db.execute(
                sql: """
                    ALTER TABLE asset ADD COLUMN taken_at TEXT;
                    CREATE INDEX asset_by_taken ON asset(taken_at) WHERE taken_at IS NOT NULL;
                    CREATE INDEX asset_path_by_path ON asset_path(path);
                    """)
            let update = try db.makeStatement(sql: "UPDATE asset SET taken_at = ? WHERE id = ?")
            try eachStoredProbe(db) { id, media in
                if let taken = media.capturedAt { try update.execute(arguments: [taken, id]) }
            }
        }
    }
}
