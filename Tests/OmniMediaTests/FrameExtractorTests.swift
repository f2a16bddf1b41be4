import Foundation
import OmniMedia
import TestSupport
import Testing

extension RGBFrame {
    var rgb: FrameRGB { FrameRGB(width: width, height: height, bytes: pixels) }
}

/// Takes a frame in-process on a thread of its own (the extractor blocks).
func extract(_ path: String, at seconds: Double, width: Int?) async throws -> RGBFrame {
    try await onThread { try FrameExtractor(path: path).frame(at: seconds, width: width) }
}

@Suite struct FrameExtractorAgreesWithFFmpeg {
    /// Times on and between frames, on keyframes (every 2 s) and just before them.
    @Test(
        "the frame at T is ffmpeg -ss T's frame, and not its neighbour",
        arguments: [0.0, 0.5, 1.99, 2.0, 2.01, 3.3, 4.0, 4.97, 5.9])
    func exactFrame(_ seconds: Double) async throws {
        let path = try await FrameFixtures.path(.gop48)
        let ours = try await extract(path, at: seconds, width: 160)
        #expect(ours.width == 160 && ours.height == 120)
        let oracle = try await FFmpegFrames.frame(
            path, at: seconds, filters: "scale=160:-1:flags=bicubic", width: 160, height: 120)
        let psnr = try #require(ours.rgb.psnr(against: oracle))
        #expect(psnr >= 40, "PSNR \(psnr) dB against ffmpeg at \(seconds) s")

        // The neighbouring frames must be clearly further off, so an
        // off-by-one frame cannot pass.
        let times = try await FFmpegFrames.frameTimes(path)
        let index = try #require(times.firstIndex { $0 >= seconds - 1e-6 })
        for neighbour in [index - 1, index + 1] where times.indices.contains(neighbour) {
            let other = try await FFmpegFrames.frame(
                path, at: times[neighbour], filters: "scale=160:-1:flags=bicubic", width: 160, height: 120)
            let off = try #require(ours.rgb.psnr(against: other))
            #expect(off < psnr - 6 && off < 36, "frame \(neighbour) is as close (\(off) dB) as the target (\(psnr) dB)")
        }
        #expect(abs(ours.time - times[index]) < 1e-3, "time \(ours.time), expected \(times[index])")
    }

    @Test("several times from one extractor, in any order, match single requests")
    func severalFrames() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let times = [4.6, 0.3, 0.45, 2.2, 2.25, 5.5]
        let frames = try await onThread { try FrameExtractor(path: path).frames(at: times, width: 96) }
        #expect(frames.count == times.count)
        for (seconds, frame) in zip(times, frames) {
            let oracle = try await FFmpegFrames.frame(
                path, at: seconds, filters: "scale=96:-1:flags=bicubic", width: 96, height: 72)
            let psnr = try #require(frame.rgb.psnr(against: oracle))
            #expect(psnr >= 40, "PSNR \(psnr) dB at \(seconds) s")
        }
    }

    @Test("a 90° rotated phone video comes out upright, as ffmpeg's autorotation")
    func rotated() async throws {
        let path = try await FrameFixtures.path(.rotated)
        let ours = try await extract(path, at: 1.5, width: 120)
        #expect(ours.width == 120 && ours.height == 160, "got \(ours.width)x\(ours.height)")
        let oracle = try await FFmpegFrames.frame(
            path, at: 1.5, filters: "scale=120:-1:flags=bicubic", width: 120, height: 160)
        let psnr = try #require(ours.rgb.psnr(against: oracle))
        #expect(psnr >= 40, "PSNR \(psnr) dB against ffmpeg's autorotated frame")
        // Not the unrotated picture squeezed into the same box.
        let unrotated = try await FFmpegFrames.frame(
            path, at: 1.5, filters: "scale=120:160:flags=bicubic", width: 120, height: 160,
            inputOptions: ["-noautorotate"])
        #expect(try #require(ours.rgb.psnr(against: unrotated)) < 25)
    }

    /// ffmpeg leaves the sample aspect ratio to the player: `-frames:v 1`
    /// gives the coded pixels, and so do thumbnails.
    @Test("non-square pixels keep ffmpeg's coded size: the sample aspect ratio is not applied")
    func anamorphic() async throws {
        let path = try await FrameFixtures.path(.anamorphic)
        let natural = try await extract(path, at: 1, width: nil)
        #expect(natural.width == 240 && natural.height == 240, "got \(natural.width)x\(natural.height)")
        let naturalOracle = try await FFmpegFrames.frame(path, at: 1, filters: nil, width: 240, height: 240)
        #expect(try #require(natural.rgb.psnr(against: naturalOracle)) >= 40)
        let ours = try await extract(path, at: 1, width: 160)
        #expect(ours.width == 160 && ours.height == 160)
        let oracle = try await FFmpegFrames.frame(
            path, at: 1, filters: "scale=160:-1:flags=bicubic", width: 160, height: 160)
        #expect(try #require(ours.rgb.psnr(against: oracle)) >= 40)
    }

    @Test("odd sizes keep every pixel and scale as scale=W:-1 rounds")
    func oddSize() async throws {
        let path = try await Fixtures.path(.oddSize)
        let full = try await extract(path, at: 0.2, width: nil)
        #expect(full.width == 1279 && full.height == 719)
        let fullOracle = try await FFmpegFrames.frame(path, at: 0.2, filters: nil, width: 1279, height: 719)
        #expect(try #require(full.rgb.psnr(against: fullOracle)) >= 40)
        let small = try await extract(path, at: 0.2, width: 321)
        #expect(small.width == 321 && small.height == 180)
        let smallOracle = try await FFmpegFrames.frame(
            path, at: 0.2, filters: "scale=321:-1:flags=bicubic", width: 321, height: 180)
        #expect(try #require(small.rgb.psnr(against: smallOracle)) >= 40)
    }

    @Test("10-bit video converts like ffmpeg", arguments: [Fixture.h264TenBit, .hevcTenBit])
    func tenBit(_ fixture: Fixture) async throws {
        let path = try await Fixtures.path(fixture)
        let ours = try await extract(path, at: 0.5, width: 160)
        #expect(ours.width == 160 && ours.height == 120)
        let oracle = try await FFmpegFrames.frame(
            path, at: 0.5, filters: "scale=160:-1:flags=bicubic", width: 160, height: 120)
        #expect(try #require(ours.rgb.psnr(against: oracle)) >= 40)
    }

    @Test("a time past the end is an error that states the duration")
    func pastTheEnd() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let error = await #expect(throws: MediaError.self) { try await extract(path, at: 7, width: 64) }
        #expect(error?.code == .outOfRange)
        #expect(error?.message.contains("duration 6") == true, "\(String(describing: error))")
        // The very end is the last frame, not an error.
        let last = try await extract(path, at: 6, width: 64)
        #expect(last.time > 5.9)
    }

    @Test("keyframe(at:) is the keyframe at or before the time")
    func keyframe() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let frame = try await onThread { try FrameExtractor(path: path).keyframe(at: 3.3, width: 64) }
        #expect(abs(frame.time - 2) < 1e-3, "keyframe at \(frame.time)")
    }

    @Test("nextFrame reads every frame in order")
    func sequential() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let times = try await onThread { () -> [Double] in
            let extractor = try FrameExtractor(path: path)
            var times: [Double] = []
            while let frame = try extractor.nextFrame(width: 16) { times.append(frame.time) }
            return times
        }
        let oracle = try await FFmpegFrames.frameTimes(path)
        #expect(times.count == oracle.count)
        #expect(zip(times, oracle).allSatisfy { abs($0 - $1) < 1e-3 })
    }
}

