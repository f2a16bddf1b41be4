import Foundation
import OmniLooks
import OmniMedia
import TestSupport
import Testing

/// PDQ against Meta's reference (the `pdqhash` Python package) on the same
/// pixels: bit for bit, quality included.
@Suite struct LooksPDQ {
    /// `Tests/PDQOracle/pdq_oracle.py`.
    static let oracle = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PDQOracle/pdq_oracle.py").path

    /// ffmpeg sources of every kind of picture: smooth, busy, flat, tiny, odd-sized, wide and tall.
    static let pictures: [(name: String, source: String)] = [
        ("testsrc-64", "testsrc=size=64x64"),
        ("testsrc2-256", "testsrc2=size=256x256"),
        ("mandelbrot-640x360", "mandelbrot=size=640x360"),
        ("gradients-1920x1080", "gradients=size=1920x1080:seed=3"),
        ("noise-320x240", "nullsrc=size=320x240,geq=random(1)*255:128:128"),
        ("cellauto-320x240", "cellauto=size=320x240:rule=30:seed=5"),
        ("life-300x200", "life=size=300x200:seed=9:mold=10"),
        ("smptebars-97x61", "smptebars=size=97x61"),
        ("rgbtestsrc-5x5", "rgbtestsrc=size=5x5"),
        ("rgbtestsrc-4x4", "rgbtestsrc=size=4x4"),
        ("testsrc2-63x65", "testsrc2=size=63x65"),
        ("sierpinski-129x77", "sierpinski=size=129x77:seed=2"),
        ("yuvtestsrc-333x222", "yuvtestsrc=size=333x222"),
        ("mandelbrot-1024x768", "mandelbrot=size=1024x768:start_scale=1.5"),
        ("testsrc2-2000x100", "testsrc2=size=2000x100"),
        ("gradients-100x1500", "gradients=size=100x1500:seed=11"),
        ("flat-200x200", "color=c=0x336699:size=200x200"),
        ("sierpinski-640x480", "sierpinski=size=640x480:seed=7:type=triangle"),
        ("allrgb-4096", "allrgb,scale=800x800:flags=neighbor"),
        ("smptehdbars-1280x720", "smptehdbars=size=1280x720"),
        ("gradients-511x513", "gradients=size=511x513:seed=21:type=radial"),
    ]

    static func ffmpeg(_ arguments: [String]) async throws {
        try await Tool.check("ffmpeg", ["-v", "error", "-y", "-nostdin"] + arguments, timeout: 300)
    }

    /// The oracle's hash and quality.
    static func reference(_ arguments: [String]) async throws -> (hash: String, quality: Int) {
        let result = try await Tool.check("python3", [oracle] + arguments, timeout: 300)
        let words = result.stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        guard words.count == 2, let quality = Int(words[1]) else {
            throw TestSupportError("unexpected oracle output: \(result)")
        }
        return (words[0], quality)
    }

    @Test("the hash and quality of 21 pictures equal pdqhash's on the same decoded pixels, bit for bit")
    func bitExact() async throws {
        let dir = try TemporaryDirectory("pdq-exact")
        for picture in Self.pictures {
            let png = dir.file(picture.name + ".png")
            try await Self.ffmpeg(["-f", "lavfi", "-i", picture.source, "-frames:v", "1", png])
            // The full-size decode, and the reduced one the look cache hashes.
            let full = try FrameExtractor(path: png).frame(at: 0)
            var frames = [full]
            if let width = LookMaker.reducedWidth(width: full.width, height: full.height) {
                frames.append(try FrameExtractor(path: png).frame(at: 0, width: width))
            }
            for frame in frames {
                let raw = dir.file("\(picture.name)-\(frame.width)x\(frame.height).rgb")
                try Data(frame.pixels).write(to: URL(fileURLWithPath: raw))
                let expected = try await Self.reference(["raw", raw, "\(frame.width)", "\(frame.height)"])
                let got = PDQ.hash(frame)
                #expect(got.hash.hex == expected.hash, "\(picture.name) at \(frame.width)x\(frame.height)")
                #expect(got.quality == expected.quality, "\(picture.name) at \(frame.width)x\(frame.height)")
            }
        }
    }

    @Test("a JPEG hashed at reduced size is within 10 of pdqhash on ffmpeg's full-size decode")
    func endToEnd() async throws {
        let dir = try TemporaryDirectory("pdq-e2e")
        for (index, source) in [
            "mandelbrot=size=1920x1080", "testsrc2=size=1600x1200", "gradients=size=1280x960:seed=4:n=5",
        ]
        .enumerated() {
            let jpeg = dir.file("photo\(index).jpg")
            try await Self.ffmpeg(["-f", "lavfi", "-i", source, "-frames:v", "1", "-q:v", "3", jpeg])
            let look = try LookMaker.look(ofFileAt: jpeg)
            let frame = try #require(look.frames.first)
            let expected = try await Self.reference(["decode", jpeg])
            let reference = try #require(PDQHash(hex: expected.hash))
            print("\(source): distance \(frame.hash.distance(to: reference)) to pdqhash on the full-size decode")
            #expect(frame.hash.distance(to: reference) <= 10, "\(source): \(frame.hash) against \(reference)")
            #expect(abs(frame.quality - expected.quality) <= 10, "\(source)")
        }
    }
}
