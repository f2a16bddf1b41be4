import Foundation
import TestSupport
import Testing

/// The database is an index and the files are the truth (issue 19, section 1):
/// whatever happens to `omnistore.db`, no command recreates it silently, gc
/// deletes nothing, and `fsck --rebuild-index` brings back the same history,
/// assets and branches from the store's files.
@Suite struct IndexRebuild {
    enum Damage: String, CaseIterable, Sendable {
        case deleted, emptied, truncatedMidPage, indexPageOverwritten, tablePageOverwritten
    }

    /// A store with two turns (one with a reference), three branches (one
    /// renamed), HEAD on a side branch, and one asset no turn uses.
    static func makeStore(_ label: String) async throws -> CLIWorkspace {
        let ws = try await CLIWorkspace.make(label)
        _ = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        _ = try await Fixtures.copy(.png, into: ws.path)
        _ = try await Fixtures.copy(.movRotated90, into: ws.path)
        _ = try await Fixtures.copy(.wav, into: ws.path)
        for arguments in [
            ["add", Fixture.wav.fileName],
            ["record", Fixture.mp4H264AAC.fileName, "-m", "first"],
            ["record", Fixture.movRotated90.fileName, "-m", "second", "--ref", Fixture.png.fileName + ":logo"],
            ["branch", "alt", "HEAD~1"], ["branch", "-m", "alt", "alt2"], ["branch", "noir"], ["checkout", "alt2"],
        ] {
            let result = try await ws.run(arguments)
            #expect(result.succeeded, "\(result)")
        }
        return ws
    }

    static func views(_ ws: CLIWorkspace) async throws -> [String] {
        var out: [String] = []
        for arguments in [
            ["log", "--all", "--json"], ["assets", "--json"], ["branch", "--json"], ["status", "--json"],
        ] {
            let result = try await ws.run(arguments)
            #expect(result.succeeded, "\(String(describing: result).prefix(1500))")
            out.append(result.stdout)
        }
        return out
    }

    /// Damages the database file as the case says, with Python's sqlite3 to find pages.
    static func damage(_ damage: Damage, _ database: String) async throws {
        switch damage {
        case .deleted:
            try FileManager.default.removeItem(atPath: database)
        case .emptied:
            try Data().write(to: URL(fileURLWithPath: database))
        case .truncatedMidPage:
            let size = try #require(try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: database))
            try handle.truncate(atOffset: UInt64(size / 2 + 1000))
            try handle.close()
        case .indexPageOverwritten, .tablePageOverwritten:
            let name = damage == .indexPageOverwritten ? "turn_by_output" : "turn"
            let script = """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                page_size = db.execute('PRAGMA page_size').fetchone()[0]
                root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (sys.argv[2],)).fetchone()[0]
                db.close()
                with open(sys.argv[1], 'r+b') as f:
                    f.seek((root - 1) * page_size)
                    f.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))
                """
            try await Tool.check("python3", ["-c", script, database, name])
        }
    }

    @Test(
        "a lost or damaged index: every command refuses, gc deletes nothing, and the rebuild brings all back",
        arguments: Damage.allCases)
    func damagedIndexIsRebuilt(_ damage: Damage) async throws {
        let ws = try await Self.makeStore("rebuild-\(damage.rawValue)")
        let before = try await Self.views(ws)
        let objects = ws.files.objectIDs()
        #expect(objects.count == 4)
        let database = ws.file(".omnistore/omnistore.db")
        #expect(!FileManager.default.fileExists(atPath: database + "-wal") || true)
        try await Self.damage(damage, database)

        let fsck = try await ws.run(["fsck"])
        #expect(fsck.failedCleanly, "\(fsck)")
        #expect(fsck.stdout.contains("rebuild-index") || fsck.stderr.contains("rebuild-index"), "\(fsck)")
        let gc = try await ws.run(["gc", "--prune=now"])
        #expect(ws.files.objectIDs() == objects, "gc deleted objects: \(gc)")
        if damage == .deleted || damage == .emptied || damage == .truncatedMidPage {
            for arguments in [["log"], ["status"], ["init"], ["add", Fixture.wav.fileName]] {
                let result = try await ws.run(arguments)
                #expect(result.failedCleanly, "\(arguments): \(result)")
                #expect(
                    result.stderrLines.count == 1 && result.stderr.contains("omnistore fsck --rebuild-index"),
                    "\(result)")
            }
        }

        let rebuild = try await ws.run(["fsck", "--rebuild-index"])
        #expect(rebuild.succeeded, "\(rebuild)")
        let after = try await Self.views(ws)
        #expect(after == before, "\(rebuild.stdout.prefix(2000))")
        #expect(try await ws.run(["fsck"]).succeeded)
        let reflog = try await ws.run(["reflog", "alt2"])
        #expect(reflog.stdout.contains("renamed refs/heads/alt to refs/heads/alt2"), "\(reflog)")
    }

    @Test(
        "records are files from the first write: turns/, asset packs and the ref journal, each checked against its name"
    )
    func recordFilesAreWritten() async throws {
        let ws = try await Self.makeStore("rebuild-files")
        let store = ws.file(".omnistore")
        let turns = try FileManager.default.contentsOfDirectory(atPath: store + "/turns").sorted()
        let logIDs = try
            (JSONText.parse(try await ws.run(["log", "--all", "--json"]).stdout) as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String }.sorted()
        #expect(turns == logIDs && turns.count == 2)
        for id in turns {
            #expect(try await SHA256Sum.hash(store + "/turns/" + id) == id, "turn file \(id) hashes to its name")
        }
        for pack in try FileManager.default.contentsOfDirectory(atPath: store + "/assets") {
            #expect(try await SHA256Sum.hash(store + "/assets/" + pack) == pack)
        }
        let journal = try String(contentsOfFile: store + "/refs.journal", encoding: .utf8)
        #expect(journal.hasSuffix("\n"))
        for line in journal.split(separator: "\n") { _ = try JSONText.object(String(line)) }
    }

    @Test("a store made before record files existed gets them on first open, and can then be rebuilt")
    func olderStoreIsBackfilled() async throws {
        let ws = try await Self.makeStore("rebuild-backfill")
        #expect(try await ws.run(["config", "author", "Ana Editor"]).succeeded)
        let before = try await Self.views(ws)
        let settings = try await ws.run(["config", "--list", "--json"]).stdout
        let store = ws.file(".omnistore")
        for name in ["turns", "assets", "refs.journal"] {
            try FileManager.default.removeItem(atPath: store + "/" + name)
        }
        // And the index as such a store had it: without the journal's size (schema v11).
        try await Tool.check(
            "sqlite3",
            [
                store + "/omnistore.db",
                "DROP TABLE journal_state; DELETE FROM grdb_migrations WHERE identifier = 'v11-journal-state';",
            ])
        #expect(try await ws.run(["log"]).succeeded, "the first open writes the files")
        #expect(FileManager.default.fileExists(atPath: store + "/refs.journal"))
        try FileManager.default.removeItem(atPath: store + "/omnistore.db")
        #expect(try await ws.run(["fsck", "--rebuild-index"]).succeeded)
        let after = try await Self.views(ws)
        // The paths' touch times are the only thing a snapshot cannot know; every view above is the same.
        #expect(after == before, "the views differ after a backfill and rebuild")
        #expect(try await ws.run(["config", "--list", "--json"]).stdout == settings, "settings come back too")
    }
}
