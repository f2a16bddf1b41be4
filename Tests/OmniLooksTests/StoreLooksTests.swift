import Foundation
import GRDB
import OmniCore
import OmniLooks
import TestSupport
import Testing

/// The library's look API on a store, through its async overloads.
@Suite struct LooksStore {
    @Test("dupes and --like through the library: a resize matches, an unrelated picture does not, the cache fills")
    func library() async throws {
        let dir = try TemporaryDirectory("looks-store")
        let store = try Store.create(at: dir.path).store
        let photo = dir.file("photo.png")
        try await Tool.check(
            "ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "mandelbrot=size=400x300", "-frames:v", "1", photo])
        try await Tool.check("ffmpeg", ["-v", "error", "-i", photo, "-vf", "scale=300:225", dir.file("small.png")])
        try await Tool.check(
            "ffmpeg",
            ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=400x300", "-frames:v", "1", dir.file("chart.png")])
        var ids: [String: AssetID] = [:]
        // Added as `omnistore add` adds, into the library.
        for outcome in store.add(["photo.png", "small.png", "chart.png"].map(dir.file)) {
            if case .added(let asset, let path) = outcome { ids[(path as NSString).lastPathComponent] = asset.id }
        }
        #expect(ids.count == 3)

        let report = try await store.dupes(within: PDQ.matchDistance)
        #expect(report.searched == 3)
        let pair: Set<AssetID> = [try #require(ids["photo.png"]), try #require(ids["small.png"])]
        #expect(report.sets.map { Set($0.members.map(\.asset.id)) } == [pair])
        #expect(try await store.dupes(within: PDQ.matchDistance).searched == 0)

        let matches = try await store.assets(try store.assets(), like: photo, within: 256)
        #expect(matches.first?.asset.id == ids["photo.png"] && matches.first?.distance == 0)
        #expect(matches.map(\.distance) == matches.map(\.distance).sorted())
        let looks = try store.looks(of: try store.assets())
        #expect(looks.count == 3 && looks.values.allSatisfy { $0.isStill && $0.frames.count == 1 })
        await #expect(throws: LooksError.self) { try await store.dupes(within: 257) }

        // The cache goes with its asset: deleting the asset's row, as gc
        // does, deletes its looks, searches and pairs.
        func rows() throws -> [Int] {
            try store.read("count") { db in
                try ["look", "look_search", "look_pair"].map {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? -1
                }
            }
        }
        #expect(try rows() == [3, 3, 1])
        let small = try #require(ids["small.png"]).hex
        try store.write("delete") { db in
            for table in ["asset_path WHERE asset_id", "library WHERE asset", "asset WHERE id"] {
                try db.execute(sql: "DELETE FROM \(table) = ?", arguments: [small])
            }
        }
        #expect(try rows() == [2, 2, 0])
        #expect(try await store.dupes(within: PDQ.matchDistance).sets.isEmpty)
    }
}
