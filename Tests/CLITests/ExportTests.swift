import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct Export {
    @Test("export -o FILE writes the original bytes", arguments: [Fixture.mp4H264AAC, .flac, .gifAnimated])
    func roundTrip(_ fixture: Fixture) async throws {
        let ws = try await CLIWorkspace.make("cli-export")
        let path = try await Fixtures.copy(fixture, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        try ws.makeDirectory("out")
        let result = try await ws.run(["export", String(hex.prefix(6)), "-o", "out/copy.bin"])
        #expect(result.succeeded, "\(result)")
        #expect(try await SHA256Sum.hash(ws.file("out/copy.bin")) == hex)
        #expect(listTree(ws.file("out")) == ["copy.bin"], "stray files in out/")
    }

    @Test("export replaces an existing file and writes through no symlink")
    func overwrite() async throws {
        let ws = try await CLIWorkspace.make("cli-export-over")
        let path = try await Fixtures.copy(.png, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        try ws.write("old contents", to: "target.png")
        let result = try await ws.run(["export", hex, "--output", "target.png"])
        #expect(result.succeeded, "\(result)")
        #expect(try await SHA256Sum.hash(ws.file("target.png")) == hex)

        let victim = try ws.write("someone else's file", to: "victim.txt")
        #expect(symlink(victim, ws.file("link.png")) == 0)
        let viaLink = try await ws.run(["export", hex, "-o", "link.png"])
        #expect(viaLink.succeeded, "\(viaLink)")
        #expect(fileBytes(victim) == Data("someone else's file".utf8))
        #expect(try await SHA256Sum.hash(ws.file("link.png")) == hex)
    }

    @Test("export -o - writes the original bytes to stdout")
    func toStdout() async throws {
        let ws = try await CLIWorkspace.make("cli-export-stdout")
        let path = try await Fixtures.copy(.jpeg, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        let result = try await ws.run(["export", hex, "-o", "-"])
        #expect(result.succeeded, "\(result)")
        #expect(result.stdoutData == fileBytes(path))
    }

    /// Adds a fixture, then flips one byte in the middle of its object file.
    static func corruptedStore(_ label: String) async throws -> (CLIWorkspace, hex: String) {
        let ws = try await CLIWorkspace.make(label)
        let path = try await Fixtures.copy(.mp4H264AAC, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        let object = ws.files.objectPath(hex)
        #expect(chmod(object, 0o644) == 0)  // chmod u+w
        let handle = try #require(FileHandle(forUpdatingAtPath: object))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
        try handle.close()
        #expect(try await SHA256Sum.hash(object) != hex, "the object should now be corrupt")
        return (ws, hex)
    }

    @Test("export of a corrupted object fails, mentions fsck, and writes no file")
    func corrupted() async throws {
        let (ws, hex) = try await Self.corruptedStore("cli-export-corrupt")
        try ws.makeDirectory("out")
        let result = try await ws.run(["export", hex, "-o", "out/clip.mp4"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("fsck"), "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: "), "\(result)")
        #expect(!fileExists(ws.file("out/clip.mp4")))
        #expect(listTree(ws.file("out")).isEmpty, "left behind: \(listTree(ws.file("out")))")
    }

    @Test("export of a corrupted object over an existing file leaves that file untouched")
    func corruptedKeepsExisting() async throws {
        let (ws, hex) = try await Self.corruptedStore("cli-export-corrupt-keep")
        let existing = try ws.write("keep me", to: "clip.mp4")
        let result = try await ws.run(["export", hex, "-o", "clip.mp4"])
        #expect(result.failedCleanly, "\(result)")
        #expect(fileBytes(existing) == Data("keep me".utf8))
    }

    @Test("export -o - of a corrupted object fails and mentions fsck")
    func corruptedToStdout() async throws {
        let (ws, hex) = try await Self.corruptedStore("cli-export-corrupt-stdout")
        let result = try await ws.run(["export", hex, "-o", "-"])
        #expect(result.failedCleanly, "exported corrupt bytes to stdout: \(String(describing: result.exitCode))")
        #expect(result.stderr.contains("fsck"), "stderr: \(result.stderr)")
    }

    @Test("export of an asset whose object file is gone fails, mentions fsck, and writes no file")
    func missingObject() async throws {
        let ws = try await CLIWorkspace.make("cli-export-missing")
        let path = try await Fixtures.copy(.wav, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        #expect(unlink(ws.files.objectPath(hex)) == 0)
        try ws.makeDirectory("out")
        for target in ["out/tone.wav", "-"] {
            let result = try await ws.run(["export", hex, "-o", target])
            #expect(result.failedCleanly, "\(result)")
            #expect(result.stderrLines.count == 1 && result.stderr.contains("fsck"), "\(result)")
            #expect(result.stdout.isEmpty)
        }
        #expect(listTree(ws.file("out")).isEmpty)
    }

    @Test("export of an unknown id, or into a missing folder, fails and writes nothing")
    func failures() async throws {
        let ws = try await CLIWorkspace.make("cli-export-fail")
        let path = try await Fixtures.copy(.png, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        #expect(try await ws.run(["add", path]).succeeded)
        let unknown = String((hex.first == "0" ? "1" : "0") + hex.dropFirst())
        let missingAsset = try await ws.run(["export", unknown, "-o", "x.png"])
        #expect(missingAsset.failedCleanly && missingAsset.stderrLines.count == 1, "\(missingAsset)")
        #expect(!fileExists(ws.file("x.png")))
        let missingFolder = try await ws.run(["export", hex, "-o", "nope/x.png"])
        #expect(missingFolder.failedCleanly && missingFolder.stderrLines.count == 1, "\(missingFolder)")
        #expect(!fileExists(ws.file("nope")))
    }
}
