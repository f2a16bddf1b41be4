import Foundation
import TestSupport
import Testing

/// A workspace with two turns on main: A (a.wav) then B (b.wav).
struct GraphCheckoutWorkspace {
    let dir: TemporaryDirectory
    let a: String
    let b: String
    let aOutput: String
    let bOutput: String
    var path: String { dir.path }

    static func make(_ label: String) async throws -> GraphCheckoutWorkspace {
        let dir = try TemporaryDirectory(label)
        try await OmnistoreCLI.check(["init"], in: dir.path)
        let clipA = try dir.write(WAV.data(seed: 801, sampleCount: 300), to: "src/a.wav")
        let clipB = try dir.write(WAV.data(seed: 802, sampleCount: 300), to: "src/b.wav")
        var ids: [String] = []
        for (clip, message) in [(clipA, "A"), (clipB, "B")] {
            let result = try await OmnistoreCLI.check(["record", clip, "-m", message, "--json"], in: dir.path)
            ids.append(try JSONText.object(result.stdout)["id"] as? String ?? "?")
        }
        let hashes = try await SHA256Sum.hashes([clipA, clipB])
        return GraphCheckoutWorkspace(dir: dir, a: ids[0], b: ids[1], aOutput: hashes[0], bOutput: hashes[1])
    }

    func run(_ arguments: [String]) async throws -> ProcessResult {
        try await OmnistoreCLI.run(arguments, in: dir.path)
    }

    func status() async throws -> [String: Any] {
        let result = try await OmnistoreCLI.check(["status", "--json"], in: dir.path)
        return try JSONText.object(result.stdout)
    }

    func workfile() async throws -> (path: String, state: String, sha256: String?) {
        let workfile = try await status()["workfile"] as? [String: Any] ?? [:]
        return (workfile["path"] as? String ?? "?", workfile["state"] as? String ?? "?", workfile["sha256"] as? String)
    }
}

@Suite struct GraphCheckout {
    @Test("checkout refuses to overwrite an unrecorded working file, and --force overwrites it")
    func refusesUnrecorded() async throws {
        let ws = try await GraphCheckoutWorkspace.make("graph-checkout-refuse")
        let (path, state, _) = try await ws.workfile()
        #expect(state == "matches HEAD")
        #expect(try await SHA256Sum.hash(path) == ws.bOutput)

        // Unrecorded bytes in the working file.
        let edited = WAV.data(seed: 899, sampleCount: 300)
        try edited.write(to: URL(fileURLWithPath: path))
        #expect(try await ws.workfile().state == "modified, not recorded")
        let human = try await ws.run(["status"])
        #expect(human.succeeded && human.stdout.contains("modified, not recorded"), "\(human)")

        for arguments in [["checkout", "HEAD~1"], ["checkout", "-b", "side", "HEAD~1"], ["checkout", "main"]] {
            let refused = try await ws.run(arguments)
            #expect(refused.exitCode == 1 && !refused.signaled, "\(arguments):\n\(refused)")
            #expect(refused.stderr.contains("--force") && refused.stderrLines.count == 1, "\(refused)")
            #expect(fileBytes(path) == edited, "\(arguments) must not touch the working file")
            let status = try await ws.status()
            #expect(status["head"] as? String == ws.b && status["branch"] as? String == "main", "HEAD did not move")
        }
        let branches = try JSONText.parse(try await ws.run(["branch", "--json"]).stdout) as? [[String: Any]] ?? []
        #expect(branches.compactMap { $0["name"] as? String } == ["main"], "a refused checkout -b creates no branch")

        let forced = try await ws.run(["checkout", "HEAD~1", "--force"])
        #expect(forced.succeeded, "\(forced)")
        #expect(try await SHA256Sum.hash(path) == ws.aOutput)
        let status = try await ws.status()
        #expect(status["head"] as? String == ws.a && status["detached"] as? Bool == true)
        #expect(try await ws.workfile().state == "matches HEAD")
    }

