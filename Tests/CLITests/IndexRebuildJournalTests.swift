import Foundation
import TestSupport
import Testing

/// Settings, remotes, lazy-object markers and the dismissal of unanswered
/// requests live in the journal as well as in the index, so a lost
/// `omnistore.db` takes none of them with it.
@Suite struct IndexRebuildJournal {
    static func deleteIndex(_ workspace: String) throws {
        for suffix in ["", "-wal", "-shm"] {
            let path = workspace + "/.omnistore/omnistore.db" + suffix
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        }
    }

    @Test("after the index is lost, the rebuild brings back settings, remotes and a lazy clone's missing objects")
    func settingsRemotesAndLazyMarkers() async throws {
        let dir = try TemporaryDirectory("rebuild-settings")
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let other = try await RemoteFixtures.make(.folder, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        for seed in 1...2 { _ = try await recordClip(a, seed: seed, message: "take \(seed)", remote) }
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "origin", "main"], in: a, remote)

        let b = dir.file("b")
        try await remoteCheck(["clone", "--lazy", remote.url, b], in: dir.path, remote)
        for arguments in [
            ["config", "author", "Bo Reviewer"], ["config", "retention_days", "7"],
            ["config", "model", "gemini-omni-1.1-flash"],
            ["config", "--unset", "model"], ["remote", "add", "spare", other.url],
            ["remote", "add", "gone", other.url],
            ["remote", "remove", "gone"],
        ] {
            try await remoteCheck(arguments, in: b, remote)
        }
        let views = [["config", "--list", "--json"], ["remote", "-v", "--json"], ["log", "--all", "--json"]]
        var before: [String] = []
        for view in views { before.append(try await remoteCheck(view, in: b, remote).stdout) }

