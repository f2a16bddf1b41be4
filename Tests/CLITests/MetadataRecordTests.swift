import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Tags, notes and ratings (issue 22): one content-addressed record per
/// call in `meta/`, a replay that is the same from any order of records,
/// and a rebuilt index that finds them all again.
@Suite("Metadata records")
struct MetadataRecordTests {
    /// The ids of `assets --json` with these filters, as a set.
    static func listed(_ filters: [String], in path: String) async throws -> Set<String> {
        let listing = try JSONText.array(try await OmnistoreCLI.check(["assets", "--json"] + filters, in: path).stdout)
        return Set(listing.compactMap { ($0 as? [String: Any])?["id"] as? String })
    }

    static func metaFiles(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/.omnistore/meta")) ?? []).sorted()
    }

    @Test(
        "meta tags, notes and rates 40 assets in one record; --tag (hierarchical) and --rating find them; a rebuild keeps it"
    )
    func tagQueryRebuild() async throws {
        let ws = try await CLIWorkspace.make("meta-records")
        _ = try ws.makeDirectory("refs")
        for index in 0..<40 { _ = try ws.write(WAV.data(seed: index, sampleCount: 100), to: "refs/r\(index).wav") }
        try await OmnistoreCLI.check(["add", "-r", "refs"], in: ws.path)
        let before = Self.metaFiles(ws.path)
        // 40 assets in one call: one record file.
        let all = (0..<40).map { "refs/r\($0).wav" }
        let tagged = try JSONText.object(
            try await OmnistoreCLI.check(["meta"] + all + ["--tag", "brand/logo/dark", "--json"], in: ws.path).stdout)
        let after = Self.metaFiles(ws.path)
        #expect(after.count == before.count + 1, "\(before.count) → \(after.count) record files")
        let recordID = try #require(tagged["record"] as? String)
        #expect(after.contains(recordID))
        // The record is named by its SHA-256.
        #expect(try await SHA256Sum.hashes([ws.path + "/.omnistore/meta/" + recordID]) == [recordID])

        // meta lists the named assets in order, each once.
        let ids = try #require((tagged["assets"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
        #expect(ids.count == 40 && Set(ids).count == 40)
        try await OmnistoreCLI.check(
            ["meta", "refs/r0.wav", "refs/r1.wav", "--tag", "launch", "--rate", "5"], in: ws.path)
        try await OmnistoreCLI.check(["meta", "refs/r2.wav", "--rate", "3", "--note", "too dark"], in: ws.path)
        try await OmnistoreCLI.check(["meta", "refs/r1.wav", "--untag", "brand/logo/dark", "--rate", "4"], in: ws.path)

        func check(_ label: String) async throws {
            #expect(
                try await Self.listed(["--tag", "brand"], in: ws.path) == Set(ids).subtracting([ids[1]]), "\(label)")
            #expect(try await Self.listed(["--tag", "brand/logo"], in: ws.path).count == 39, "\(label)")
            #expect(try await Self.listed(["--tag", "bran"], in: ws.path).isEmpty, "\(label): a prefix is not a level")
            #expect(try await Self.listed(["--tag", "launch"], in: ws.path) == [ids[0], ids[1]], "\(label)")
            #expect(try await Self.listed(["--tag", "launch", "--tag", "brand"], in: ws.path) == [ids[0]], "\(label)")
            #expect(try await Self.listed(["--rating", "4.."], in: ws.path) == [ids[0], ids[1]], "\(label)")
            #expect(try await Self.listed(["--rating", "..3"], in: ws.path) == [ids[2]], "\(label)")
            #expect(try await Self.listed(["--rating", "5", "--kind", "audio"], in: ws.path) == [ids[0]], "\(label)")
            let shown = try JSONText.object(
                try await OmnistoreCLI.check(["meta", "refs/r1.wav", "refs/r2.wav", "--json"], in: ws.path).stdout)
            let assets = try #require(shown["assets"] as? [[String: Any]])
            #expect(shown["record"] is NSNull, "\(label): showing writes no record")
            #expect(assets.count == 2)
            #expect(assets.first?["tags"] as? [String] == ["launch"], "\(label): \(assets)")
            #expect(assets.first?["rating"] as? Int == 4, "\(label): the later rating wins")
            #expect(assets.last?["note"] as? String == "too dark", "\(label)")
            #expect(assets.last?["tags"] as? [String] == ["brand/logo/dark"], "\(label)")
        }
        try await check("as recorded")
        for suffix in ["", "-wal", "-shm"] { unlink(ws.path + "/.omnistore/omnistore.db" + suffix) }
        let rebuilt = try JSONText.object(
            try await OmnistoreCLI.check(["fsck", "--rebuild-index", "--json"], in: ws.path).stdout)
        #expect(rebuilt["meta_records"] as? Int == Self.metaFiles(ws.path).count, "\(rebuilt)")
        try await check("after a rebuild")

