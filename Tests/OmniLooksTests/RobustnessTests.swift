import Foundation
import OmniLooks
import TestSupport
import Testing

/// How far PDQ moves under common edits, measured on pictures of three
/// kinds; the table in the OmniLooks catalog (`Robustness.md`) is this
/// test's output.
@Suite struct LooksRobustness {
    static let sources: [(name: String, source: String)] = [
        ("fractal", "mandelbrot=size=1280x720"),
        ("blobs", "color=c=0x806040:size=24x14,noise=alls=100:allf=u:all_seed=3,scale=1280:720:flags=bicubic"),
        ("chart", "testsrc2=size=1280x720"),
    ]

    /// The edits, as ffmpeg arguments applied to the original PNG.
    static let edits: [(name: String, file: String, arguments: [String])] = [
        ("JPEG at q=31 (the lowest)", "q31.jpg", ["-q:v", "31"]),
        ("WebP at quality 10", "q10.webp", ["-quality", "10"]),
        ("resized to 90%", "90.png", ["-vf", "scale=1152:648"]),
        ("resized to 25%", "25.png", ["-vf", "scale=320:180"]),
        ("cropped 2% (1% each side)", "crop2.png", ["-vf", "crop=iw*0.98:ih*0.98"]),
        ("cropped 5% (2.5% each side)", "crop5.png", ["-vf", "crop=iw*0.95:ih*0.95"]),
        ("cropped 15%", "crop15.png", ["-vf", "crop=iw*0.85:ih*0.85"]),
        ("letterboxed (bars of 12.5%)", "boxed.png", ["-vf", "pad=iw:ih*1.33:0:(oh-ih)/2"]),
        ("mirrored", "mirror.png", ["-vf", "hflip"]),
    ]

    @Test("re-encodes, resizes and a 2% crop stay within 31, a 15% crop and a mirror do not; the measured table")
    func table() async throws {
        let dir = try TemporaryDirectory("pdq-robust")
        var rows: [String] = []
        var worst: [String: Int] = [:]
        var least: [String: Int] = [:]
        for source in Self.sources {
            let original = dir.file(source.name + ".png")
            try await Tool.check(
                "ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", source.source, "-frames:v", "1", original])
            let base = try #require(try LookMaker.look(ofFileAt: original).frames.first)
            var cells: [String] = []
            for edit in Self.edits {
                let edited = dir.file(source.name + "-" + edit.file)
                try await Tool.check("ffmpeg", ["-v", "error", "-y", "-i", original] + edit.arguments + [edited])
                let frame = try #require(try LookMaker.look(ofFileAt: edited).frames.first)
                let distance = frame.hash.distance(to: base.hash)
                worst[edit.name] = max(worst[edit.name] ?? 0, distance)
                least[edit.name] = min(least[edit.name] ?? 256, distance)
                cells.append(String(distance))
            }
            rows.append("| \(source.name) (quality \(base.quality)) | " + cells.joined(separator: " | ") + " |")
        }
        print("| picture | " + Self.edits.map(\.name).joined(separator: " | ") + " |")
        rows.forEach { print($0) }
        for robust in [
            "JPEG at q=31 (the lowest)", "WebP at quality 10", "resized to 90%", "resized to 25%",
            "cropped 2% (1% each side)",
        ] {
            #expect((worst[robust] ?? 256) <= PDQ.matchDistance, "\(robust): \(worst)")
        }
        // What the docs say PDQ is weak on: a larger crop, or a mirror, is a different picture.
        #expect((least["cropped 15%"] ?? 0) > PDQ.matchDistance, "\(least)")
        #expect((least["mirrored"] ?? 0) > PDQ.matchDistance, "\(least)")
    }
}
