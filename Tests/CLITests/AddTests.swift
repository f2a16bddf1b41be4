import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct AddStoresObjects {
    @Test("every fixture is stored under its sha256sum, read-only and byte-identical")
    func allFixtures() async throws {
        let ws = try await CLIWorkspace.make("cli-objects")
        var paths: [String] = []
        for fixture in Fixture.allCases { paths.append(try await Fixtures.copy(fixture, into: ws.file("media"))) }
        let hashes = try await SHA256Sum.hashes(paths)
        let result = try await ws.run(["add"] + paths)
        #expect(result.succeeded, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")

        #expect(ws.files.objectIDs() == Set(hashes))
        for (path, hex) in zip(paths, hashes) {
            let object = ws.files.objectPath(hex)
            #expect(fileExists(object), "no object file for \(path) at \(object)")
            #expect(permissionBits(object) == 0o444, "mode of \(object)")
            #expect(fileBytes(object) == fileBytes(path), "bytes of \(object)")
        }
        let objectHashes = try await SHA256Sum.hashes(hashes.map(ws.files.objectPath))
        #expect(objectHashes == hashes)
        #expect(ws.files.temporaryFiles().isEmpty)

        let listed = try await ws.assetsJSON()
        #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(hashes))
        #expect(listed.count == hashes.count)
        for item in listed {
            let id = item["id"] as? String ?? ""
            guard let index = hashes.firstIndex(of: id) else { continue }
            #expect(item["kind"] as? String == Fixture.allCases[index].expectedKind, "kind of \(paths[index])")
            #expect(
                Fixture.allCases[index].acceptableMimes.contains(item["mime"] as? String ?? ""),
                "mime of \(paths[index])")
        }
    }

    @Test("adding the same bytes again stores nothing new and remembers both paths")
    func dedup() async throws {
        let ws = try await CLIWorkspace.make("cli-dedup")
        let first = try await Fixtures.copy(.mp4H264AAC, into: ws.file("a"))
        let second = try await Fixtures.copy(.mp4H264AAC, into: ws.file("b"), as: "renamed.mp4")
        let hex = try await SHA256Sum.hash(first)
        #expect(try await ws.run(["add", "a/h264_aac.mp4"]).succeeded)
        let objects = ws.files.objectIDs()
        let objectBytes = fileBytes(ws.files.objectPath(hex))

        let again = try await ws.run(["add", "b/renamed.mp4"])
        #expect(again.succeeded, "\(again)")
        #expect(again.stdoutLines.count == 1)
        #expect(again.stdout.hasPrefix("already stored"), "\(again)")
        #expect(again.stdout.contains(String(hex.prefix(12))))
        #expect(ws.files.objectIDs() == objects)
        #expect(fileBytes(ws.files.objectPath(hex)) == objectBytes)
        #expect(try await ws.assetIDs() == [hex])
        #expect(try await ws.show(hex)["paths"] as? [String] == [first, second])

        // The same path once more: still already stored, and listed once.
        let third = try await ws.run(["add", first])
        #expect(third.succeeded && third.stdout.hasPrefix("already stored"), "\(third)")
        #expect(try await ws.show(String(hex.prefix(8)))["paths"] as? [String] == [first, second])
        #expect(ws.files.temporaryFiles().isEmpty)
    }

    @Test("the same path twice in one command: added, then already stored, each line its own")
    func samePathTwice() async throws {
        let ws = try await CLIWorkspace.make("cli-same-path")
        _ = try ws.write(WAV.data(seed: 98), to: "x.wav")
        let result = try await ws.run(["add", "x.wav", "x.wav"])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutLines.count == 2)
        #expect(result.stdoutLines.first?.hasPrefix("added") == true, "\(result)")
        #expect(result.stdoutLines.last?.hasPrefix("already stored") == true, "\(result)")
    }

    @Test("the same file twice in one command is added once, then already stored")
    func duplicateInOneBatch() async throws {
        let ws = try await CLIWorkspace.make("cli-dedup-batch")
        let wav = try ws.write(WAV.data(seed: 99), to: "x.wav")
        let copy = try ws.write(WAV.data(seed: 99), to: "y.wav")
        let result = try await ws.run(["add", "x.wav", "y.wav"])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutLines.count == 2)
        #expect(result.stdoutLines.first?.hasPrefix("added") == true, "\(result)")
        #expect(result.stdoutLines.last?.hasPrefix("already stored") == true, "\(result)")
        let hex = try await SHA256Sum.hash(wav)
        #expect(try await ws.show(hex)["paths"] as? [String] == [wav, copy])
    }

    @Test("-r adds the files under a folder, and hidden files are skipped")
    func recursive() async throws {
        let ws = try await CLIWorkspace.make("cli-recursive")
        let visible = [
            try await Fixtures.copy(.png, into: ws.file("shoot")),
            try await Fixtures.copy(.mp3, into: ws.file("shoot/audio")),
            try ws.write(WAV.data(seed: 31), to: "shoot/audio/deep/er/take.wav"),
        ]
        let hidden = try ws.write(WAV.data(seed: 32), to: "shoot/.cache/hidden.wav")
        let hiddenFile = try ws.write(WAV.data(seed: 33), to: "shoot/.hidden.wav")
        let hashes = try await SHA256Sum.hashes(visible)
        let hiddenHashes = try await SHA256Sum.hashes([hidden, hiddenFile])

        let result = try await ws.run(["add", "-r", "shoot"])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutLines.count == visible.count, "\(result)")
        #expect(Set(try await ws.assetIDs()) == Set(hashes))
        #expect(ws.files.objectIDs().isDisjoint(with: hiddenHashes))
        for (path, hex) in zip(visible, hashes) {
            #expect(try await ws.show(hex)["paths"] as? [String] == [path])
        }
        // --recursive is the same flag; adding again stores nothing new.
        let again = try await ws.run(["add", "--recursive", "shoot/"])
        #expect(again.succeeded, "\(again)")
        #expect(again.stdoutLines.allSatisfy { $0.hasPrefix("already stored") }, "\(again)")
        #expect(ws.files.objectIDs() == Set(hashes))

        // The whole workspace: the store's own files under .omnistore are not added.
        let everything = try await ws.run(["add", "-r", "."])
        #expect(everything.succeeded, "\(everything)")
        #expect(everything.stdoutLines.count == visible.count, "\(everything)")
        #expect(ws.files.objectIDs() == Set(hashes))
    }

    @Test("paths with spaces and non-ASCII letters are stored and remembered exactly")
    func unusualNames() async throws {
        let ws = try await CLIWorkspace.make("cli-names")
        let names = ["my clip (final) v2.wav", "été à Zürich.wav", "tab\there.wav", "-dash.wav"]
        var paths: [String] = []
        for (index, name) in names.enumerated() {
            paths.append(try ws.write(WAV.data(seed: 80 + index), to: "in/\(name)"))
        }
        let hashes = try await SHA256Sum.hashes(paths)
        let result = try await ws.run(["add", "--"] + paths)
        #expect(result.succeeded, "\(result)")
        for (path, hex) in zip(paths, hashes) {
            #expect(try await ws.show(hex)["paths"] as? [String] == [path])
        }
    }

    @Test("--json lists one item per path with its status")
    func addJSON() async throws {
        let ws = try await CLIWorkspace.make("cli-add-json")
        let png = try await Fixtures.copy(.png, into: ws.path)
        let wav = try ws.write(WAV.data(seed: 41), to: "a.wav")
        #expect(try await ws.run(["add", wav]).succeeded)
        let hashes = try await SHA256Sum.hashes([png, wav])
        let bad = try ws.write("not media at all\n", to: "bad.mp4")
        let result = try await ws.run(["add", "--json", png, wav, bad])
        #expect(result.failedCleanly, "\(result)")
        let items = try #require(try JSONText.parse(result.stdout) as? [[String: Any]])
        #expect(items.map { $0["path"] as? String } == [png, wav, bad])
        #expect(items.map { $0["status"] as? String } == ["added", "already_stored", "error"])
        #expect((items[0]["asset"] as? [String: Any])?["id"] as? String == hashes[0])
        #expect((items[1]["asset"] as? [String: Any])?["id"] as? String == hashes[1])
        #expect((items[2]["error"] as? String)?.contains(bad) == true)
        #expect(items[2]["asset"] == nil)
    }
}

