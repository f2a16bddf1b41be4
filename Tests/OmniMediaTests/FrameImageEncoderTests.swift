import Foundation
import OmniMedia
import TestSupport
import Testing

@Suite struct FrameImageEncoder {
    @Test("PNG is lossless: ffmpeg reads back the same pixels")
    func png() async throws {
        let dir = try TemporaryDirectory("frames-png")
        let path = try await FrameFixtures.path(.gop48)
        let frame = try await extract(path, at: 1, width: 101)
        let png = try ImageEncoder.encode(frame, as: .png)
        #expect(ImageFormat.png.looksComplete(png))
        #expect(ImageFormat.png.dimensions(of: png)?.width == 101)
        let file = try dir.write(Data(png), to: "f.png")
        let back = try await FFmpegFrames.picture(file)
        #expect(back.psnr(against: frame.rgb) == .infinity)
    }

    /// 4:2:0 chroma (the usual JPEG) costs testsrc2's saturated color edges
    /// a few dB in RGB; luma stays well above that.
    @Test("JPEG decodes close to the original")
    func jpeg() async throws {
        let dir = try TemporaryDirectory("frames-jpeg")
        let path = try await FrameFixtures.path(.gop48)
        let frame = try await extract(path, at: 1, width: 160)
        let jpeg = try ImageEncoder.encode(frame, as: .jpeg)
        #expect(ImageFormat.jpeg.looksComplete(jpeg))
        let size = try #require(ImageFormat.jpeg.dimensions(of: jpeg))
        #expect(size.width == 160 && size.height == 120)
        let back = try await FFmpegFrames.picture(try dir.write(Data(jpeg), to: "f.jpg"))
        #expect(try #require(back.psnr(against: frame.rgb)) >= 26)
    }

    @Test("a cut-short file is not taken for a whole one")
    func incomplete() throws {
        let frame = RGBFrame(width: 8, height: 8, red: 200)
        let png = try ImageEncoder.encode(frame, as: .png)
        #expect(!ImageFormat.png.looksComplete(Array(png.dropLast(3))))
        let jpeg = try ImageEncoder.encode(frame, as: .jpeg)
        #expect(!ImageFormat.jpeg.looksComplete(Array(jpeg.dropLast(1))))
    }
}

@Suite struct FrameTimeParsing {
    @Test(
        "seconds, clock times and shares parse",
        arguments: [
            ("12.5", FrameTime.seconds(12.5)), ("00:00:12.5", .seconds(12.5)), ("1:30", .seconds(90)),
            ("01:02:03", .seconds(3723)), ("50%", .fraction(0.5)), ("0", .seconds(0)), ("100%", .fraction(1)),
        ])
    func parses(_ text: String, _ expected: FrameTime) {
        #expect(FrameTime(parsing: text) == expected)
    }

    @Test("nonsense is refused", arguments: ["", "abc", "-1", "1:60", "101%", "1.5:00", "12s", "1e3", "."])
    func refuses(_ text: String) {
        #expect(FrameTime(parsing: text) == nil)
    }

    @Test("evenly spaced times sit in the middle of their shares")
    func evenlySpaced() {
        #expect(FrameTime.evenlySpaced(count: 4, duration: 8) == [1, 3, 5, 7])
    }
}