    @Test("a working file holding another stored clip is safe to replace without --force")
    func storedIsSafe() async throws {
        let ws = try await GraphCheckoutWorkspace.make("graph-checkout-stored")
        let path = try await ws.workfile().path
        try fileBytes(ws.dir.file("src/a.wav"))!.write(to: URL(fileURLWithPath: path))
        let (_, state, sha) = try await ws.workfile()
        #expect(state == "differs from HEAD, stored")
        #expect(sha == ws.aOutput)
        let result = try await ws.run(["checkout", "main"])
        #expect(result.succeeded, "\(result)")
        #expect(try await SHA256Sum.hash(path) == ws.bOutput)
    }

    @Test("checkout of a branch writes a byte-identical copy, never a hard link to the object")
    func byteIdenticalCopy() async throws {
        let ws = try await GraphCheckoutWorkspace.make("graph-checkout-copy")
        #expect(try await ws.run(["branch", "alt", ws.a]).succeeded)
        let result = try await ws.run(["checkout", "alt"])
        #expect(result.succeeded, "\(result)")
        let status = try await ws.status()
        #expect(status["branch"] as? String == "alt" && status["head"] as? String == ws.a)
        let path = try await ws.workfile().path
        #expect(try await SHA256Sum.hash(path) == ws.aOutput)
        #expect(fileBytes(path) == fileBytes(ws.dir.file("src/a.wav")))

        let object = StoreFiles(workspace: ws.path).objectPath(ws.aOutput)
        let fileInfo = try #require(fileStatus(path))
        let objectInfo = try #require(fileStatus(object))
        #expect(fileInfo.st_nlink == 1)
        #expect(fileInfo.st_ino != objectInfo.st_ino)
        #expect((fileInfo.st_mode & 0o170000) == 0o100000, "a regular file, not a symlink")

        // Editing the working file in place leaves the object intact.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3]))
        try handle.close()
        #expect(try await SHA256Sum.hash(object) == ws.aOutput)
        #expect(try await ws.workfile().state == "modified, not recorded")

        // Back to main with --force: B's bytes, again a lone copy.
        #expect(try await ws.run(["checkout", "main", "--force"]).succeeded)
        #expect(try await SHA256Sum.hash(path) == ws.bOutput)
        #expect(fileStatus(path)?.st_nlink == 1)
        #expect(fileStatus(path)?.st_ino != fileStatus(StoreFiles(workspace: ws.path).objectPath(ws.bOutput))?.st_ino)
    }

    @Test("checkout --to PATH writes the clip there and leaves HEAD and the working file alone")
    func toPath() async throws {
        let ws = try await GraphCheckoutWorkspace.make("graph-checkout-to")
        let before = try await ws.status()
        let reflogBefore = try JSONText.array(try await ws.run(["reflog", "--json"]).stdout).count
        let workfile = try await ws.workfile().path
        let target = ws.dir.file("exported.wav")

        let result = try await ws.run(["checkout", "main~1", "--to", target])
        #expect(result.succeeded, "\(result)")
        #expect(try await SHA256Sum.hash(target) == ws.aOutput)
        #expect(fileStatus(target)?.st_nlink == 1)
        #expect(try await SHA256Sum.hash(workfile) == ws.bOutput)
        let after = try await ws.status()
        #expect(after["head"] as? String == before["head"] as? String && after["branch"] as? String == "main")
        #expect(try JSONText.array(try await ws.run(["reflog", "--json"]).stdout).count == reflogBefore)

        // An existing file with unrecorded bytes is not overwritten without --force.
        let mine = WAV.data(seed: 898)
        try mine.write(to: URL(fileURLWithPath: target))
        let refused = try await ws.run(["checkout", "main~1", "--to", target])
        #expect(refused.exitCode == 1 && refused.stderr.contains("--force"), "\(refused)")
        #expect(fileBytes(target) == mine)
        #expect(try await ws.run(["checkout", "main~1", "--to", target, "--force"]).succeeded)
        #expect(try await SHA256Sum.hash(target) == ws.aOutput)
    }
}
