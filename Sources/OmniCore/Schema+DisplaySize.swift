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
            let rows = try Row.fetchAll(db, sql: "SELECT id, probe FROM asset WHERE width IS NOT NULL")
            let update = try db.makeStatement(
                sql: "UPDATE asset SET display_width = ?, display_height = ? WHERE id = ?")
            for row in rows {
                let probe: String = row["probe"]
                // A damaged probe is fsck's to report; its row keeps the coded size.
                guard let media = try? JSONDecoder().decode(MediaInfo.self, from: Data(probe.utf8)),
                    let size = media.displaySize
                else { continue }
                try update.execute(arguments: [size.width, size.height, row["id"] as String])
            }
        }
    }
}
