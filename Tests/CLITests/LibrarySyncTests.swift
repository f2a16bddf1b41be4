import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The library travels (issue 22): push sends every library asset and every
/// metadata record, pull and clone bring them within the clone's filter, and
/// two clones that tag offline merge without conflict.
@Suite("Library sync")
struct LibrarySyncTests {
    /// Each asset of `assets --json`: id → its first path (relative to the workspace).
    static func assets(in path: String) async throws -> [String: String] {
        let listing = try JSONText.array(try await OmnistoreCLI.check(["assets", "--json"], in: path).stdout)
        var found: [String: String] = [:]
        for case let asset as [String: Any] in listing {
            let paths = (asset["paths"] as? [String]) ?? []
            found[asset["id"] as? String ?? "?"] = paths.first.map { String($0.dropFirst(path.count + 1)) } ?? ""
        }
        return found
    }

    /// Tags, note and rating of each named asset, as one comparable line each.
    static func metadata(_ names: [String], in path: String) async throws -> [String] {
        let shown = try JSONText.object(try await OmnistoreCLI.check(["meta"] + names + ["--json"], in: path).stdout)
        return ((shown["assets"] as? [[String: Any]]) ?? []).map { asset in
            "\(asset["id"] as? String ?? "?"): \((asset["tags"] as? [String]) ?? []) "
                + "note=\(asset["note"] as? String ?? "-") rating=\(asset["rating"] as? Int ?? -1)"
        }
    }

    static func objectName(id: String) -> String { "\(id.prefix(2))/\(id.dropFirst(2))" }

