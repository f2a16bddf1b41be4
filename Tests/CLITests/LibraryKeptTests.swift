import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What you add is kept (issue 22): the library is every asset that was
/// added and not removed with `rm`, gc never deletes a member, and the
/// membership survives the loss of the index.
@Suite("Library: what you add is kept")
struct LibraryKeptTests {
    @Test("300 added files survive gc --prune=now; rm 10 (one a turn uses), gc, 291 remain; a rebuilt index keeps that")
    func addedIsKept() async throws {
        let ws = try await CLIWorkspace.make("library-kept")
        _ = try ws.makeDirectory("refs")
        for index in 0..<300 {
            _ = try ws.write(WAV.data(seed: index, sampleCount: 200), to: "refs/ref-\(index).wav")
        }
        let added = try JSONText.array(
            try await OmnistoreCLI.check(["add", "-r", "refs", "--json"], in: ws.path).stdout)
        // Each reference's id, by its number (add -r lists them in path order, not by number).
        var byNumber: [Int: String] = [:]
        for case let item as [String: Any] in added {
            guard let path = item["path"] as? String, let id = (item["asset"] as? [String: Any])?["id"] as? String,
                let number = Int(path.split(separator: "-").last?.split(separator: ".").first ?? "")
            else { continue }
            byNumber[number] = id
        }
        let ids = (0..<300).compactMap { byNumber[$0] }
        #expect(Set(ids).count == 300, "\(added.count) outcomes")
        _ = try ws.write(WAV.data(seed: 5_000, sampleCount: 300), to: "out.wav")
        let turn = try JSONText.object(
            try await OmnistoreCLI.check(
                ["record", "out.wav", "-m", "uses the first reference", "--ref", "refs/ref-0.wav", "--json"],
                in: ws.path
            ).stdout)
        let output = try #require(turn["output"] as? String)

        try await OmnistoreCLI.check(["gc", "--prune=now"], in: ws.path)
        #expect(ws.files.objectIDs() == Set(ids + [output]), "gc deleted added files")

        // Ten out of the library, named by path and by id prefix; ref-0 is a turn's input.
        let names = ["refs/ref-0.wav"] + (1..<9).map { "refs/ref-\($0).wav" } + [String(ids[9].prefix(16))]
        let removed = try JSONText.object(try await OmnistoreCLI.check(["rm"] + names + ["--json"], in: ws.path).stdout)
        #expect((removed["removed"] as? [String])?.count == 10, "\(removed)")
        let gc = try JSONText.object(try await OmnistoreCLI.check(["gc", "--prune=now", "--json"], in: ws.path).stdout)
        let kept = Set(ids).intersection(ws.files.objectIDs())
        #expect(kept.count == 291 && kept.contains(ids[0]), "\(kept.count) of the 300 remain; gc said \(gc)")

        // The index is lost and rebuilt: the same library, so gc removes nothing more.
        for suffix in ["", "-wal", "-shm"] { unlink(ws.path + "/.omnistore/omnistore.db" + suffix) }
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: ws.path)
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: ws.path)
        #expect(Set(ids).intersection(ws.files.objectIDs()) == kept, "the rebuilt index lost the library")

        // ref-0 is out of the library but kept by its turn: rm refuses it, with one line, and changes nothing.
        let again = try await OmnistoreCLI.run(["rm", "refs/ref-0.wav", "refs/ref-10.wav"], in: ws.path)
        #expect(!again.succeeded && again.stderr.contains("is not in the library"), "\(again)")
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        let unknown = try await OmnistoreCLI.run(["rm", "no-such-file.wav"], in: ws.path)
        #expect(!unknown.succeeded && unknown.stderr.contains("names no asset"), "\(unknown)")
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: ws.path)
        #expect(ws.files.objectIDs().contains(ids[10]), "a refused rm removed ref-10 from the library")

        // Adding a removed file again brings it back into the library.
        try await OmnistoreCLI.check(["add", "refs/ref-5.wav"], in: ws.path)
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: ws.path)
        #expect(ws.files.objectIDs().contains(ids[5]))
        try await OmnistoreCLI.check(["fsck"], in: ws.path)
    }

    @Test("a --ref file of a generation joins the library; its generated clip belongs to the turn, not the library")
    func generationReferenceJoins() async throws {
        let world = try await GenerationWorld.make("library-gen-ref")
        let png = try await Fixtures.copy(.png, into: world.ws.path)
        let pngID = try await SHA256Sum.hash(png)
        // A dry run stores the reference and sends nothing.
        try await world.check(["generate", "animate the logo", "--ref", png, "--duration", "4", "--dry-run"])
        try await world.check(["gc", "--prune=now"])
        #expect(world.ws.files.objectIDs().contains(pngID), "gc removed a --ref file")
        // Taken out of the library and used by no turn, it goes.
        try await world.check(["rm", png])
        try await world.check(["gc", "--prune=now"])
        #expect(!world.ws.files.objectIDs().contains(pngID))
    }
}
