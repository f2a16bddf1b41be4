import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs omnistore with a remote's environment, requiring success.
@discardableResult
func remoteCheck(_ arguments: [String], in directory: String, _ remote: RemoteFixtures.Remote) async throws
    -> ProcessResult
{
    let result = try await OmnistoreCLI.run(arguments, in: directory, environment: remote.environment)
    guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
    try expectNoSecrets(result)
    return result
}

func remoteRun(_ arguments: [String], in directory: String, _ remote: RemoteFixtures.Remote) async throws
    -> ProcessResult
{
    let result = try await OmnistoreCLI.run(arguments, in: directory, environment: remote.environment)
    try expectNoSecrets(result)
    return result
}

/// Credentials must never reach output.
func expectNoSecrets(_ result: ProcessResult) throws {
    for marker in [RemoteServer.secretMarker, RemoteServer.tokenMarker] {
        #expect(
            !result.stdout.contains(marker) && !result.stderr.contains(marker), "a credential was printed:\n\(result)")
    }
}

/// Records a WAV clip as a new turn and returns the turn and output ids.
@discardableResult
func recordClip(_ workspace: String, seed: Int, message: String, _ remote: RemoteFixtures.Remote) async throws -> (
    turn: String, output: String
) {
    let clip = workspace + "/../clip-\(seed)-\(UUID().uuidString.prefix(6)).wav"
    try WAV.data(seed: seed, sampleCount: 4000).write(to: URL(fileURLWithPath: clip))
    let result = try await remoteCheck(["record", clip, "-m", message, "--json"], in: workspace, remote)
    let json = try JSONText.object(result.stdout)
    return (json["id"] as? String ?? "", json["output"] as? String ?? "")
}

/// Turn ids `log --all` lists, in order.
func allTurns(_ workspace: String, _ remote: RemoteFixtures.Remote) async throws -> [String] {
    let result = try await remoteCheck(["log", "--all", "--json"], in: workspace, remote)
    return try JSONText.array(result.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String }
}

func branchTip(_ workspace: String, _ name: String, _ remote: RemoteFixtures.Remote) async throws -> String? {
    let result = try await remoteCheck(["branch", "-a", "--json"], in: workspace, remote)
    return try JSONText.array(result.stdout).compactMap { $0 as? [String: Any] }.first {
        $0["name"] as? String == name
    }?["turn"]
        as? String
}

func expectFsckClean(
    _ workspace: String, _ remote: RemoteFixtures.Remote, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let result = try await remoteRun(["fsck"], in: workspace, remote)
    #expect(result.succeeded, "fsck is not clean:\n\(result)", sourceLocation: sourceLocation)
}