    static func dropIndex(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + "/.omnistore/omnistore.db" + suffix) }
    }

    @Test("push, then clone: the same library with its paths, tags and notes; a rebuilt clone keeps them")
    func cloneBringsLibrary() async throws {
        let dir = try TemporaryDirectory("library-sync")
        let a = try await CLIWorkspace.make(in: dir, subfolder: "a")
        _ = try a.makeDirectory("refs/logos")
        for index in 0..<12 {
            _ = try a.write(WAV.data(seed: index, sampleCount: 200), to: "refs/r\(index).wav")
        }
        _ = try a.write(WAV.data(seed: 99, sampleCount: 200), to: "refs/logos/dark.wav")
        try await OmnistoreCLI.check(["add", "-r", "refs"], in: a.path)
        try await OmnistoreCLI.check(["meta", "refs/r0.wav", "refs/r1.wav", "--tag", "launch"], in: a.path)
        try await OmnistoreCLI.check(
            ["meta", "refs/logos/dark.wav", "--tag", "brand/logo/dark", "--note", "the dark one", "--rate", "4"],
            in: a.path)
        // One turn, so the library is not the only thing pushed.
        _ = try a.write(WAV.data(seed: 500, sampleCount: 300), to: "take.wav")
        try await OmnistoreCLI.check(["record", "take.wav", "-m", "first take"], in: a.path)
        let remote = dir.path + "/remote.omni"
        try await OmnistoreCLI.check(["remote", "add", "origin", remote], in: a.path)
        let pushed = try JSONText.object(try await OmnistoreCLI.check(["push", "--json"], in: a.path).stdout)
        #expect(pushed["library_assets"] as? Int == 13, "\(pushed)")
        #expect((pushed["meta_records"] as? Int ?? 0) >= 3, "\(pushed)")
        // A second push has nothing left to send.
        let again = try JSONText.object(try await OmnistoreCLI.check(["push", "--json"], in: a.path).stdout)
        #expect(again["objects"] as? Int == 0 && again["meta_records"] as? Int == 0, "\(again)")

        try await OmnistoreCLI.check(["clone", remote, dir.path + "/b"], in: dir.path)
        let b = dir.path + "/b"
        // The turn's clip comes with its turn, without a path: it is not in the library.
        var expected = try await Self.assets(in: a.path)
        #expect(expected.count == 14 && expected.values.contains("take.wav"))
        for (id, path) in expected where path == "take.wav" { expected[id] = "" }
        #expect(try await Self.assets(in: b) == expected, "the clone has the same assets at the same paths")
        let names = ["refs/r0.wav", "refs/r1.wav", "refs/r2.wav", "refs/logos/dark.wav"]
        let metadata = try await Self.metadata(names, in: a.path)
        #expect(try await Self.metadata(names, in: b) == metadata)
        // The bytes are those of the source, by sha256sum.
        let bPaths = expected.keys.sorted().map { b + "/.omnistore/objects/\($0.prefix(2))/\($0.dropFirst(2))" }
        #expect(try await SHA256Sum.hashes(bPaths) == expected.keys.sorted())
        // The library is kept in the clone: gc removes none of it.
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: b)
        #expect(try await Self.assets(in: b).count == 14)

        // A lazy clone knows the library at once and fetches a reference's bytes on first use.
        let lazy = dir.path + "/lazy"
        let lazyClone = try JSONText.object(
            try await OmnistoreCLI.check(["clone", "--lazy", "--json", remote, lazy], in: dir.path).stdout)
        #expect(lazyClone["library_assets"] as? Int == 13, "\(lazyClone)")
        #expect(try await Self.assets(in: lazy) == expected)
        #expect(
            !FileManager.default.fileExists(
                atPath: lazy + "/.omnistore/objects/"
                    + Self.objectName(id: expected.first { $0.value == "refs/logos/dark.wav" }?.key ?? "")))
        try await OmnistoreCLI.check(["export", "refs/logos/dark.wav", "-o", dir.path + "/dark.wav"], in: lazy)
        #expect(try await SHA256Sum.hash(dir.path + "/dark.wav") == SHA256Sum.hash(a.file("refs/logos/dark.wav")))

        Self.dropIndex(b)
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: b)
        #expect(try await Self.assets(in: b) == expected, "a rebuilt clone has its paths")
        #expect(try await Self.metadata(names, in: b) == metadata, "and its tags")
        try await OmnistoreCLI.check(["gc", "--prune=now"], in: b)
        #expect(try await Self.assets(in: b).count == 14, "and its library")
    }

    @Test(
        "two clones tag offline, then push and pull both ways: the union of tags; a later removal beats an older add"
    )
    func offlineTagsMerge() async throws {
        let dir = try TemporaryDirectory("library-merge")
        let a = try await CLIWorkspace.make(in: dir, subfolder: "a")
        _ = try a.makeDirectory("refs")
        for index in 0..<3 { _ = try a.write(WAV.data(seed: index, sampleCount: 200), to: "refs/r\(index).wav") }
        try await OmnistoreCLI.check(["add", "-r", "refs"], in: a.path)
        try await OmnistoreCLI.check(["meta", "refs/r0.wav", "--tag", "shared"], in: a.path)
        let remote = dir.path + "/remote.omni"
        try await OmnistoreCLI.check(["remote", "add", "origin", remote], in: a.path)
        try await OmnistoreCLI.check(["push"], in: a.path)
        let b = dir.path + "/b"
        try await OmnistoreCLI.check(["clone", remote, b], in: dir.path)
        let at = { (hour: Int) in ["OMNISTORE_DATE": String(format: "2026-11-03T%02d:00:00Z", hour)] }
        // Offline: a tags at 09:00 and removes r2 from the library; b untags "shared" at 10:00 and tags its own.
        try await OmnistoreCLI.check(
            ["meta", "refs/r0.wav", "refs/r1.wav", "--tag", "from-a"], in: a.path, environment: at(9))
        try await OmnistoreCLI.check(["rm", "refs/r2.wav"], in: a.path, environment: at(9))
        try await OmnistoreCLI.check(
            ["meta", "refs/r0.wav", "--untag", "shared", "--tag", "from-b"], in: b, environment: at(10))
        try await OmnistoreCLI.check(["meta", "refs/r2.wav", "--tag", "from-b"], in: b, environment: at(8))
        // Both push and pull, in both orders.
        try await OmnistoreCLI.check(["push"], in: a.path)
        try await OmnistoreCLI.check(["pull"], in: b)
        try await OmnistoreCLI.check(["push"], in: b)
        try await OmnistoreCLI.check(["pull"], in: a.path)
        let names = ["refs/r0.wav", "refs/r1.wav", "refs/r2.wav"]
        let stateA = try await Self.metadata(names, in: a.path)
        let stateB = try await Self.metadata(names, in: b)
        #expect(stateA == stateB, "no conflict: the same state on both sides")
        #expect(stateA[0].contains(#"["from-a", "from-b"]"#), "r0: the union, and b's later untag won: \(stateA)")
        #expect(stateA[1].contains(#"["from-a"]"#), "\(stateA)")
        // a's removal of r2 from the library reached b: its gc takes it, and a's does too.
        for store in [a.path, b] {
            try await OmnistoreCLI.check(["gc", "--prune=now"], in: store)
            let left = try await Self.assets(in: store)
            #expect(left.count == 2 && !left.values.contains("refs/r2.wav"), "\(store): \(left)")
        }
    }

    @Test("clone --only-used, --max-size and --tag bring only what they admit, and a later pull keeps the filter")
    func cloneFilters() async throws {
        let dir = try TemporaryDirectory("library-filter")
        let a = try await CLIWorkspace.make(in: dir, subfolder: "a")
        _ = try a.makeDirectory("refs")
        // Two small tagged, one small untagged, one large tagged (about 160 KB).
        for index in 0..<3 { _ = try a.write(WAV.data(seed: index, sampleCount: 200), to: "refs/small\(index).wav") }
        _ = try a.write(WAV.data(seed: 7, sampleCount: 80_000), to: "refs/large.wav")
        try await OmnistoreCLI.check(["add", "-r", "refs"], in: a.path)
        try await OmnistoreCLI.check(
            ["meta", "refs/small0.wav", "refs/small1.wav", "refs/large.wav", "--tag", "launch/refs"], in: a.path)
        _ = try a.write(WAV.data(seed: 500, sampleCount: 300), to: "take.wav")
        try await OmnistoreCLI.check(["record", "take.wav", "-m", "first take"], in: a.path)
        let remote = dir.path + "/remote.omni"
        try await OmnistoreCLI.check(["remote", "add", "origin", remote], in: a.path)
        try await OmnistoreCLI.check(["push"], in: a.path)

        func cloned(_ name: String, _ flags: [String]) async throws -> Set<String> {
            try await OmnistoreCLI.check(["clone"] + flags + [remote, dir.path + "/" + name], in: dir.path)
            return Set(try await Self.assets(in: dir.path + "/" + name).values)
        }
        #expect(try await cloned("used", ["--only-used"]) == [""])
        #expect(
            try await cloned("small", ["--max-size", "10K"])
                == ["", "refs/small0.wav", "refs/small1.wav", "refs/small2.wav"])
        #expect(
            try await cloned("tagged", ["--tag", "launch"])
                == ["", "refs/small0.wav", "refs/small1.wav", "refs/large.wav"])
        #expect(
            try await cloned("both", ["--tag", "launch", "--max-size", "10K"])
                == ["", "refs/small0.wav", "refs/small1.wav"])

        // The filter is the clone's setting: a pull after new adds still applies it.
        _ = try a.write(WAV.data(seed: 20, sampleCount: 200), to: "refs/new-tagged.wav")
        _ = try a.write(WAV.data(seed: 21, sampleCount: 200), to: "refs/new-plain.wav")
        try await OmnistoreCLI.check(["add", "refs/new-tagged.wav", "refs/new-plain.wav"], in: a.path)
        try await OmnistoreCLI.check(["meta", "refs/new-tagged.wav", "--tag", "launch"], in: a.path)
        try await OmnistoreCLI.check(["push"], in: a.path)
        try await OmnistoreCLI.check(["pull"], in: dir.path + "/tagged")
        #expect(
            Set(try await Self.assets(in: dir.path + "/tagged").values)
                == ["", "refs/small0.wav", "refs/small1.wav", "refs/large.wav", "refs/new-tagged.wav"])
        try await OmnistoreCLI.check(["pull"], in: dir.path + "/used")
        #expect(Set(try await Self.assets(in: dir.path + "/used").values) == [""])

        // Bad filters: one line, exit 64, no folder made.
        for bad in [["--max-size", "lots"], ["--tag", "a//b"], ["--only-used", "--tag", "x"]] {
            let result = try await OmnistoreCLI.run(["clone"] + bad + [remote, dir.path + "/bad"], in: dir.path)
            #expect(result.exitCode == 64 && !result.stderr.isEmpty, "\(bad): \(result)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/bad"))
        }
    }
}
