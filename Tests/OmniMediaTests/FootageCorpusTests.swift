import Foundation
import OmniMedia
import TestSupport
import Testing

/// An upright H.264 re-encode of `path` (ffmpeg autorotates it), every frame
/// kept at its time, written into `directory`.
func uprightReencode(_ path: String, into directory: String) async throws -> String {
    let output = (directory as NSString).appendingPathComponent("upright.mp4")
    try await Tool.check(
        "ffmpeg",
        [
            "-v", "error", "-nostdin", "-y", "-i", path, "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12",
            "-pix_fmt", "yuv420p", "-vsync", "passthrough", output,
        ], timeout: 300)
    return output
}

@Suite struct FootageVisualDiff {
    /// ffmpeg autorotates both inputs of its ssim filter; so must the diff.
    @Test(
        "a rotated phone clip against its upright re-encode scores as ffmpeg's autorotated ssim",
        arguments: [FootageClip.hevcRotate90, .hevcRotate270])
    func rotated(_ clip: FootageClip) async throws {
        let dir = try TemporaryDirectory("diff-rotated")
        let path = try await FootageCorpus.path(clip)
        let upright = try await uprightReencode(path, into: dir.path)
        let diff = try await onThread { try VisualDiff.compare(path, upright) }
        let oracle = try await FFmpegFrames.lumaMetrics(path, upright)
        #expect(diff.ssim.mean >= oracle.ssim - 0.01, "\(clip): SSIM \(diff.ssim.mean), ffmpeg \(oracle.ssim)")
        #expect(diff.ssim.mean > 0.95, "\(clip): SSIM \(diff.ssim.mean)")
        #expect(diff.a.width == 240 && diff.a.height == 320, "\(diff.a)")
        #expect(!diff.notes.contains { $0.contains("sizes differ") }, "\(diff.notes)")
        // The picture of the moments is upright too: portrait tiles.
        let picture = try await onThread { try diff.picture(pathA: path, pathB: upright, tileWidth: 60) }
        #expect(picture.height == 2 * 80, "\(picture.width)x\(picture.height)")
    }

    @Test("an MP4 whose audio starts first and its stream-copied TS: 100 pairs, SSIM 1")
    func audioFirst() async throws {
        let mp4 = try await FootageCorpus.path(.audioFirst)
        let ts = try await FootageCorpus.path(.audioFirstTS)
        let diff = try await onThread { try VisualDiff.compare(mp4, ts) }
        #expect(diff.samples.count == 100, "\(diff.samples.count) pairs")
        #expect(diff.ssim.min == 1 && diff.ssim.mean == 1, "SSIM mean \(diff.ssim.mean), min \(diff.ssim.min)")
        #expect(abs(diff.a.videoStart - 0.48) < 0.01 && abs(diff.b.videoStart - 0.501) < 0.01, "\(diff.a) \(diff.b)")
        #expect(diff.notes.contains { $0.contains("aligned by each clip's first video frame") }, "\(diff.notes)")
        // Each side's time is on its own file's clock, as thumbnails count it.
        let first = try #require(diff.samples.first)
        #expect(first.time == 0 && abs(first.timeA - 0.48) < 0.01 && abs(first.timeB - 0.501) < 0.01)
    }
}

@Suite struct FootageCorpusFrames {
    @Test(
        "thumbnails at five times are ffmpeg's frames; diff --visual against an upright re-encode ≥ ffmpeg's ssim − 0.01",
        arguments: FootageClip.allCases)
    func corpus(_ clip: FootageClip) async throws {
        let path = try await FootageCorpus.path(clip)
        let duration = try #require(try await onThread { try FrameExtractor(path: path).duration })
        for share in [0.0, 0.25, 0.5, 0.75, 0.95] {
            try await expectFootageFrame(clip, at: duration * share)
        }
        let dir = try TemporaryDirectory("corpus-diff")
        let upright = try await uprightReencode(path, into: dir.path)
        let diff = try await onThread { try VisualDiff.compare(path, upright) }
        let oracle = try await FFmpegFrames.lumaMetrics(path, upright)
        #expect(diff.ssim.mean >= oracle.ssim - 0.01, "\(clip): SSIM \(diff.ssim.mean), ffmpeg \(oracle.ssim)")
        print("corpus \(clip): SSIM \(diff.ssim.mean) over \(diff.samples.count) pairs, ffmpeg \(oracle.ssim)")
    }
}
