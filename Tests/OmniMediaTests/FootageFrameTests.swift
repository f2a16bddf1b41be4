import Foundation
import OmniMedia
import TestSupport
import Testing

/// Expects the extractor's frame at `seconds` to be the one ffmpeg shows
/// there (``FootageOracle``), 160 pixels wide.
func expectFootageFrame(_ clip: FootageClip, at seconds: Double) async throws {
    let path = try await FootageCorpus.path(clip)
    let ours = try await extract(path, at: seconds, width: 160)
    #expect(ours.width == 160)
    let oracle = try await FootageOracle.frame(path, at: seconds, width: 160, height: ours.height)
    let psnr = try #require(ours.rgb.psnr(against: oracle))
    #expect(psnr >= 40, "\(clip) at \(seconds) s: PSNR \(psnr) dB against ffmpeg's frame")
}

@Suite struct FootageSeeking {
    /// The demuxer seeks by a binary search over timestamps and lands between
    /// keyframes; the first timestamp is about 1.4 s.
    @Test("MPEG-TS: the frame at T is the frame ffmpeg shows at T", arguments: [0.0, 1, 2.5, 3.1, 5])
    func transportStream(_ seconds: Double) async throws {
        try await expectFootageFrame(.transportStream, at: seconds)
    }

    /// 0.43 s is a B-frame shown before the I-frame it follows in decode
    /// order, and refers to the GOP before it.
    @Test(
        "MPEG-2 program stream (VOB): the frame at T is the frame ffmpeg shows at T",
        arguments: [0.2, 0.43, 1.5, 3, 5.5])
    func programStream(_ seconds: Double) async throws {
        try await expectFootageFrame(.vob, at: seconds)
    }

    @Test("MPEG-TS: every cell of a keyframe sheet is decoded, in time order")
    func transportStreamSheet() async throws {
        let path = try await FootageCorpus.path(.transportStream)
        let sheet = try await onThread { try ContactSheet.make(path: path, columns: 5, rows: 2, tileWidth: 64) }
        let times = sheet.times.compactMap { $0 }
        #expect(times.count == 10, "\(sheet.times)")
        #expect(times == times.sorted() && Set(times).count == 10, "\(times)")
    }
}

@Suite struct ContactSheetGaps {
    @Test(
        "a sheet of a truncated clip has no black cell: cells past the cut show the last frame, and say so",
        arguments: [false, true])
    func truncated(exact: Bool) async throws {
        let dir = try TemporaryDirectory("sheet-truncated")
        let source = try await FrameFixtures.path(.faststart)
        let path = try FrameFixtures.truncatedCopy(of: source, fraction: 0.5, into: dir.path, as: "cut.mp4")
        let sheet = try await onThread {
            try ContactSheet.make(path: path, columns: 5, rows: 2, tileWidth: 64, exact: exact)
        }
        let asked = FrameTime.evenlySpaced(count: 10, duration: 6)
        // Every cell has a picture: none is left black.
        for index in 0..<10 {
            var cell = RGBFrame(width: 64, height: 48)
            cell.draw(sheet.image, x: -(index % 5) * 64, y: -(index / 5) * 48)
            let brightness = cell.pixels.reduce(0) { $0 + Int($1) }
            #expect(brightness > 64 * 48 * 3 * 20, "cell \(index) (\(asked[index]) s) is black")
        }
        // The cut is about 3 s in: the late cells are substitutes, named with why.
        let late = Set(sheet.substitutes.map(\.cell))
        #expect(late.isSuperset(of: [6, 7, 8, 9]), "\(sheet.substitutes)")
        #expect(!late.contains(0) && !late.contains(1), "\(sheet.substitutes)")
        for substitute in sheet.substitutes {
            #expect(substitute.shown < substitute.time && substitute.shown < 3.5, "\(substitute)")
            #expect(abs(substitute.time - asked[substitute.cell]) < 1e-9)
            #expect(!substitute.reason.isEmpty && !substitute.reason.contains("\n"))
        }
    }
}