@Suite struct AddRejectsBadInput {
    enum Bad: String, CaseIterable, CustomStringConvertible {
        case garbage, textNamedMP4, empty, truncatedMP4, missing, directoryWithoutR
        var description: String { rawValue }
    }

    /// Writes the bad input into the workspace and returns its path relative to it.
    static func make(_ bad: Bad, in ws: CLIWorkspace) async throws -> String {
        switch bad {
        case .garbage:
            try ws.write(garbageBytes(count: 64 << 10, seed: 42), to: "noise.mov")
            return "noise.mov"
        case .textNamedMP4:
            try ws.write((1...200).map { "line \($0): plain text, not a video\n" }.joined(), to: "notes.mp4")
            return "notes.mp4"
        case .empty:
            try ws.write(Data(), to: "empty.mp4")
            return "empty.mp4"
        case .truncatedMP4:
            // The moov atom of ffmpeg's mp4 is at the end, so the head alone is unreadable.
            let full = try #require(fileBytes(try await Fixtures.path(.mp4H264AAC)))
            try ws.write(full.prefix(4096), to: "truncated.mp4")
            return "truncated.mp4"
        case .missing:
            return "no-such-file.mp4"
        case .directoryWithoutR:
            try ws.write(WAV.data(seed: 51), to: "folder/inside.wav")
            return "folder"
        }
    }

    @Test(
        "a bad file gets one error line naming it, a non-zero exit, and leaves nothing; the batch goes on",
        arguments: Bad.allCases)
    func badInBatch(_ bad: Bad) async throws {
        try await checkBatch(bad)
    }

