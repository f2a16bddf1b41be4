import Foundation
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
        for name in ["photo.png", "small.png", "chart.png"] { ids[name] = try store.add(file: dir.file(name)).asset.id }

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
    }
}
