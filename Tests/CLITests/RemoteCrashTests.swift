import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Remote sync under kill -9")
struct RemoteCrashTests {
    @Test(
        "killing push or pull halfway leaves both sides consistent, and running it again completes",
        arguments: RemoteFixtures.Kind.allCases)
    func killHalfway(_ kind: RemoteFixtures.Kind) async throws {
        let dir = try TemporaryDirectory("remote-kill")
        let remote = try await RemoteFixtures.make(kind, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        // One object large enough for multipart on S3, and several small ones.
        let big = try RemoteFixtures.bigWAV(at: dir.file("big.wav"), megabytes: 72)
        let bigTurn = try JSONText.object(
            try await remoteCheck(["record", big, "-m", "big", "--json"], in: a, remote).stdout)
        let bigOutput = try #require(bigTurn["output"] as? String)
        for seed in 1...6 { try await recordClip(a, seed: 500 + seed, message: "small \(seed)", remote) }
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)

        // Push, killed at a few points.
        for delay in [150, 400] {
            let push = try OmnistoreCLI.start(["push"], in: a, environment: remote.environment)
            try await Task.sleep(nanoseconds: UInt64(delay) * 1_000_000)
            push.send(SIGKILL)
            _ = await push.wait()
            try await expectFsckClean(a, remote)
            let problems = try await RebuildOracle.rebuildAndCompare(a, environment: remote.environment)
            #expect(problems.isEmpty, "after a killed push: \(problems.joined(separator: "\n"))")
            try await expectRemoteConsistent(remote, dir: dir, label: "after-push-\(delay)")
        }
        try await remoteCheck(["push"], in: a, remote)
        let expected = try await allTurns(a, remote)

        // Pull into an empty store, killed at a few points.
        let b = try dir.makeDirectory("b")
        try await remoteCheck(["init"], in: b, remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: b, remote)
        for delay in [150, 400] {
            let pull = try OmnistoreCLI.start(["pull"], in: b, environment: remote.environment)
            try await Task.sleep(nanoseconds: UInt64(delay) * 1_000_000)
            pull.send(SIGKILL)
            _ = await pull.wait()
            try await expectFsckClean(b, remote)
            let problems = try await RebuildOracle.rebuildAndCompare(b, environment: remote.environment)
            #expect(problems.isEmpty, "after a killed pull: \(problems.joined(separator: "\n"))")
        }
        try await remoteCheck(["pull"], in: b, remote)
        try await expectFsckClean(b, remote)
        #expect(try await allTurns(b, remote) == expected)
        try await remoteCheck(["export", bigOutput, "-o", dir.file("big-copy.wav")], in: b, remote)
        #expect(fileBytes(dir.file("big-copy.wav")) == fileBytes(big))
    }

    /// A remote is consistent when every branch on it can be cloned whole
    /// (and fsck finds the clone clean), whatever was interrupted.
    private func expectRemoteConsistent(_ remote: RemoteFixtures.Remote, dir: TemporaryDirectory, label: String)
        async throws
    {
        // Killed before it made the folder: there is nothing to be inconsistent.
        if let folder = remote.folder, !fileExists(folder) { return }
        let target = dir.file("check-\(label)")
        let clone = try await remoteRun(["clone", remote.url, target], in: dir.path, remote)
        #expect(clone.succeeded, "the remote cannot be cloned after an interrupted push:\n\(clone)")
        if clone.succeeded { try await expectFsckClean(target, remote) }
    }
}
