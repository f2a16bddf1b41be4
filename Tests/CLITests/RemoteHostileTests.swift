import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A folder remote that an attacker (or a broken NAS) has tampered with:
/// names that no command could use, FIFOs, endless files, huge records and
/// symlinks out of the remote. Each case must fail fast with one line, or be
/// skipped with a warning, and never hang, fill the disk or write outside.
@Suite("Remote: a hostile folder remote")
struct RemoteHostileTests {
    /// A store with two recorded turns pushed to a fresh folder remote.
    struct Pushed {
        let dir: TemporaryDirectory
        let remote: RemoteFixtures.Remote
        let workspace: String
        let folder: String
        let outputs: [String]
    }

    static func pushed(_ label: String) async throws -> Pushed {
        let dir = try TemporaryDirectory(label)
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        var outputs: [String] = []
        for seed in 1...2 {
            outputs.append(try await recordClip(a, seed: seed, message: "take \(seed)", remote).output)
        }
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "origin", "main"], in: a, remote)
        return Pushed(dir: dir, remote: remote, workspace: a, folder: remote.folder ?? "", outputs: outputs)
    }

    static func replace(_ path: String, with make: (String) throws -> Void) throws {
        chmod(path, 0o644)
        unlink(path)
        try make(path)
    }

    @Test("branch names that local rules refuse are skipped with an escaped warning; the rest is cloned and pulled")
    func invalidBranchNames() async throws {
        let p = try await Self.pushed("hostile-names")
        let tip = try String(contentsOfFile: p.folder + "/refs/heads/main", encoding: .utf8)
        let hostile = ["foo..bar", "-rf", "HEAD", "@", "bad~1", "new\nline", "esc\u{1b}]0;owned\u{07}", "x\u{1b}[2J"]
        for name in hostile {
            try tip.write(toFile: p.folder + "/refs/heads/" + name, atomically: false, encoding: .utf8)
        }
        let clone = p.dir.file("b")
        let cloned = try await remoteRun(["clone", p.remote.url, clone], in: p.dir.path, p.remote)
        #expect(cloned.succeeded, "\(cloned)")
        #expect(!cloned.stderr.contains("\u{1b}"), "raw ESC reached the terminal:\n\(cloned.stderr)")
        let warnings = cloned.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: skipped origin's branch") }
        #expect(warnings.count == hostile.count, "\(cloned.stderr)")
        #expect(
            cloned.stderr.contains("'esc\\x1b]0;owned\\x07'") && cloned.stderr.contains("'new\\nline'"),
            "\(cloned.stderr)")

        let branches = try JSONText.array(
            try await remoteCheck(["branch", "-a", "--json"], in: clone, p.remote).stdout)
        let names = Set(branches.compactMap { ($0 as? [String: Any])?["name"] as? String })
        #expect(names == ["main", "remotes/origin/main"] || names == ["main", "origin/main"], "\(names)")

        let pulled = try await remoteRun(["pull", "--json"], in: clone, p.remote)
        #expect(pulled.succeeded, "\(pulled)")
        let json = try JSONText.object(pulled.stdout)
        let skipped = (json["skipped_branches"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
        #expect(Set(skipped) == Set(hostile), "\(pulled.stdout)")
        try await expectFsckClean(clone, p.remote)
    }

    @Test("fsck flags a ref with an invalid name, and branch -D removes it")
    func fsckFlagsInvalidRefName() async throws {
        let p = try await Self.pushed("hostile-fsck-name")
        // What an older omnistore could have stored from such a remote.
        let db = p.workspace + "/.omnistore/omnistore.db"
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); t=c.execute(\"SELECT target FROM ref WHERE name='refs/heads/main'\").fetchone()[0]; c.execute('INSERT INTO ref (name, target) VALUES (?, ?)', ('refs/heads/foo..bar', t)); c.commit()",
            db,
        ]
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let fsck = try await remoteRun(["fsck", "--json"], in: p.workspace, p.remote)
        #expect(!fsck.succeeded)
        #expect(fsck.stdout.contains("invalid_ref_name") && fsck.stdout.contains("foo..bar"), "\(fsck)")
        try await remoteCheck(["branch", "-D", "foo..bar"], in: p.workspace, p.remote)
        try await expectFsckClean(p.workspace, p.remote)
    }

    @Test("a FIFO in the remote's objects/ fails clone with one line instead of hanging")
    func fifoObject() async throws {
        let p = try await Self.pushed("hostile-fifo")
        try Self.replace(p.remote.objectLocation(p.outputs[0])) { path in
            #expect(mkfifo(path, 0o644) == 0)
        }
        let clone = p.dir.file("b")
        // A clone that blocks on the FIFO is killed at the timeout (a wall
        // clock bound would fail on a busy machine instead).
        let result = try await OmnistoreCLI.run(["clone", p.remote.url, clone], in: p.dir.path, timeout: 60)
        #expect(!result.timedOut, "clone blocked on the FIFO")
        #expect(!result.succeeded)
        #expect(result.stderr.contains("is not a regular file"), "\(result)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("an object that is a symlink to /dev/zero or longer than its size stops at once, and leaves no partial file")
    func endlessObject() async throws {
        let p = try await Self.pushed("hostile-endless")
        try Self.replace(p.remote.objectLocation(p.outputs[0])) { path in
            #expect(symlink("/dev/zero", path) == 0)
        }
        let clone = p.dir.file("b")
        let zero = try await OmnistoreCLI.run(["clone", p.remote.url, clone], in: p.dir.path, timeout: 30)
        #expect(!zero.succeeded)
        #expect(zero.stderr.contains("is not a regular file"), "\(zero)")

        // A regular file far longer than the object: a lazy clone knows the
        // size from the asset's record, the download stops there, and the
        // partial file is removed, not kept to resume.
        let big = p.dir.file("big.bin")
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        #expect(truncate(big, 64 << 20) == 0)
        try Self.replace(p.remote.objectLocation(p.outputs[0])) { path in
            #expect(symlink(big, path) == 0)
        }
        let clone2 = p.dir.file("c")
        try await remoteCheck(["clone", "--lazy", p.remote.url, clone2], in: p.dir.path, p.remote)
        let long = try await OmnistoreCLI.run(["fetch-objects", "--all"], in: clone2, timeout: 60)
        #expect(!long.succeeded)
        #expect(long.stderr.contains("larger than the"), "\(long)")
        let partials =
            (try? FileManager.default.contentsOfDirectory(atPath: clone2 + "/.omnistore/remote-partial")) ?? []
        #expect(
            partials.filter { !$0.hasPrefix(".") }.allSatisfy { name in
                var info = stat()
                return stat(clone2 + "/.omnistore/remote-partial/" + name, &info) != 0 || info.st_size == 0
            }, "a partial download was kept: \(partials)")
    }

    @Test("a ref or a turn record larger than 1 MiB is refused by name, not read into memory")
    func oversizeRecords() async throws {
        let p = try await Self.pushed("hostile-oversize")
        let padding = String(repeating: " ", count: 2 << 20)
        let ref = p.folder + "/refs/heads/main"
        let tip = try String(contentsOfFile: ref, encoding: .utf8)
        try (tip + padding).write(toFile: p.folder + "/refs/heads/fat", atomically: false, encoding: .utf8)
        let clone = p.dir.file("b")
        let result = try await OmnistoreCLI.run(["clone", p.remote.url, clone], in: p.dir.path, timeout: 60)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("refs/heads/fat") && result.stderr.contains("larger than 1024 KiB"), "\(result)")

        unlink(p.folder + "/refs/heads/fat")
        let turnID = tip.trimmingCharacters(in: .whitespacesAndNewlines)
        let turnPath = p.folder + "/turns/" + turnID
        chmod(turnPath, 0o644)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: turnPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(padding.utf8))
        try handle.close()
        let clone2 = p.dir.file("c")
        let turn = try await OmnistoreCLI.run(["clone", p.remote.url, clone2], in: p.dir.path, timeout: 60)
        #expect(!turn.succeeded)
        #expect(turn.stderr.contains("turns/" + turnID) && turn.stderr.contains("larger than 1024 KiB"), "\(turn)")
    }

    @Test("push refuses a remote whose turns/ or objects/ is a symlink out of it, and writes nothing there")
    func symlinkOutOfRemote() async throws {
        let dir = try TemporaryDirectory("hostile-symlink")
        let remote = try await RemoteFixtures.make(.folder, in: dir)
        let folder = remote.folder ?? ""
        let outside = try dir.makeDirectory("outside")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(symlink(outside, folder + "/turns") == 0)
        #expect(symlink(outside, folder + "/objects") == 0)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        try await recordClip(a, seed: 1, message: "one", remote)
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        let push = try await remoteRun(["push", "origin", "main"], in: a, remote)
        #expect(!push.succeeded)
        #expect(push.stderr.contains("leads out of the remote"), "\(push)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "push wrote outside the remote")
        #expect(!FileManager.default.fileExists(atPath: folder + "/refs/heads/main"))
    }
    @Test(
        "an abandoned partial download is reported by fsck and removed by gc after 3 days; a recent one is kept to resume"
    )
    func stalePartialDownloads() async throws {
        let p = try await Self.pushed("hostile-partial")
        let partials = p.workspace + "/.omnistore/remote-partial"
        try FileManager.default.createDirectory(atPath: partials, withIntermediateDirectories: true)
        let old = partials + "/" + String(repeating: "a", count: 64)
        let recent = partials + "/" + String(repeating: "b", count: 64)
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: old))
        try Data(repeating: 8, count: 3000).write(to: URL(fileURLWithPath: recent))
        let fourDaysAgo = Date().addingTimeInterval(-4 * 86_400).timeIntervalSince1970
        var times = [timeval(tv_sec: Int(fourDaysAgo), tv_usec: 0), timeval(tv_sec: Int(fourDaysAgo), tv_usec: 0)]
        #expect(utimes(old, &times) == 0)

        let fsck = try await remoteCheck(["fsck"], in: p.workspace, p.remote)
        #expect(fsck.stdout.contains("1 partial download(s) untouched for 3 days"), "\(fsck)")
        let fsckJSON = try JSONText.object(try await remoteCheck(["fsck", "--json"], in: p.workspace, p.remote).stdout)
        #expect(fsckJSON["stale_partial_downloads"] as? [String] == [old])

        let gc = try JSONText.object(try await remoteCheck(["gc", "--json"], in: p.workspace, p.remote).stdout)
        #expect(gc["removed_partial_downloads"] as? [String] == [old], "\(gc)")
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: recent), "a recent partial download must wait to be resumed")
    }
    @Test("a lazy clone whose remote record lies about an asset's type is corrected from the bytes when they arrive")
    func lyingAssetRecord() async throws {
        let p = try await Self.pushed("hostile-lying-record")
        let victim = p.outputs[0]
        // Rewrite the remote's asset packs so the WAV clip claims to be an MP4 video.
        let script = """
            import hashlib, json, os, sys
            folder, victim = sys.argv[1], sys.argv[2]
            for name in os.listdir(folder):
                path = os.path.join(folder, name)
                pack = json.load(open(path))
                for record in pack.get("assets", []):
                    if record["id"] == victim:
                        record["mime"] = "video/mp4"; record["kind"] = "video"
                data = json.dumps(pack, sort_keys=True, separators=(",", ":")).encode()
                os.chmod(path, 0o644); os.unlink(path)
                open(os.path.join(folder, hashlib.sha256(data).hexdigest()), "wb").write(data)
            """
        let python = try await RunningProcess.run(
            try Tool.path("python3"), ["-c", script, p.folder + "/assets", victim])
        #expect(python.succeeded, "\(python)")
        let clone = p.dir.file("b")
        try await remoteCheck(["clone", "--lazy", p.remote.url, clone], in: p.dir.path, p.remote)
        func mime() async throws -> String? {
            let assets = try JSONText.array(try await remoteCheck(["assets", "--json"], in: clone, p.remote).stdout)
            return assets.compactMap { $0 as? [String: Any] }.first { $0["id"] as? String == victim }?["mime"]
                as? String
        }
        #expect(try await mime() == "video/mp4", "the lazy clone takes the record's word until the bytes arrive")
        try await remoteCheck(["fetch-objects", "--all"], in: clone, p.remote)
        #expect(try await mime() == "audio/wav")
        try await expectFsckClean(clone, p.remote)
    }
    @Test(
        "S3: an object longer than its record declares stops at the declared size in a lazy fetch, and nothing is stored"
    )
    func s3ObjectLongerThanDeclared() async throws {
        let dir = try TemporaryDirectory("hostile-s3-long")
        let remote = try await RemoteFixtures.make(.s3, in: dir)
        let a = try dir.makeDirectory("a")
        try await remoteCheck(["init"], in: a, remote)
        let output = try await recordClip(a, seed: 3, message: "take", remote).output
        try await remoteCheck(["remote", "add", "origin", remote.url], in: a, remote)
        try await remoteCheck(["push", "origin", "main"], in: a, remote)
        try await RemoteServer.lengthen(bucket: remote.bucket ?? "", key: remote.objectLocation(output), by: 1 << 20)
        let clone = dir.file("b")
        try await remoteCheck(["clone", "--lazy", remote.url, clone], in: dir.path, remote)
        let fetch = try await remoteRun(["fetch-objects", "--all"], in: clone, remote)
        #expect(!fetch.succeeded)
        #expect(fetch.stderr.contains("larger than the") && fetch.stderr.contains("declares"), "\(fetch)")
        #expect(!FileManager.default.fileExists(atPath: StoreFiles(workspace: clone).objectPath(output)))
    }
}
