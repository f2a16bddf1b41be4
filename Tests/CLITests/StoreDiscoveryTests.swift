import Foundation
import TestSupport
import Testing

@Suite struct StoreDiscovery {
    static let notAStoreLine = "error: not an omnistore store (or any parent): run 'omnistore init'"

    @Test(
        "outside any store, each store command fails with the exact message",
        arguments: [["assets"], ["add", "x.wav"], ["show", "abcd"], ["export", "abcd", "-o", "out.bin"]])
    func outsideAnyStore(_ arguments: [String]) async throws {
        let dir = try TemporaryDirectory("cli-nostore")
        // The test is only meaningful if no parent of the temp folder is a store.
        var parent = URL(fileURLWithPath: dir.path)
        while parent.path != "/" {
            #expect(!fileExists(parent.appendingPathComponent(".omnistore").path), "a store exists above \(dir.path)")
            parent.deleteLastPathComponent()
        }
        try dir.write(WAV.data(seed: 1), to: "x.wav")
        let result = try await OmnistoreCLI.run(arguments, in: dir.path)
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines == [Self.notAStoreLine], "\(result)")
        #expect(result.stdout.isEmpty)
        #expect(!fileExists(dir.file(".omnistore")))
        #expect(!fileExists(dir.file("out.bin")))
    }

    @Test("a subfolder finds the store above it")
    func fromSubfolder() async throws {
        let ws = try await CLIWorkspace.make("cli-sub")
        try ws.makeDirectory("a/b/c")
        let wav = try ws.write(WAV.data(seed: 2), to: "a/b/c/tone.wav")
        let hex = try await SHA256Sum.hash(wav)
        let added = try await ws.run(["add", "tone.wav"], in: "a/b/c")
        #expect(added.succeeded, "\(added)")
        #expect(ws.files.objectIDs() == [hex])
        #expect(!fileExists(ws.file("a/b/c/.omnistore")))
        let listed = try await ws.run(["assets", "--json"], in: "a/b")
        #expect(try JSONText.array(listed.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String } == [hex])
    }

    @Test("--store and OMNISTORE_DIR name the store from anywhere, as the workspace or its .omnistore")
    func explicitStore() async throws {
        let dir = try TemporaryDirectory("cli-explicit")
        let ws = try await CLIWorkspace.make(in: dir, subfolder: "ws")
        let outside = try dir.makeDirectory("outside")
        let wav1 = try dir.write(WAV.data(seed: 3), to: "outside/one.wav")
        let wav2 = try dir.write(WAV.data(seed: 4), to: "outside/two.wav")
        let hashes = try await SHA256Sum.hashes([wav1, wav2])

        let byFlag = try await OmnistoreCLI.run(["add", "--store", ws.path, "one.wav"], in: outside)
        #expect(byFlag.succeeded, "\(byFlag)")
        let byEnv = try await OmnistoreCLI.run(
            ["add", "two.wav"], in: outside, environment: ["OMNISTORE_DIR": ws.path])
        #expect(byEnv.succeeded, "\(byEnv)")
        #expect(Set(try await ws.assetIDs()) == Set(hashes))
        #expect(!fileExists(outside + "/.omnistore"))

        let listedByFlag = try await OmnistoreCLI.run(
            ["assets", "--json", "--store", ws.path + "/.omnistore"], in: outside)
        #expect(listedByFlag.succeeded, "\(listedByFlag)")
        #expect(
            Set(try JSONText.array(listedByFlag.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String })
                == Set(hashes))
        let listedByEnv = try await OmnistoreCLI.run(
            ["assets", "--json"], in: outside, environment: ["OMNISTORE_DIR": ws.path])
        #expect(
            Set(try JSONText.array(listedByEnv.stdout).compactMap { ($0 as? [String: Any])?["id"] as? String })
                == Set(hashes))
    }

    @Test("--store wins over OMNISTORE_DIR, which wins over the current folder")
    func precedence() async throws {
        let dir = try TemporaryDirectory("cli-precedence")
        let first = try await CLIWorkspace.make(in: dir, subfolder: "first")
        let second = try await CLIWorkspace.make(in: dir, subfolder: "second")
        let third = try await CLIWorkspace.make(in: dir, subfolder: "third")
        let wav = try first.write(WAV.data(seed: 5), to: "tone.wav")
        let hex = try await SHA256Sum.hash(wav)
        let result = try await OmnistoreCLI.run(
            ["add", "--store", second.path, wav], in: first.path, environment: ["OMNISTORE_DIR": third.path])
        #expect(result.succeeded, "\(result)")
        #expect(second.files.objectIDs() == [hex])
        #expect(first.files.objectIDs().isEmpty)
        #expect(third.files.objectIDs().isEmpty)

        let viaEnv = try await OmnistoreCLI.run(
            ["add", wav], in: first.path, environment: ["OMNISTORE_DIR": third.path])
        #expect(viaEnv.succeeded, "\(viaEnv)")
        #expect(third.files.objectIDs() == [hex])
        #expect(first.files.objectIDs().isEmpty)
    }

    @Test("--store or OMNISTORE_DIR naming a folder that is not a store is an error")
    func explicitNonStore() async throws {
        let dir = try TemporaryDirectory("cli-explicit-bad")
        try dir.makeDirectory("plain")
        let byFlag = try await OmnistoreCLI.run(["assets", "--store", dir.file("plain")], in: dir.path)
        #expect(byFlag.failedCleanly, "\(byFlag)")
        #expect(byFlag.stderrLines.count == 1 && byFlag.stderrLines[0].hasPrefix("error: "), "\(byFlag)")
        let byEnv = try await OmnistoreCLI.run(
            ["assets"], in: dir.path, environment: ["OMNISTORE_DIR": dir.file("plain")])
        #expect(byEnv.failedCleanly, "\(byEnv)")
        #expect(!fileExists(dir.file("plain/.omnistore")))
    }

    @Test("init twice is harmless and keeps the assets")
    func initTwice() async throws {
        let dir = try TemporaryDirectory("cli-init")
        let ws = try await CLIWorkspace.make(in: dir, subfolder: "ws")
        #expect(fileExists(ws.files.objectsDirectory))
        let png = try await Fixtures.copy(.png, into: ws.path)
        let hex = try await SHA256Sum.hash(png)
        #expect(try await ws.run(["add", png]).succeeded)
        let again = try await ws.run(["init"])
        #expect(again.succeeded, "\(again)")
        #expect(try await ws.assetIDs() == [hex])
        #expect(ws.files.objectIDs() == [hex])
        #expect(fileBytes(ws.files.objectPath(hex)) == fileBytes(png))
        // `init DIR` from elsewhere, on the same workspace, too.
        let elsewhere = try dir.makeDirectory("elsewhere")
        let third = try await OmnistoreCLI.run(["init", ws.path], in: elsewhere)
        #expect(third.succeeded, "\(third)")
        #expect(try await ws.assetIDs() == [hex])
    }

    @Test("init DIR creates the folder and its store")
    func initDirectory() async throws {
        let dir = try TemporaryDirectory("cli-init-dir")
        let result = try await OmnistoreCLI.run(["init", "--json", "new/workspace"], in: dir.path)
        #expect(result.succeeded, "\(result)")
        let created = try JSONText.object(result.stdout)
        #expect(created["created"] as? Bool == true)
        #expect(created["store"] as? String == dir.file("new/workspace/.omnistore"))
        let again = try JSONText.object(
            try await OmnistoreCLI.check(["init", "--json", "new/workspace"], in: dir.path).stdout)
        #expect(again["created"] as? Bool == false)
        #expect(fileExists(dir.file("new/workspace/.omnistore/objects")))
        let listed = try await OmnistoreCLI.run(["assets", "--json"], in: dir.file("new/workspace"))
        #expect(listed.succeeded, "\(listed)")
        #expect(try JSONText.array(listed.stdout).isEmpty)
    }
}