    @Test(
        "an unreadable file is refused like any bad file (as an unprivileged user when the tests run as root)",
        .enabled(
            if: Unprivileged.available, "running as root without setpriv, or the binary is not reachable by nobody"))
    func unreadable() async throws {
        let dir = try TemporaryDirectory("cli-unreadable")
        #expect(chmod(dir.path, 0o777) == 0)
        #expect(try await Unprivileged.omnistore(["init"], in: dir.path).succeeded)
        let locked = try dir.write(WAV.data(seed: 52), to: "locked.wav")
        #expect(chmod(locked, 0) == 0)
        let good = try dir.write(WAV.data(seed: 53), to: "good.wav")
        let goodHash = try await SHA256Sum.hash(good)

        let batch = try await Unprivileged.omnistore(["add", "locked.wav", "good.wav"], in: dir.path)
        #expect(batch.failedCleanly, "\(batch)")
        let naming = batch.stderrLines.filter { $0.contains("locked.wav") }
        #expect(naming.count == 1 && naming[0].hasPrefix("error: "), "\(batch)")
        let alone = try await Unprivileged.omnistore(["add", "locked.wav"], in: dir.path)
        #expect(alone.failedCleanly && alone.stderrLines.count == 1, "\(alone)")

        let files = StoreFiles(workspace: dir.path)
        #expect(files.objectIDs() == [goodHash])
        #expect(try await OmnistoreCLI.assetIDs(in: dir.path) == [goodHash])
        #expect(files.temporaryFiles().isEmpty)
    }

    func checkBatch(_ bad: Bad) async throws {
        let ws = try await CLIWorkspace.make("cli-bad")
        let bad = try await Self.make(bad, in: ws)
        let good1 = try await Fixtures.copy(.png, into: ws.path)
        let good2 = try ws.write(WAV.data(seed: 50), to: "good.wav")
        let goodHashes = try await SHA256Sum.hashes([good1, good2])

        let result = try await ws.run(["add", "still.png", bad, "good.wav"])
        #expect(result.failedCleanly, "\(result)")
        let naming = result.stderrLines.filter { $0.contains(bad) }
        #expect(naming.count == 1, "\(result)")
        #expect(naming.first?.hasPrefix("error: ") == true, "\(result)")
        #expect(result.stderrLines.allSatisfy { $0.hasPrefix("error: ") }, "stray stderr output: \(result)")
        #expect(!result.stdout.contains(bad), "\(result)")
        #expect(result.stdoutLines.count == 2, "\(result)")

        #expect(Set(try await ws.assetIDs()) == Set(goodHashes))
        #expect(ws.files.objectIDs() == Set(goodHashes))
        #expect(ws.files.temporaryFiles().isEmpty, "temp files left: \(ws.files.temporaryFiles())")
    }

    @Test("a bad file alone: exactly one error line naming it, non-zero exit, nothing stored", arguments: Bad.allCases)
    func badAlone(_ bad: Bad) async throws {
        try await checkAlone(bad)
    }

    func checkAlone(_ bad: Bad) async throws {
        let ws = try await CLIWorkspace.make("cli-bad-alone")
        let bad = try await Self.make(bad, in: ws)
        let result = try await ws.run(["add", bad])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        #expect(result.stderrLines.first?.hasPrefix("error: ") == true)
        #expect(result.stderrLines.first?.contains(bad) == true)
        #expect(result.stdout.isEmpty)
        #expect(try await ws.assetIDs().isEmpty)
        #expect(ws.files.objectIDs().isEmpty)
        #expect(ws.files.temporaryFiles().isEmpty)
    }

    @Test("with --json, the bad file is reported in the JSON and on stderr")
    func badWithJSON() async throws {
        let ws = try await CLIWorkspace.make("cli-bad-json")
        let bad = try await Self.make(.garbage, in: ws)
        let result = try await ws.run(["add", "--json", bad])
        #expect(result.failedCleanly, "\(result)")
        let items = try #require(try JSONText.parse(result.stdout) as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["status"] as? String == "error")
        #expect(result.stderrLines.count == 1 && result.stderr.contains(bad), "\(result)")
    }
}

/// Running omnistore as an unprivileged user, so that file permissions apply
/// even when the tests run as root.
enum Unprivileged {
    static let nobody = "65534"

    /// Whether omnistore can be run without root privileges here.
    static let available: Bool = {
        if geteuid() != 0 { return true }
        guard (try? Tool.path("setpriv")) != nil else { return false }
        // Every folder on the way to the binary must be searchable by others.
        var url = URL(fileURLWithPath: OmnistoreCLI.binaryPath)
        guard let binary = fileStatus(url.path), binary.st_mode & 0o001 != 0 else { return false }
        url.deleteLastPathComponent()
        while url.path != "/" {
            guard let info = fileStatus(url.path), info.st_mode & 0o001 != 0 else { return false }
            url.deleteLastPathComponent()
        }
        return true
    }()

    static func omnistore(_ arguments: [String], in directory: String) async throws -> ProcessResult {
        if geteuid() != 0 { return try await OmnistoreCLI.run(arguments, in: directory) }
        return try await RunningProcess.run(
            "setpriv",
            ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", "--", try OmnistoreCLI.binary()] + arguments,
            in: directory)
    }
}
