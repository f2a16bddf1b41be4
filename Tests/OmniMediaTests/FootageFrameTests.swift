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
    @Test("MPEG-2 program stream (VOB): the frame at T is the frame ffmpeg shows at T",
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
