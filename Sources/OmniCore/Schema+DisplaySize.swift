import Foundation
import GRDB
import OmniMedia

extension Schema {
    /// v9: the size a player shows (sample aspect ratio and display matrix
    /// applied), beside the coded `width` and `height`, so that `log` shows a
    /// portrait phone clip as 1080x1920 without decoding each probe. Filled in
    /// from the stored probes of existing assets.
    static func registerDisplaySize(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v9-display-size") { db in
            try db.execute(
                sql: """
                    ALTER TABLE asset ADD COLUMN display_width INTEGER;
                    ALTER TABLE asset ADD COLUMN display_height INTEGER;
                    """)
            let update = try db.makeStatement(
                sql: "UPDATE asset SET display_width = ?, display_height = ? WHERE id = ?")
            try eachStoredProbe(db, where: "width IS NOT NULL") { id, media in
                guard let size = media.displaySize else { return }
                try update.execute(arguments: [size.width, size.height, id])
            }
        }
    }

    /// Calls `body` with the id and decoded probe of each asset row that
    /// `condition` selects, for migrations that fill a column from probes.
    /// A damaged probe is fsck's to report: its row is skipped.
    static func eachStoredProbe(
        _ db: Database, where condition: String = "1", _ body: (String, MediaInfo) throws -> Void
    ) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, probe FROM asset WHERE \(condition)") {
            let probe: String = row["probe"]
            guard let media = try? JSONDecoder().decode(MediaInfo.self, from: Data(probe.utf8)) else { continue }
            try body(row["id"], media)
        }
    }
}
