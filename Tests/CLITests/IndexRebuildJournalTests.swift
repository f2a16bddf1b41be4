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
            ["config", "author", "Bo Reviewer"], ["config", "retention_days", "7"], ["config", "model", "gemini-omni-1.1-flash"],
            ["config", "--unset", "model"], ["remote", "add", "spare", other.url], ["remote", "add", "gone", other.url],
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
        #expect(!rebuild.stdout.contains("lost") && !rebuild.stderr.contains("lost"), "nothing is reported lost: \(rebuild)")
        for (view, expected) in zip(views, before) {
            let after = try await remoteCheck(view, in: b, remote).stdout
            #expect(after == expected, "\(view.joined(separator: " ")) after the rebuild:\n\(after)\nbefore:\n\(expected)")
        }
        // The markers came back: the objects the clone never had are still
        // known to be on origin, and arrive on demand.
        let fetched = try await remoteCheck(["fetch-objects", "--all", "--json"], in: b, remote)
        #expect(try JSONText.object(fetched.stdout)["fetched"] as? Int == 2, "\(fetched)")
        try await expectFsckClean(b, remote)
    }

    @Test("a create killed before its reply is listed by status and resume as 'sent, no reply: may be billed' until dismissed, and a rebuild keeps the dismissal")
    func unansweredUntilDismissed() async throws {
        let world = try await GenerationWorld.make("rebuild-unanswered")
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        let process = try world.start(["generate", "a kite over dunes", "--resolution", "360p", "--duration", "3"], timeout: 120)
        try await world.waitForRequests(timeout: 30) { $0.isCreate }
        process.send(SIGKILL)
        _ = await process.wait()
        try await world.fake.release()

        // Only the journal knows: the kill came before any row was written.
        try Self.deleteIndex(world.ws.path)
        let rebuild = try await world.run(["fsck", "--rebuild-index"])
        #expect(rebuild.succeeded, "\(rebuild)")
        let status = try await world.check(["status"])
        #expect(status.stdout.contains("sent, no reply: may be billed") && status.stdout.contains("a kite over dunes"), "\(status)")
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
}