@Suite("Remote sync")
struct RemoteSyncTests {
    @Test(
        "push sends only what is missing; clone and pull rebuild the same graph with the same bytes",
        arguments: RemoteFixtures.Kind.allCases)
    func roundTrip(_ kind: RemoteFixtures.Kind) async throws {
        let dir = try TemporaryDirectory("remote-roundtrip")
        let remote = try await RemoteFixtures.make(kind, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        var outputs: [String] = []
        for seed in 1...3 {
            outputs.append(try await recordClip(a, seed: seed, message: "take \(seed)", remote).output)
        }
        try await remoteCheck(["branch", "noir", "HEAD~1"], in: a, remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        let listed = try await remoteCheck(["remote", "-v"], in: a, remote)
        #expect(listed.stdout.contains("origin\t\(remote.url)"))

        let first = try JSONText.object(
            try await remoteCheck(["push", "origin", "main", "noir", "--json"], in: a, remote).stdout)
        #expect(first["objects"] as? Int == 3)
        #expect(first["turns"] as? Int == 3)
        let branches = try await remoteCheck(["branch", "-a"], in: a, remote)
        #expect(
            branches.stdoutLines.contains("  remotes/origin/main")
                && branches.stdoutLines.contains("  remotes/origin/noir"))

        // Nothing new: nothing sent.
        let again = try JSONText.object(try await remoteCheck(["push", "--json"], in: a, remote).stdout)
        #expect(again["objects"] as? Int == 0 && again["turns"] as? Int == 0)
        #expect((again["branches"] as? [[String: Any]])?.first?["outcome"] as? String == "up_to_date")

        let b = dir.file("b")
        try await remoteCheck(["clone", remote.url, b], in: dir.path, remote)
        #expect(try await allTurns(b, remote) == allTurns(a, remote))
        try await expectFsckClean(b, remote)
        try await remoteCheck(["export", outputs[1], "-o", dir.file("out.wav")], in: b, remote)
        let original = try await remoteCheck(["export", outputs[1], "-o", "-"], in: a, remote)
        #expect(fileBytes(dir.file("out.wav")) == original.stdoutData)

        // One new turn on main: exactly one object and one turn travel.
        let newer = try await recordClip(a, seed: 9, message: "take 9", remote)
        let second = try JSONText.object(try await remoteCheck(["push", "--json"], in: a, remote).stdout)
        #expect(second["objects"] as? Int == 1 && second["turns"] as? Int == 1)
        let pulled = try JSONText.object(try await remoteCheck(["pull", "--json"], in: b, remote).stdout)
        #expect(pulled["objects"] as? Int == 1 && pulled["turns"] as? Int == 1)
        #expect(try await branchTip(b, "main", remote) == newer.turn)
        #expect(try await branchTip(b, "origin/main", remote) == newer.turn)
        try await expectFsckClean(b, remote)
        // log --all reaches remote-tracking refs.
        #expect(try await allTurns(b, remote).contains(newer.turn))
    }

    @Test(
        "two stores push one branch at once: one wins, the other is refused, pulls, and then lands",
        arguments: RemoteFixtures.Kind.allCases)
    func concurrentPush(_ kind: RemoteFixtures.Kind) async throws {
        let dir = try TemporaryDirectory("remote-race")
        let remote = try await RemoteFixtures.make(kind, in: dir)
        let seedStore = try dir.makeDirectory("seed")
        try await remoteCheck(["init"], in: seedStore, remote)
        try await recordClip(seedStore, seed: 100, message: "base", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: seedStore, remote)
        try await remoteCheck(["push"], in: seedStore, remote)
        let b = dir.file("b")
        let c = dir.file("c")
        try await remoteCheck(["clone", remote.url, b], in: dir.path, remote)
        try await remoteCheck(["clone", remote.url, c], in: dir.path, remote)
        let fromB = try await recordClip(b, seed: 201, message: "b's take", remote)
        let fromC = try await recordClip(c, seed: 301, message: "c's take", remote)

        let pushB = try OmnistoreCLI.start(["push"], in: b, environment: remote.environment)
        let pushC = try OmnistoreCLI.start(["push"], in: c, environment: remote.environment)
        let (resultB, resultC) = (await pushB.wait(), await pushC.wait())
        #expect([resultB, resultC].filter(\.succeeded).count == 1, "\(resultB)\n\(resultC)")
        let (winner, loser, winnerTake, loserTake) = resultB.succeeded ? (b, c, fromB, fromC) : (c, b, fromC, fromB)
        let lost = resultB.succeeded ? resultC : resultB
        #expect(lost.failedCleanly && lost.stderr.contains("pull"), "\(lost)")
        _ = winner

        // A plain pull stores the winner's turns but does not move the diverged branch.
        let pull = try await remoteRun(["pull"], in: loser, remote)
        #expect(pull.failedCleanly && pull.stderr.contains("diverged"), "\(pull)")
        #expect(try await branchTip(loser, "main", remote) == loserTake.turn)
        #expect(try await branchTip(loser, "origin/main", remote) == winnerTake.turn)
        // Pushing again is still refused, and says to pull.
        let refused = try await remoteRun(["push"], in: loser, remote)
        #expect(refused.failedCleanly && refused.stderr.contains("pull"), "\(refused)")

        try await remoteCheck(["pull", "--rebase"], in: loser, remote)
        try await remoteCheck(["push"], in: loser, remote)
        let d = dir.file("d")
        try await remoteCheck(["clone", remote.url, d], in: dir.path, remote)
        let log = try JSONText.array(try await remoteCheck(["log", "main", "--json"], in: d, remote).stdout)
        let outputs = log.compactMap { ($0 as? [String: Any])?["output"] as? String }
        #expect(outputs.count == 3)
        #expect(outputs.contains(winnerTake.output) && outputs.contains(loserTake.output))
        try await expectFsckClean(d, remote)
    }

    @Test("a non-fast-forward push is refused; --force overwrites and says what it replaced")
    func forcePush() async throws {
        let dir = try TemporaryDirectory("remote-force")
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        let base = try await recordClip(a, seed: 1, message: "one", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        let pushedTip = try await recordClip(a, seed: 2, message: "two", remote)
        try await remoteCheck(["push"], in: a, remote)
        try await remoteCheck(["checkout", base.turn, "-b", "redo"], in: a, remote)
        try await remoteCheck(["branch", "-D", "main"], in: a, remote)
        try await remoteCheck(["branch", "main", base.turn], in: a, remote)
        try await remoteCheck(["checkout", "main"], in: a, remote)
        try await recordClip(a, seed: 3, message: "three", remote)
        let refused = try await remoteRun(["push"], in: a, remote)
        #expect(
            refused.failedCleanly && refused.stderr.contains("rejected") && refused.stderr.contains("pull"),
            "\(refused)")
        let forced = try await remoteCheck(["push", "--force"], in: a, remote)
        #expect(
            forced.stderr.contains("forced update") && forced.stderr.contains(String(pushedTip.turn.prefix(12))),
            "\(forced)")
    }

