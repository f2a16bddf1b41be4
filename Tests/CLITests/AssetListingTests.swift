import Foundation
import TestSupport
import Testing

/// `assets --on BRANCH` and the full records of `assets --json` (issue 22).
@Suite("Asset listing")
struct AssetListingTests {
    static func listed(_ filters: [String], in path: String) async throws -> [String: [String: Any]] {
        let listing = try JSONText.array(try await OmnistoreCLI.check(["assets", "--json"] + filters, in: path).stdout)
        var found: [String: [String: Any]] = [:]
        for case let asset as [String: Any] in listing { found[asset["id"] as? String ?? "?"] = asset }
        return found
    }

    @Test("--on BRANCH lists what the branch's whole history uses; --json carries meta and in_library")
    func onBranchAndRecords() async throws {
        let ws = try await CLIWorkspace.make("asset-listing")
        for (index, name) in ["logo.wav", "still.wav", "clip1.wav", "clip2.wav", "spare.wav"].enumerated() {
            try ws.write(WAV.data(seed: index, sampleCount: 300), to: name)
        }
        try await OmnistoreCLI.check(["add", "spare.wav"], in: ws.path)
        try await OmnistoreCLI.check(["record", "clip1.wav", "--ref", "logo.wav", "-m", "first"], in: ws.path)
        try await OmnistoreCLI.check(["branch", "alt"], in: ws.path)
        try await OmnistoreCLI.check(["checkout", "alt"], in: ws.path)
        try await OmnistoreCLI.check(["record", "clip2.wav", "--ref", "still.wav", "-m", "second"], in: ws.path)
        let all = try await Self.listed([], in: ws.path)
        func id(_ name: String) -> String {
            all.first { (($0.value["paths"] as? [String]) ?? []).contains { $0.hasSuffix("/" + name) } }?.key ?? "?"
        }
        #expect(all.count == 5)
        #expect(Set(try await Self.listed(["--on", "main"], in: ws.path).keys) == [id("logo.wav"), id("clip1.wav")])
        #expect(
            Set(try await Self.listed(["--on", "alt"], in: ws.path).keys)
                == [id("logo.wav"), id("clip1.wav"), id("still.wav"), id("clip2.wav")])
        #expect(
            Set(try await Self.listed(["--on", "alt", "--unused"], in: ws.path).keys).isEmpty,
            "filters combine with AND")
        let missing = try await OmnistoreCLI.run(["assets", "--on", "nope"], in: ws.path)
        #expect(missing.exitCode != 0 && missing.stderr.contains("no branch named 'nope'"), "\(missing)")
        #expect(missing.stdout.isEmpty)

        try await OmnistoreCLI.check(["meta", "spare.wav", "--tag", "b-roll", "--rate", "3"], in: ws.path)
        let records = try await Self.listed([], in: ws.path)
        let spare = try #require(records[id("spare.wav")])
        let meta = try #require(spare["meta"] as? [String: Any])
        #expect(meta["tags"] as? [String] == ["b-roll"] && meta["rating"] as? Int == 3, "\(meta)")
        #expect(spare["in_library"] as? Bool == true)
        // A --ref file joins the library; a recorded clip belongs to its turn.
        #expect(records[id("logo.wav")]?["in_library"] as? Bool == true)
        #expect(records[id("clip1.wav")]?["in_library"] as? Bool == false)
    }
}

