import Foundation
import OmniMedia
import TestSupport
import Testing

@Suite struct FrameVisualDiff {
    @Test("SSIM and PSNR on luma agree with ffmpeg's ssim and psnr filters")
    func agreesWithFFmpeg() async throws {
        let a = try await FrameFixtures.path(.gop48)
        let b = try await FrameFixtures.path(.graded)
        let diff = try await onThread { try VisualDiff.compare(a, b) }
        let oracle = try await FFmpegFrames.lumaMetrics(a, b)
        #expect(abs(diff.ssim.mean - oracle.ssim) < 0.005, "SSIM \(diff.ssim.mean), ffmpeg \(oracle.ssim)")
        #expect(abs(diff.psnr.mean - oracle.psnr) < 0.5, "PSNR \(diff.psnr.mean), ffmpeg \(oracle.psnr)")
        #expect(diff.samples.count == 144)
        #expect(diff.ssim.min <= diff.ssim.mean && diff.ssim.mean <= diff.ssim.max)
        #expect(diff.psnr.min <= diff.psnr.max)
        #expect(diff.notes.isEmpty, "\(diff.notes)")
        #expect(diff.moments.count == 3)
        let times = diff.moments.map(\.time)
        for (i, first) in times.enumerated() {
            for second in times.dropFirst(i + 1) { #expect(abs(first - second) >= 0.5) }
        }
        #expect(diff.moments.map(\.ssim) == diff.moments.map(\.ssim).sorted())
        #expect(diff.moments.allSatisfy { $0.ssim <= diff.ssim.mean })
    }

    @Test("a clip against itself is identical: SSIM 1, infinite PSNR, no changed moment")
    func identical() async throws {
        let a = try await FrameFixtures.path(.gop48)
        let diff = try await onThread { try VisualDiff.compare(a, a) }
        #expect(diff.ssim.mean == 1 && diff.ssim.min == 1)
        #expect(diff.psnr.mean == .infinity)
        #expect(diff.moments.isEmpty)
    }

    @Test("different frame rates and durations are aligned by timestamp, and said so")
    func differentRates() async throws {
        let a = try await FrameFixtures.path(.gop48)
        let b = try await FrameFixtures.path(.otherRate)
        let diff = try await onThread { try VisualDiff.compare(a, b) }
        #expect(diff.notes.contains { $0.contains("frame rates differ") })
        #expect(diff.notes.contains { $0.contains("durations differ") })
        #expect(diff.samples.allSatisfy { $0.time < 4.0 + 1e-6 })
        #expect(diff.samples.allSatisfy { $0.timeA <= $0.time + 1e-6 && $0.timeB <= $0.time + 1e-6 })
        // Every frame of both clips within the 4 s they share is an event.
        #expect(diff.samples.count >= 120 && diff.samples.count <= 96 + 120)
        // testsrc2 at 24 and 30 fps shows the same pattern at the same time: mostly alike.
        #expect(diff.ssim.mean > 0.5)
    }

    @Test("different sizes are compared at A's size, and said so")
    func differentSizes() async throws {
        let a = try await FrameFixtures.path(.gop48)
        let b = try await FrameFixtures.path(.rotated)
        let diff = try await onThread { try VisualDiff.compare(a, b) }
        #expect(diff.notes.isEmpty || diff.notes.allSatisfy { !$0.isEmpty })
        #expect(diff.samples.count == 144)
    }

    @Test("the picture of the moments has A's frames above B's")
    func picture() async throws {
        let a = try await FrameFixtures.path(.gop48)
        let b = try await FrameFixtures.path(.graded)
        let picture = try await onThread { () -> RGBFrame in
            let diff = try VisualDiff.compare(a, b)
            return try diff.picture(pathA: a, pathB: b, tileWidth: 160)
        }
        #expect(picture.width == 480 && picture.height == 240)
        // The graded copy is brighter: the bottom row's luma is higher.
        func brightness(_ rows: Range<Int>) -> Int {
            var sum = 0
            for y in rows {
                for x in stride(from: 0, to: picture.width, by: 7) { sum += Int(picture.pixel(x: x, y: y).green) }
            }
            return sum
        }
        #expect(brightness(120..<240) > brightness(0..<120))
    }
}

@Suite struct FrameContactSheet {
    @Test("a 5x2 sheet of keyframes: ten cells in time order")
    func keyframes() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let sheet = try await onThread { try ContactSheet.make(path: path, columns: 5, rows: 2, tileWidth: 64) }
        #expect(sheet.image.width == 320 && sheet.image.height == 96)
        let times = sheet.times.compactMap { $0 }
        #expect(times.count == 10)
        #expect(times == times.sorted() && Set(times).count == 10, "\(times)")
    }

    @Test("an exact sheet shows the frames at evenly spaced times, like ffmpeg -ss")
    func exact() async throws {
        let path = try await FrameFixtures.path(.gop48)
        let sheet = try await onThread {
            try ContactSheet.make(path: path, columns: 3, rows: 2, tileWidth: 80, exact: true)
        }
        #expect(sheet.tileHeight == 60)
        for (index, seconds) in FrameTime.evenlySpaced(count: 6, duration: 6).enumerated() {
            let oracle = try await FFmpegFrames.frame(
                path, at: seconds, filters: "scale=80:-1:flags=bicubic", width: 80, height: 60)
            var cell = RGBFrame(width: 80, height: 60)
            cell.draw(sheet.image, x: -(index % 3) * 80, y: -(index / 3) * 60)
            #expect(try #require(cell.rgb.psnr(against: oracle)) >= 40, "cell \(index) at \(seconds) s")
        }
    }
}
