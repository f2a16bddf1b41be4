import Foundation
import TestSupport
import Testing

/// A newer omnistore may add fields to turn records (a recipe hash, a review
/// link) and kinds this version has never heard of. An older client must
/// still pull such a turn, verify it against its id, keep it byte for byte,
/// build on it, and push it on unchanged (issue 13).
@Suite("Remote: turn records from a newer version")
struct RemoteNewerRecordTests {
    /// A record as a newer version would write it: unknown fields at the top,
    /// in the cost and in an input, and an unknown kind. Python's own
    /// serializer writes the canonical form (sorted keys, no spaces), so the
    /// bytes do not come from omnistore.
    static func newerRecord(parent: String, output: String, scratch: String) async throws -> Data {
        let script = """
            import json, sys
            record = {
                "parents": [sys.argv[1]], "kind": "storyboard", "instruction": "frame the hero shot",
                "inputs": [{"asset": sys.argv[2], "name": "board.wav", "role": "style"}],
                "output": sys.argv[2], "model": None, "interaction": None, "settings": {"panel": 3},
                "cost": {"usd": 0.5, "seconds": None, "basis": "user", "currency_note": "quoted in EUR"},
                "author": "Newer <newer@example.com>", "created_at": "2026-12-03T09:00:00.000Z",
                "recipe": "sha256:" + "c" * 64,
                "review": {"state": "approved", "by": ["ana", "bo"]},
            }
            sys.stdout.write(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
            """
        let result = try await Tool.check("python3", ["-c", script, parent, output], in: scratch)
        return result.stdoutData
    }

    @Test(
        "a record with unknown fields and kind is pulled, verified by sha256, built on, rebased and pushed on unchanged"
    )
    func unknownFieldsTravel() async throws {
        let dir = try TemporaryDirectory("remote-newer-record")
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let folder = try #require(remote.folder)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        let first = try await recordClip(a, seed: 1, message: "take 1", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "origin", "main"], in: a, remote)

        // A newer client's turn lands on the remote's main, as its push would leave it.
        let bytes = try await Self.newerRecord(parent: first.turn, output: first.output, scratch: dir.path)
        let recordPath = dir.file("newer-record.json")
        try bytes.write(to: URL(fileURLWithPath: recordPath))
        let newer = try #require(try await SHA256Sum.hashes([recordPath]).first)
        try bytes.write(to: URL(fileURLWithPath: folder + "/turns/" + newer))
        try (newer + "\n").write(toFile: folder + "/refs/heads/main", atomically: true, encoding: .utf8)

        // This version clones it, keeps every field, and shows the kind by its name.
        let b = dir.file("b")
        try await remoteCheck(["clone", remote.url, b], in: dir.path, remote)
        let log = try JSONText.array(try await remoteCheck(["log", "--json"], in: b, remote).stdout)
        let tip = try #require(log.first as? [String: Any])
        #expect(tip["id"] as? String == newer && tip["kind"] as? String == "storyboard", "\(tip)")
        let shown = try JSONText.object(try await remoteCheck(["show", newer, "--json"], in: b, remote).stdout)
        #expect((shown["review"] as? [String: Any])?["state"] as? String == "approved", "\(shown)")
        #expect(shown["recipe"] as? String == "sha256:" + String(repeating: "c", count: 64))
        #expect((shown["cost"] as? [String: Any])?["currency_note"] as? String == "quoted in EUR")
        #expect(((shown["inputs"] as? [[String: Any]])?.first)?["role"] as? String == "style")
        let human = try await remoteCheck(["show", newer], in: b, remote).stdout
        #expect(human.contains("storyboard"), "\(human)")
        try await expectFsckClean(b, remote)
        let kept = try #require(FileManager.default.contents(atPath: b + "/.omnistore/turns/" + newer))
        #expect(kept == bytes, "the local record file differs from the remote's bytes")

        // The index is rebuilt from the files with the same turn.
        for name in ["omnistore.db", "omnistore.db-wal", "omnistore.db-shm"] { unlink(b + "/.omnistore/" + name) }
        try await remoteCheck(["fsck", "--rebuild-index"], in: b, remote)
        let reshown = try JSONText.object(try await remoteCheck(["show", newer, "--json"], in: b, remote).stdout)
        #expect(NSDictionary(dictionary: reshown).isEqual(to: shown), "\(reshown)")

        // A turn of this version on top of it, pushed back: the newer record is untouched.
        let child = try await recordClip(b, seed: 2, message: "take 2", remote)
        try await remoteCheck(["push", "origin", "main"], in: b, remote)
        #expect(FileManager.default.contents(atPath: folder + "/turns/" + newer) == bytes)
        let secondFolder = dir.file("second/project.omni")
        try await remoteCheck(["remote", "add", "second", "file://" + secondFolder], in: b, remote)
        try await remoteCheck(["push", "second", "main"], in: b, remote)
        let pushed = secondFolder + "/turns/" + newer
        #expect(FileManager.default.contents(atPath: pushed) == bytes, "the pushed record is not the pulled one")
        #expect(try await SHA256Sum.hashes([pushed]) == [newer])
        let parents = try JSONText.object(try await remoteCheck(["show", child.turn, "--json"], in: b, remote).stdout)[
            "parents"]
        #expect(parents as? [String] == [newer])

        // Rebased onto another tip, the newer turn gets a new parent and keeps every other field.
        let c = dir.file("c")
        try await remoteCheck(["clone", remote.url, c], in: dir.path, remote)
        try await recordClip(a, seed: 3, message: "take 3 elsewhere", remote)
        try await remoteCheck(["push", "--force", "origin", "main"], in: a, remote)
        try await remoteCheck(["pull", "--rebase", "origin"], in: c, remote)
        let rebased = try JSONText.array(try await remoteCheck(["log", "--json"], in: c, remote).stdout)
            .compactMap { $0 as? [String: Any] }
        let replayed = try #require(rebased.first { $0["kind"] as? String == "storyboard" }?["id"] as? String)
        #expect(replayed != newer)
        let replayedShown = try JSONText.object(
            try await remoteCheck(["show", replayed, "--json"], in: c, remote).stdout)
        #expect(replayedShown["recipe"] as? String == shown["recipe"] as? String)
        #expect((replayedShown["review"] as? [String: Any])?["by"] as? [String] == ["ana", "bo"])
        try await expectFsckClean(c, remote)
    }
}