    @Test(
        "a lazy clone fetches bytes only when needed, and exports the right ones",
        arguments: RemoteFixtures.Kind.allCases)
    func lazyClone(_ kind: RemoteFixtures.Kind) async throws {
        let dir = try TemporaryDirectory("remote-lazy")
        let remote = try await RemoteFixtures.make(kind, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        var takes: [(turn: String, output: String)] = []
        for seed in 1...3 { takes.append(try await recordClip(a, seed: 40 + seed, message: "take \(seed)", remote)) }
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push"], in: a, remote)

        let b = dir.file("b")
        let cloned = try JSONText.object(
            try await remoteCheck(["clone", "--lazy", remote.url, b, "--json"], in: dir.path, remote).stdout)
        #expect(cloned["lazy_objects"] as? Int == 3 && cloned["objects"] as? Int == 0)
        #expect(StoreFiles(workspace: b).objectIDs().isEmpty)
        try await expectFsckClean(b, remote)
        #expect(try await OmnistoreCLI.assetIDs(in: b).count == 3)

        try await remoteCheck(["export", takes[0].output, "-o", dir.file("first.wav")], in: b, remote)
        let original = try await remoteCheck(["export", takes[0].output, "-o", "-"], in: a, remote)
        #expect(fileBytes(dir.file("first.wav")) == original.stdoutData)
        #expect(StoreFiles(workspace: b).objectIDs() == [takes[0].output])

        try await remoteCheck(["checkout", "main"], in: b, remote)
        #expect(StoreFiles(workspace: b).objectIDs() == Set([takes[0].output, takes[2].output]))
        try await remoteCheck(["fetch-objects", "HEAD~1"], in: b, remote)
        #expect(StoreFiles(workspace: b).objectIDs().count == 3)
        try await expectFsckClean(b, remote)

        // Later pulls stay lazy.
        let newer = try await recordClip(a, seed: 50, message: "take 4", remote)
        try await remoteCheck(["push"], in: a, remote)
        try await remoteCheck(["checkout", takes[0].turn], in: b, remote)
        let pulled = try JSONText.object(try await remoteCheck(["pull", "--json"], in: b, remote).stdout)
        #expect(pulled["lazy_objects"] as? Int == 1 && pulled["objects"] as? Int == 0)
        #expect(!StoreFiles(workspace: b).objectIDs().contains(newer.output))
        try await expectFsckClean(b, remote)
    }

    @Test("corrupted bytes on the remote are detected and refused", arguments: RemoteFixtures.Kind.allCases)
    func corruptRemote(_ kind: RemoteFixtures.Kind) async throws {
        let dir = try TemporaryDirectory("remote-corrupt")
        let remote = try await RemoteFixtures.make(kind, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        let take = try await recordClip(a, seed: 7, message: "take", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push"], in: a, remote)
        try await remote.corruptObject(take.output)

        let clone = try await remoteRun(["clone", remote.url, dir.file("b")], in: dir.path, remote)
        #expect(clone.failedCleanly && clone.stderr.contains("corrupt"), "\(clone)")
        #expect(!fileExists(dir.file("b")))

        let lazy = dir.file("lazy")
        try await remoteCheck(["clone", "--lazy", remote.url, lazy], in: dir.path, remote)
        let export = try await remoteRun(["export", take.output, "-o", dir.file("out.wav")], in: lazy, remote)
        #expect(export.failedCleanly && export.stderr.contains("corrupt"), "\(export)")
        #expect(!fileExists(dir.file("out.wav")))
        #expect(StoreFiles(workspace: lazy).objectIDs().isEmpty)
        try await expectFsckClean(lazy, remote)
    }

    @Test(
        "remote add checks names and URLs; remove drops the tracking branches, but not while a lazy clone needs the remote"
    )
    func remoteManagement() async throws {
        let dir = try TemporaryDirectory("remote-manage")
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        for (arguments, text) in [
            (["remote", "add", "nas", "ftp://host/x"], "not a remote URL"),
            (["remote", "add", "bad/name", remote.url], "not a valid remote name"),
            (["remote", "add", "s3", "s3://Bad_Bucket/x"], "not an S3 bucket name"),
            (["push"], "no remote"),
        ] {
            let result = try await remoteRun(arguments, in: a, remote)
            #expect(result.failedCleanly && result.stderr.contains(text), "\(result)")
        }
        try await recordClip(a, seed: 60, message: "take", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        let twice = try await remoteRun(["remote", "add", "origin", remote.url], in: a, remote)
        #expect(twice.failedCleanly && twice.stderr.contains("already exists"), "\(twice)")
        try await remoteCheck(["push"], in: a, remote)
        #expect(try await branchTip(a, "origin/main", remote) != nil)
        try await remoteCheck(["remote", "remove", "origin"], in: a, remote)
        #expect(try await branchTip(a, "origin/main", remote) == nil)
        #expect(try await remoteCheck(["remote"], in: a, remote).stdout.isEmpty)

        let lazy = dir.file("lazy")
        try await remoteCheck(["clone", "--lazy", remote.url, lazy], in: dir.path, remote)
        let refused = try await remoteRun(["remote", "remove", "origin"], in: lazy, remote)
        #expect(refused.failedCleanly && refused.stderr.contains("fetch-objects --all"), "\(refused)")
        try await remoteCheck(["fetch-objects", "--all"], in: lazy, remote)
        try await remoteCheck(["remote", "remove", "origin"], in: lazy, remote)
        try await expectFsckClean(lazy, remote)
    }

    @Test("credentials never reach output, errors or the store")
    func secretsStayOut() async throws {
        let dir = try TemporaryDirectory("remote-secrets")
        let remote = try await RemoteFixtures.make(.s3, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        try await recordClip(a, seed: 5, message: "take", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "--json"], in: a, remote)
        try await remoteCheck(["remote", "-v", "--json"], in: a, remote)
        // A server that is not there: the error names the problem, not the keys.
        var unreachable = remote.environment
        unreachable["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
        let failed = try await OmnistoreCLI.run(["push"], in: a, environment: unreachable, timeout: 120)
        #expect(failed.failedCleanly && failed.stderr.contains("error:"), "\(failed)")
        try expectNoSecrets(failed)
        // Missing keys: the error says which variables to set.
        let missing = try await OmnistoreCLI.run(
            ["pull"], in: a, environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""])
        #expect(missing.failedCleanly && missing.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(missing)")
        for file in (try? FileManager.default.subpathsOfDirectory(atPath: a + "/.omnistore")) ?? [] {
            guard let bytes = fileBytes(a + "/.omnistore/" + file) else { continue }
            for marker in [RemoteServer.secretMarker, RemoteServer.tokenMarker] {
                #expect(bytes.range(of: Data(marker.utf8)) == nil, "\(file) holds a credential")
            }
        }
    }
}