        // Bad input: one line, exit 64, no record.
        let files = Self.metaFiles(ws.path)
        for bad in [["--rate", "6"], ["--tag", "a//b"], ["--tag", ""], ["--rate", "2", "--unrate"]] {
            let result = try await OmnistoreCLI.run(["meta", "refs/r3.wav"] + bad, in: ws.path)
            #expect(result.exitCode == 64 && !result.stderr.isEmpty, "\(bad): \(result)")
        }
        let unknown = try await OmnistoreCLI.run(["meta", "refs/none.wav", "--tag", "x"], in: ws.path)
        #expect(!unknown.succeeded && unknown.stderr.contains("names no asset"), "\(unknown)")
        #expect(Self.metaFiles(ws.path) == files, "a refused call wrote a record")
        #expect(try await OmnistoreCLI.run(["assets", "--rating", "7.."], in: ws.path).exitCode == 64)
    }

    @Test("fsck checks each metadata record against its name, and finds an indexed record whose file is gone")
    func fsckChecksRecords() async throws {
        let ws = try await CLIWorkspace.make("meta-fsck")
        for index in 0..<2 { _ = try ws.write(WAV.data(seed: index, sampleCount: 100), to: "r\(index).wav") }
        try await OmnistoreCLI.check(["add", "r0.wav", "r1.wav"], in: ws.path)
        let tagged = try JSONText.object(
            try await OmnistoreCLI.check(["meta", "r0.wav", "--tag", "a", "--json"], in: ws.path).stdout)
        let noted = try JSONText.object(
            try await OmnistoreCLI.check(["meta", "r1.wav", "--note", "b", "--json"], in: ws.path).stdout)
        try await OmnistoreCLI.check(["fsck"], in: ws.path)
        let folder = ws.path + "/.omnistore/meta/"
        let damaged = try #require(tagged["record"] as? String)
        let lost = try #require(noted["record"] as? String)
        var bytes = try #require(FileManager.default.contents(atPath: folder + damaged))
        bytes[bytes.count / 2] ^= 0x20
        try FileManager.default.removeItem(atPath: folder + damaged)
        try bytes.write(to: URL(fileURLWithPath: folder + damaged))
        try FileManager.default.removeItem(atPath: folder + lost)
        let result = try await OmnistoreCLI.run(["fsck", "--json"], in: ws.path)
        #expect(!result.succeeded)
        let report = try JSONText.object(result.stdout)
        let problems = (report["problems"] as? [[String: Any]]) ?? []
        #expect(problems.contains { $0["kind"] as? String == "bad_record" && $0["subject"] as? String == damaged })
        #expect(problems.contains { $0["kind"] as? String == "missing_record" && $0["subject"] as? String == lost })
    }

    @Test("records made in two stores merge as sets: the union of tags, and a later removal beats an older add")
    func offlineMerge() async throws {
        let ws = try await CLIWorkspace.make("meta-merge")
        _ = try ws.write(WAV.data(seed: 1, sampleCount: 100), to: "a.wav")
        try await OmnistoreCLI.check(["add", "a.wav"], in: ws.path)
        // A second store with the same bytes: records are keyed by content, not by store.
        let other = try ws.makeDirectory("other")
        try await OmnistoreCLI.check(["init"], in: other)
        _ = try ws.write(WAV.data(seed: 1, sampleCount: 100), to: "other/a.wav")
        try await OmnistoreCLI.check(["add", "a.wav"], in: other)
        let day = { (hour: Int) in ["OMNISTORE_DATE": String(format: "2026-11-02T%02d:00:00Z", hour)] }
        // 09:00 here: tag old and keep. 10:00 there: tag fresh, take keep off, rate 2. Then here, with a clock behind, rate 5.
        try await OmnistoreCLI.check(
            ["meta", "a.wav", "--tag", "old", "--tag", "keep"], in: ws.path, environment: day(9))
        try await OmnistoreCLI.check(
            ["meta", "a.wav", "--tag", "fresh", "--untag", "keep", "--rate", "2"], in: other, environment: day(10))
        try await OmnistoreCLI.check(["meta", "a.wav", "--rate", "5"], in: ws.path, environment: day(8))
        // Either store takes the other's records (as a pull does) and replays: the same state both ways.
        let mine = Self.metaFiles(ws.path)
        let theirs = Self.metaFiles(other)
        for name in theirs where !mine.contains(name) {
            try FileManager.default.copyItem(
                atPath: other + "/.omnistore/meta/" + name, toPath: ws.path + "/.omnistore/meta/" + name)
        }
        for name in mine where !theirs.contains(name) {
            try FileManager.default.copyItem(
                atPath: ws.path + "/.omnistore/meta/" + name, toPath: other + "/.omnistore/meta/" + name)
        }
        var states: [String] = []
        for store in [ws.path, other] {
            for suffix in ["", "-wal", "-shm"] { unlink(store + "/.omnistore/omnistore.db" + suffix) }
            try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: store)
            let shown = try JSONText.object(
                try await OmnistoreCLI.check(["meta", "a.wav", "--json"], in: store).stdout)
            let asset = try #require((shown["assets"] as? [[String: Any]])?.first)
            #expect(asset["tags"] as? [String] == ["fresh", "old"], "\(store): \(asset)")
            // Each store stamps a record after every record it knew, so "here"'s 08:00 rating came after its 09:00 tags, but before the other's 10:00.
            #expect(asset["rating"] as? Int == 2, "\(store): \(asset)")
            // Dictionary descriptions order keys by hash, so compare the replayed values themselves.
            states.append(
                "\(asset["tags"] as? [String] ?? []) \(asset["rating"] as? Int ?? -1) \(asset["note"] as? String ?? "")"
            )
        }
        #expect(states[0] == states[1])
    }
}
