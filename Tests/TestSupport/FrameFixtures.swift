import Foundation

/// Clips made with the ffmpeg CLI for the frame tests (thumbnails, sheets,
/// visual diff): each built once per test process, on first use.
public enum FrameClip: String, CaseIterable, Sendable, CustomStringConvertible {
    /// testsrc2 320x240 at 24 fps, 6 s, x264 with B-frames and a keyframe every 48 frames.
    case gop48 = "gop48.mp4"
    /// ``gop48`` graded (`eq=gamma=1.3`) and re-encoded the same way.
    case graded = "gop48-graded.mp4"
    /// ``gop48`` with a 90° rotation tag (stream copy into a .mov).
    case rotated = "gop48-rotate90.mov"
    /// testsrc2 240x240 with 2:1 pixels (shown 480x240).
    case anamorphic = "anamorphic-sar2.mp4"
    /// testsrc2 320x240 at 30 fps, 4 s: against ``gop48`` its rate and duration differ.
    case otherRate = "rate30-4s.mp4"
    /// A still WebP picture.
    case webp = "still.webp"
    /// ``gop48`` with its index at the front (`-movflags +faststart`), so a
    /// copy cut short still opens.
    case faststart = "gop48-faststart.mp4"

    public var fileName: String { rawValue }
    public var description: String { rawValue }

    var inputs: [FrameClip] {
        switch self {
        case .graded, .rotated, .faststart: return [.gop48]
        default: return []
        }
    }

    func ffmpegArguments(output: String, inputs paths: [String]) -> [String] {
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-g", "48", "-pix_fmt", "yuv420p"]
        switch self {
        case .gop48:
            return ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24", "-t", "6"] + x264 + [output]
        case .graded:
            return ["-i", paths[0], "-vf", "eq=gamma=1.3"] + x264 + [output]
        case .rotated:
            return ["-i", paths[0], "-c", "copy", "-metadata:s:v:0", "rotate=90", output]
        case .anamorphic:
            return ["-f", "lavfi", "-i", "testsrc2=size=240x240:rate=24", "-t", "2", "-vf", "setsar=2/1"] + x264 + [
                output
            ]
        case .otherRate:
            return ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "4"] + x264 + [output]
        case .faststart:
            return ["-i", paths[0], "-c", "copy", "-movflags", "+faststart", output]
        case .webp:
            return ["-f", "lavfi", "-i", "testsrc2=size=80x60", "-frames:v", "1", "-c:v", "libwebp", output]
        }
    }
}

/// Builds ``FrameClip``s once per test process into one folder removed at exit.
public enum FrameFixtures {
    /// The path of the shared clip; copy it before changing it.
    public static func path(_ clip: FrameClip) async throws -> String {
        try await FrameClipCache.shared.path(clip)
    }

    /// A copy of `source` cut to its first `fraction` of bytes, in `directory`.
    public static func truncatedCopy(of source: String, fraction: Double, into directory: String, as name: String)
        throws -> String
    {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        let target = (directory as NSString).appendingPathComponent(name)
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// A copy of `source` with the bytes from `start` to `end` (fractions of
    /// the size) overwritten by a fixed pseudo-random pattern.
    public static func corruptedCopy(
        of source: String, from start: Double, to end: Double, into directory: String, as name: String
    ) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: source))
        var state: UInt32 = 0x1234_5678
        for index in Int(Double(data.count) * start)..<Int(Double(data.count) * end) {
            state = state &* 1_664_525 &+ 1_013_904_223
            data[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        let target = (directory as NSString).appendingPathComponent(name)
        try data.write(to: URL(fileURLWithPath: target))
        return target
    }
}

actor FrameClipCache {
    static let shared = FrameClipCache()

    nonisolated static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-frame-clips-\(getpid())-\(UUID().uuidString.prefix(8))"
        ).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: FrameClipCache.directory)
        }
        return realPath(path)
    }()

    private var builds: [FrameClip: Task<String, any Error>] = [:]

    func path(_ clip: FrameClip) async throws -> String {
        if let existing = builds[clip] { return try await existing.value }
        let task = Task.detached { () async throws -> String in
            var inputs: [String] = []
            for input in clip.inputs { inputs.append(try await FrameClipCache.shared.path(input)) }
            let output = (FrameClipCache.directory as NSString).appendingPathComponent(clip.fileName)
            try await Tool.check(
                "ffmpeg", ["-v", "error", "-y", "-nostdin"] + clip.ffmpegArguments(output: output, inputs: inputs))
            guard fileExists(output) else { throw TestSupportError("ffmpeg wrote no \(output)") }
            return output
        }
        builds[clip] = task
        return try await task.value
    }
}
