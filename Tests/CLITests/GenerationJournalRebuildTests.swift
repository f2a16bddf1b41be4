import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Paid work is never only in the database (issue 19 §1 and §3): a create is
/// journaled before it is sent and a pending interaction when it is accepted,
/// so that a killed command followed by a lost index still knows what the API
/// may bill, and resume still lands the clip exactly once.
@Suite struct GenerationJournalRebuild {
    static func loseIndex(_ world: GenerationWorld) throws {
        for suffix in ["", "-wal", "-shm"] { unlink(world.ws.path + "/.omnistore/omnistore.db" + suffix) }
    }

    @Test(
        "SIGKILL while polling, the index deleted, fsck --rebuild-index: the interaction is pending again and resume lands it once"
    )
    func pendingSurvivesALostIndex() async throws {
        let world = try await GenerationWorld.make(
            "gen-journal-pending", fakeOptions: ["--polls-per-status", "100000"])
        let process = try world.start([
            "generate", "a red kite over dunes", "-b", "kite", "--resolution", "360p", "--duration", "3",
        ])
        let gets = try await world.waitForRequests(count: 2) {
            $0.method == "GET" && $0.path.hasPrefix("/v1/interactions/")
        }
        let id = String(gets[0].path.dropFirst("/v1/interactions/".count))
        process.send(SIGKILL)
        _ = await process.wait()
        // What the killed command left in .omnistore/tmp is reported by fsck (and gc removes it).
        let scratch = world.ws.path + "/.omnistore/tmp"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: scratch + "/download-left-by-a-kill.mp4"))
        let fsck = try await world.check(["fsck"])
        // (A kill during a poll may also leave that reply's spill file.)
        #expect(
            fsck.stdout.range(of: #"[12] file\(s\) in \.omnistore/tmp"#, options: .regularExpression) != nil, "\(fsck)")
        try Self.loseIndex(world)
        let refused = try await world.run(["resume", "--list"])
        #expect(!refused.succeeded && refused.stderr.contains("fsck --rebuild-index"), "\(refused)")

        let rebuilt = try await world.run(["fsck", "--rebuild-index", "--json"])
        #expect(rebuilt.succeeded, "\(rebuilt)")
        #expect(JSONNumbers.int(try JSONText.object(rebuilt.stdout)["pending"]) == 1, "\(rebuilt)")
        let pending = try await world.pending()
        #expect(pending.map { $0["interaction"] as? String } == [id], "\(pending)")

        try await world.fake.configure(["polls_per_status": 1])
        try await world.check(["resume"])
        let turns = try await world.allTurns()
        #expect(turns.filter { turnInteractionID($0) == id }.count == 1, "\(turns)")
        #expect(try await world.pending().isEmpty)
        #expect(try await world.fake.creates().count == 1, "resume must not create the interaction again")
    }

    @Test(
        "SIGKILL while the create is in flight, the index deleted: the rebuild keeps an attempt saying it may be billed"
    )
    func sentWithoutReplyIsKept() async throws {
        let world = try await GenerationWorld.make("gen-journal-sent")
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "interactions$"])
        let process = try world.start([
            "generate", "a paper lantern", "-b", "lantern", "--resolution", "360p", "--duration", "3",
        ])
        _ = try await world.waitForRequests { $0.isCreate }
        process.send(SIGKILL)
        _ = await process.wait()
        try await world.fake.release()
        try Self.loseIndex(world)
        let rebuilt = try await world.run(["fsck", "--rebuild-index"])
        #expect(rebuilt.succeeded, "\(rebuilt)")
        #expect(rebuilt.stdout.contains("1 request(s) were sent and got no reply"), "\(rebuilt)")
        let attempts = try await world.attempts()
        #expect(attempts.count == 1, "\(attempts)")
        #expect(attempts.first?["status"] as? String == "no_reply", "\(attempts)")
        #expect(attempts.first?["instruction"] as? String == "a paper lantern", "\(attempts)")
        #expect((attempts.first?["message"] as? String)?.contains("may be billed") == true, "\(attempts)")
    }
}