@Suite struct FrameExtractorStillImages {
    @Test("still images are their own frame, at any time", arguments: [Fixture.png, .jpeg, .gifStill])
    func stills(_ fixture: Fixture) async throws {
        let path = try await Fixtures.path(fixture)
        try await check(path)
    }

    @Test("a WebP still works too")
    func webp() async throws {
        try await check(try await FrameFixtures.path(.webp))
    }

    private func check(_ path: String) async throws {
        let oracle = try await FFmpegFrames.picture(path)
        let ours = try await extract(path, at: 3, width: nil)
        #expect(ours.width == oracle.width && ours.height == oracle.height)
        #expect(try #require(ours.rgb.psnr(against: oracle)) >= 40)
        let scaled = try await extract(path, at: 0, width: 32)
        #expect(scaled.width == 32)
    }
}

@Suite struct FrameExtractorBadInput {
    @Test("a truncated video gives the frames it has, or a clear error, never a crash")
    func truncated() async throws {
        let dir = try TemporaryDirectory("frames-truncated")
        let source = try await FrameFixtures.path(.gop48)
        let path = try FrameFixtures.truncatedCopy(of: source, fraction: 0.5, into: dir.path, as: "cut.mp4")
        for seconds in [0.5, 2.5, 5.5] {
            do {
                let frame = try await extract(path, at: seconds, width: 64)
                #expect(frame.width == 64)
            } catch let error as MediaError {
                #expect(!error.message.isEmpty && !error.message.contains("\n"))
            }
        }
    }

    @Test("a video with damaged bytes gives frames or a one-line error")
    func corrupted() async throws {
        let dir = try TemporaryDirectory("frames-corrupt")
        let source = try await FrameFixtures.path(.gop48)
        let path = try FrameFixtures.corruptedCopy(of: source, from: 0.3, to: 0.6, into: dir.path, as: "bad.mp4")
        for seconds in [0.2, 2.5, 4.0, 5.8] {
            do {
                _ = try await extract(path, at: seconds, width: 64)
            } catch let error as MediaError {
                #expect(!error.message.contains("\n"))
            }
        }
    }

    @Test("bytes that are not media are refused with a MediaError")
    func notMedia() async throws {
        let dir = try TemporaryDirectory("frames-garbage")
        let path = try dir.write(Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }), to: "noise.mp4")
        await #expect(throws: MediaError.self) { try await extract(path, at: 0, width: 64) }
        let empty = try dir.write(Data(), to: "empty.mp4")
        await #expect(throws: MediaError.self) { try await extract(empty, at: 0, width: 64) }
    }

    @Test("audio has no frames to take")
    func audio() async throws {
        let path = try await Fixtures.path(.wav)
        await #expect(throws: MediaError.self) { try await extract(path, at: 0, width: 64) }
    }
}