@Suite("Asset listing by capture time")
struct AssetCaptureTimeTests {
    @Test("--taken-since reads QuickTime's creationdate (with its zone) and creation_time, as ffprobe reports them")
    func takenSince() async throws {
        let ws = try await CLIWorkspace.make("taken-since")
        // (file, metadata flags): a phone's local time with its offset, a UTC creation_time, an older one, none.
        let clips: [(String, [String])] = [
            (
                "phone.mov",
                [
                    "-movflags", "use_metadata_tags", "-metadata",
                    "com.apple.quicktime.creationdate=2026-11-01T00:30:00+0100",
                ]
            ),
            ("camera.mp4", ["-metadata", "creation_time=2026-11-05T10:00:00.000000Z"]),
            ("old.mp4", ["-metadata", "creation_time=2026-10-01T10:00:00.000000Z"]),
            ("plain.mp4", []),
        ]
        for (name, flags) in clips {
            try await Tool.check(
                "ffmpeg",
                [
                    "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1",
                    "-c:v", "mpeg4",
                ]
                    + flags + [ws.file(name)], timeout: 120)
        }
        // The oracle: what ffprobe reads back from each file.
        let probed = try await Tool.check(
            "ffprobe", ["-v", "error", "-of", "json", "-show_format", ws.file("phone.mov")])
        let format = try JSONText.object(probed.stdout)["format"] as? [String: Any]
        let phoneTags = format?["tags"] as? [String: Any]
        #expect(phoneTags?["com.apple.quicktime.creationdate"] as? String == "2026-11-01T00:30:00+0100")
        try await OmnistoreCLI.check(["add"] + clips.map(\.0), in: ws.path)
        let all = try await AssetListingTests.listed([], in: ws.path)
        func name(_ id: String) -> String {
            ((all[id]?["paths"] as? [String])?.first).map { ($0 as NSString).lastPathComponent } ?? "?"
        }
        let taken = Dictionary(uniqueKeysWithValues: all.map { (name($0.key), $0.value["taken_at"] as? String) })
        // 00:30 at +01:00 is 23:30 UTC the day before.
        #expect(taken["phone.mov"] == "2026-10-31T23:30:00.000Z", "\(taken)")
        #expect(taken["camera.mp4"] == "2026-11-05T10:00:00.000Z")
        #expect(taken["plain.mp4"] == .some(nil))
        func since(_ date: String) async throws -> Set<String> {
            Set(try await AssetListingTests.listed(["--taken-since", date], in: ws.path).keys.map(name))
        }
        #expect(try await since("2026-11-01") == ["camera.mp4"])
        #expect(try await since("2026-10-31T23:00:00Z") == ["phone.mov", "camera.mp4"])
        #expect(try await since("2026-09-01") == ["phone.mov", "camera.mp4", "old.mp4"])
        let bad = try await OmnistoreCLI.run(["assets", "--taken-since", "last tuesday"], in: ws.path)
        #expect(bad.exitCode == 64 && bad.stderr.contains("--taken-since"), "\(bad)")
    }

    /// An APP1 segment with a little-endian EXIF holding DateTimeOriginal
    /// (and OffsetTimeOriginal), as a camera writes it.
    static func exifSegment(_ original: String, offset: String?) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        let date = Array(original.utf8) + [0]
        let zone = offset.map { Array($0.utf8) + [0] }
        let entries = zone == nil ? 1 : 2
        let ifd0 = 8
        let exifIFD = ifd0 + 2 + 12 + 4
        let data = exifIFD + 2 + 12 * entries + 4
        var tiff: [UInt8] = [0x49, 0x49] + u16(42) + u32(ifd0)
        tiff += u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(exifIFD) + u32(0)
        tiff += u16(entries) + u16(0x9003) + u16(2) + u32(date.count) + u32(data)
        if let zone { tiff += u16(0x9011) + u16(2) + u32(zone.count) + u32(data + date.count) }
        tiff += u32(0) + date + (zone ?? [])
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        return [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }

    @Test("--taken-since reads a JPEG's EXIF DateTimeOriginal with its offset, as ffprobe's frame tags show it")
    func exifTakenSince() async throws {
        let ws = try await CLIWorkspace.make("taken-exif")
        try await Tool.check(
            "ffmpeg",
            [
                "-v", "error", "-y", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1",
                ws.file("base.jpg"),
            ],
            timeout: 120)
        let base = try [UInt8](Data(contentsOf: URL(fileURLWithPath: ws.file("base.jpg"))))
        for (name, offset) in [("zoned.jpg", "+02:00" as String?), ("local.jpg", nil)] {
            let bytes = Array(base[0..<2]) + Self.exifSegment("2026:11:02 08:30:00", offset: offset) + Array(base[2...])
            try Data(bytes).write(to: URL(fileURLWithPath: ws.file(name)))
        }
        // The oracle: FFmpeg's own EXIF reader, through ffprobe.
        let probed = try await Tool.check(
            "ffprobe", ["-v", "error", "-of", "json", "-show_frames", ws.file("zoned.jpg")])
        let frames = try JSONText.object(probed.stdout)["frames"] as? [[String: Any]]
        let frameTags = frames?.first?["tags"] as? [String: Any]
        #expect(frameTags?["DateTimeOriginal"] as? String == "2026:11:02 08:30:00", "\(frameTags ?? [:])")
        #expect(frameTags?["0x9011"] as? String == "+02:00")
        try await OmnistoreCLI.check(["add", "zoned.jpg", "local.jpg", "base.jpg"], in: ws.path)
        let all = try await AssetListingTests.listed([], in: ws.path)
        let taken = Dictionary(
            uniqueKeysWithValues: all.values.map {
                (
                    (($0["paths"] as? [String])?.first.map { ($0 as NSString).lastPathComponent }) ?? "?",
                    $0["taken_at"] as? String
                )
            })
        #expect(taken["zoned.jpg"] == "2026-11-02T06:30:00.000Z", "08:30 at +02:00: \(taken)")
        #expect(taken["local.jpg"] == "2026-11-02T08:30:00.000Z", "no offset: read as UTC")
        #expect(taken["base.jpg"] == .some(nil))
        let since = try await AssetListingTests.listed(["--taken-since", "2026-11-02T07:00:00Z"], in: ws.path)
        #expect(since.count == 1)
    }
}