        try Self.deleteIndex(b)
        let rebuild = try await remoteRun(["fsck", "--rebuild-index"], in: b, remote)
        #expect(rebuild.succeeded, "\(rebuild)")
        #expect(
            !rebuild.stdout.contains("lost") && !rebuild.stderr.contains("lost"), "nothing is reported lost: \(rebuild)"
        )
        for (view, expected) in zip(views, before) {
            let after = try await remoteCheck(view, in: b, remote).stdout
            #expect(
                after == expected, "\(view.joined(separator: " ")) after the rebuild:\n\(after)\nbefore:\n\(expected)")
        }
        // The markers came back: the objects the clone never had are still
        // known to be on origin, and arrive on demand.
        let fetched = try await remoteCheck(["fetch-objects", "--all", "--json"], in: b, remote)
        #expect(try JSONText.object(fetched.stdout)["fetched"] as? Int == 2, "\(fetched)")
        try await expectFsckClean(b, remote)
    }

    @Test(
        "a create killed before its reply is listed by status and resume as 'sent, no reply: may be billed' until dismissed, and a rebuild keeps the dismissal"
    )
    func unansweredUntilDismissed() async throws {
        let world = try await GenerationWorld.make("rebuild-unanswered")
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        let process = try world.start(
            ["generate", "a kite over dunes", "--resolution", "360p", "--duration", "3"], timeout: 120)
        try await world.waitForRequests(timeout: 30) { $0.isCreate }
        process.send(SIGKILL)
        _ = await process.wait()
        try await world.fake.release()

        // Only the journal knows: the kill came before any row was written.
        // gc's compaction of the journal must carry the line over.
        try await world.check(["gc"])
        try Self.deleteIndex(world.ws.path)
        let rebuild = try await world.run(["fsck", "--rebuild-index"])
        #expect(rebuild.succeeded, "\(rebuild)")
        let status = try await world.check(["status"])
        #expect(
            status.stdout.contains("sent, no reply: may be billed") && status.stdout.contains("a kite over dunes"),
            "\(status)")
        let listed = try await world.check(["resume", "--list"])
        #expect(listed.stdout.contains("sent, no reply (may be billed)"), "\(listed)")
        let statusJSON = try await world.object(["status"])
        #expect((statusJSON["unanswered_requests"] as? [Any])?.count == 1, "\(statusJSON)")

        let dismissed = try await world.check(["resume", "--dismiss-unanswered"])
        #expect(dismissed.stdout.contains("dismissed 1"), "\(dismissed)")
        #expect(!(try await world.check(["status"]).stdout.contains("no reply")))

        try Self.deleteIndex(world.ws.path)
        try await world.check(["fsck", "--rebuild-index"])
        #expect(!(try await world.check(["status"]).stdout.contains("no reply")), "the dismissal survives a rebuild")
        let attempts = try await world.attempts()
        #expect(attempts.map { $0["status"] as? String } == ["no_reply_dismissed"], "\(attempts)")
    }

    @Test(
        "gc compacts the ref journal into a snapshot, and a rebuild from it gives the same history, branches, settings and reflog"
    )
    func gcCompactsTheJournal() async throws {
        let ws = try await IndexRebuild.makeStore("rebuild-compact")
        for index in 0..<30 {
            try await OmnistoreCLI.check(["branch", "scratch-\(index)"], in: ws.path)
            try await OmnistoreCLI.check(["branch", "-D", "scratch-\(index)"], in: ws.path)
            try await OmnistoreCLI.check(["config", "author", "Editor \(index)"], in: ws.path)
        }
        let extra = [["config", "--list", "--json"], ["reflog", "--json"], ["reflog", "alt2", "--json"]]
        var before = try await IndexRebuild.views(ws)
        for view in extra { before.append(try await OmnistoreCLI.check(view, in: ws.path).stdout) }

        let gc = try JSONText.object(try await OmnistoreCLI.check(["gc", "--json"], in: ws.path).stdout)
        let journalBefore = try #require(gc["journal_bytes_before"] as? Int)
        let journalAfter = try #require(gc["journal_bytes_after"] as? Int)
        // The reflog is kept whole (it is history); superseded ref and setting lines go.
        #expect(journalAfter < journalBefore, "compacted from \(journalBefore) to \(journalAfter) bytes")
        try await OmnistoreCLI.check(["fsck"], in: ws.path)

        try Self.deleteIndex(ws.path)
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: ws.path)
        var after = try await IndexRebuild.views(ws)
        for view in extra { after.append(try await OmnistoreCLI.check(view, in: ws.path).stdout) }
        for (index, (old, new)) in zip(before, after).enumerated() {
            #expect(old == new, "view \(index) differs after gc and a rebuild:\n\(new)\nwas:\n\(old)")
        }
        // The snapshot goes on growing as a journal.
        try await OmnistoreCLI.check(["branch", "later"], in: ws.path)
        try Self.deleteIndex(ws.path)
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: ws.path)
        #expect(try await OmnistoreCLI.check(["branch"], in: ws.path).stdout.contains("later"))
    }

    @Test(
        "a journal tail written by a transaction that never committed is cut off by the next write, so a rebuild never replays it"
    )
    func uncommittedTailIsCutOff() async throws {
        let ws = try await IndexRebuild.makeStore("rebuild-tail")
        let head = try await OmnistoreCLI.check(["rev-parse", "HEAD"], in: ws.path).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        // What a writer killed between its journal append and its commit leaves.
        let journal = ws.path + "/.omnistore/refs.journal"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"name":"refs/heads/ghost","op":"ref","target":"\#(head)"}"#.utf8 + [0x0A]))
        try handle.close()

        try await OmnistoreCLI.check(["branch", "real"], in: ws.path)
        let text = try String(contentsOfFile: journal, encoding: .utf8)
        #expect(!text.contains("ghost"), "the uncommitted line is gone")
        #expect(text.contains("refs/heads/real"))

        try Self.deleteIndex(ws.path)
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: ws.path)
        let branches = try await OmnistoreCLI.check(["branch"], in: ws.path).stdout
        #expect(!branches.contains("ghost") && branches.contains("real"), "\(branches)")
    }
}
