import Foundation
import TestSupport
import Testing

/// fsck compares the turn record files with the index (issue 19 §1): a row
/// whose file is gone gets it back, byte for byte; a file with no row, or one
/// that does not hash to its name, is reported with the command that fixes it.
@Suite struct FsckRecordFiles {
    static func turnIDs(_ ws: CLIWorkspace) async throws -> [String] {
        let log = try await ws.run(["log", "--all", "--json"])
        #expect(log.succeeded, "\(log)")
        return try JSONText.array(log.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    @Test("a deleted record file is restored by fsck from the index, and sha256sum matches its name")
    func missingRecordIsRestored() async throws {
        let ws = try await IndexRebuild.makeStore("fsck-record-missing")
        let ids = try await Self.turnIDs(ws)
        let victim = try #require(ids.first)
        let path = ws.path + "/.omnistore/turns/" + victim
        try FileManager.default.removeItem(atPath: path)
        let fsck = try await ws.run(["fsck"])
        #expect(fsck.succeeded, "\(fsck)")
        #expect(fsck.stdout.contains("restored the missing record file of turn \(victim.prefix(12))"), "\(fsck)")
        let sum = try await RunningProcess.run(try Tool.path("sha256sum"), [path])
        #expect(sum.stdout.split(separator: " ").first.map(String.init) == victim, "\(sum)")
        let again = try await ws.run(["fsck", "--json"])
        let restored = try JSONText.object(again.stdout)["restored_records"] as? [String]
        #expect(again.succeeded && restored == [], "\(again)")
    }

    @Test(
        "a record file with no row is noted and the rebuild indexes it; a file that does not hash to its name is reported"
    )
    func unindexedAndDamagedRecords() async throws {
        let ws = try await IndexRebuild.makeStore("fsck-record-unindexed")
        let before = try await IndexRebuild.views(ws)
        let ids = try await Self.turnIDs(ws)
        let tip = try #require(ids.first)
        // The index loses a row (foreign keys off, as a damaged index might).
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            seq = db.execute("SELECT seq FROM turn WHERE id = ?", (sys.argv[2],)).fetchone()[0]
            db.execute("DELETE FROM turn_parent WHERE child = ?", (seq,))
            db.execute("DELETE FROM turn_input WHERE turn = ?", (seq,))
            db.execute("DELETE FROM turn WHERE seq = ?", (seq,))
            db.commit()
            """
        let python = try await RunningProcess.run(
            try Tool.path("python3"), ["-c", script, ws.path + "/.omnistore/omnistore.db", tip])
        #expect(python.succeeded, "\(python)")
        let fsck = try await ws.run(["fsck", "--json"])
        #expect((try JSONText.object(fsck.stdout))["unindexed_records"] as? [String] == [tip], "\(fsck)")
        let human = try await ws.run(["fsck"])
        #expect(human.stdout.contains("1 turn record file(s) not in the index"), "\(human)")

        let rebuild = try await ws.run(["fsck", "--rebuild-index"])
        #expect(rebuild.succeeded, "\(rebuild)")
        let after = try await IndexRebuild.views(ws)
        #expect(after == before)

        // A record file whose bytes were changed.
        let other = try #require(ids.last)
        let path = ws.path + "/.omnistore/turns/" + other
        chmod(path, 0o644)
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let damaged = try await ws.run(["fsck", "--json"])
        #expect(!damaged.succeeded)
        let damagedKinds = ((try JSONText.object(damaged.stdout))["problems"] as? [[String: Any]] ?? []).compactMap {
            $0["kind"] as? String
        }
        #expect(damagedKinds == ["bad_record"], "\(damaged)")
    }
}
