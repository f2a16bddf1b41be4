import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small media file made with the `ffmpeg` CLI, and what omnistore should
/// make of it.
///
/// Probe values are never written here: tests read them from ffprobe. Only
/// what the specification decides (kind, acceptable MIME types) is stated.
public enum Fixture: String, CaseIterable, Sendable, CustomStringConvertible {
    case mp4H264AAC = "h264_aac.mp4"
    case mkvVP9Opus = "vp9_opus.mkv"
    case webmVP9Opus = "vp9_opus.webm"
    case webmVP8Vorbis = "vp8_vorbis.webm"
    case movRotated90 = "rotated90.mov"
    case oddSize = "odd_1279x719.mp4"
    case h264TenBit = "h264_10bit.mp4"
    case hevcTenBit = "hevc_10bit.mkv"
    case png = "still.png"
    case jpeg = "still.jpg"
    case gifStill = "still.gif"
    case gifAnimated = "animated.gif"
    case wav = "tone.wav"
    case mp3 = "tone.mp3"
    case flac = "tone.flac"
    case m4a = "tone.m4a"
    case mp3WithCoverArt = "cover.mp3"

    public var fileName: String { rawValue }

    /// The kind the specification gives this file: image, video or audio.
    public var expectedKind: String {
        switch self {
        case .png, .jpeg, .gifStill: return "image"
        case .wav, .mp3, .flac, .m4a, .mp3WithCoverArt: return "audio"
        default: return "video"
        }
    }

    /// MIME types that are right for this file (IANA names and their
    /// common aliases).
    public var acceptableMimes: Set<String> {
        switch self {
        case .mp4H264AAC, .oddSize, .h264TenBit: return ["video/mp4"]
        case .mkvVP9Opus, .hevcTenBit: return ["video/x-matroska", "video/matroska"]
        case .webmVP9Opus, .webmVP8Vorbis: return ["video/webm"]
        case .movRotated90: return ["video/quicktime"]
        case .png: return ["image/png"]
        case .jpeg: return ["image/jpeg"]
        case .gifStill, .gifAnimated: return ["image/gif"]
        case .wav: return ["audio/wav", "audio/x-wav", "audio/vnd.wave", "audio/wave"]
        case .mp3, .mp3WithCoverArt: return ["audio/mpeg"]
        case .flac: return ["audio/flac", "audio/x-flac"]
        case .m4a: return ["audio/mp4", "audio/x-m4a"]
        }
    }

    /// Fixtures this one is made from.
    var inputs: [Fixture] {
        switch self {
        case .movRotated90: return [.mp4H264AAC]
        case .mp3WithCoverArt: return [.mp3, .png]
        default: return []
        }
    }

    /// The ffmpeg arguments (after `-v error -y -nostdin`) that write `output`.
    func ffmpegArguments(output: String, inputs paths: [String]) -> [String] {
        let video = "testsrc2=size=160x120:rate=25"
        let tone48k = "sine=frequency=440:sample_rate=48000"
        let tone44k = "sine=frequency=440:sample_rate=44100"
        let vpx = ["-deadline", "realtime", "-cpu-used", "8"]
        switch self {
        case .mp4H264AAC:
            return [
                "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", tone48k, "-t", "1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", output,
            ]
        case .mkvVP9Opus, .webmVP9Opus:
            return [
                "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", tone48k, "-t", "1",
                "-c:v", "libvpx-vp9",
            ] + vpx + ["-c:a", "libopus", "-shortest", output]
        case .webmVP8Vorbis:
            return [
                "-f", "lavfi", "-i", video, "-f", "lavfi", "-i", tone44k, "-t", "1",
                "-c:v", "libvpx",
            ] + vpx + ["-c:a", "libvorbis", "-ac", "2", "-shortest", output]
        case .movRotated90:
            // FFmpeg 5.1 sets the display matrix only through the legacy tag,
            // and only when copying streams.
            return ["-i", paths[0], "-c", "copy", "-metadata:s:v:0", "rotate=90", output]
        case .oddSize:
            // testsrc (not testsrc2) keeps odd sizes; 4:4:4 lets x264 encode them.
            return [
                "-f", "lavfi", "-i", "testsrc=size=1279x719:rate=30", "-t", "0.5",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p", output,
            ]
        case .h264TenBit:
            return [
                "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=24", "-t", "1",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le", output,
            ]
        case .hevcTenBit:
            return [
                "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30000/1001", "-f", "lavfi", "-i", tone48k,
                "-t", "1", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                "-pix_fmt", "yuv420p10le", "-c:a", "flac", "-shortest", output,
            ]
        case .png:
            return ["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", output]
        case .jpeg:
            return ["-f", "lavfi", "-i", "testsrc2=size=96x64", "-frames:v", "1", output]
        case .gifStill:
            return ["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", output]
        case .gifAnimated:
            return ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-t", "1", output]
        case .wav:
            return ["-f", "lavfi", "-i", tone44k, "-t", "1", "-ac", "2", "-c:a", "pcm_s16le", output]
        case .mp3:
            return ["-f", "lavfi", "-i", tone44k, "-t", "1", "-c:a", "libmp3lame", output]
        case .flac:
            return ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=96000", "-t", "1", "-c:a", "flac", output]
        case .m4a:
            return ["-f", "lavfi", "-i", tone48k, "-t", "1.5", "-c:a", "aac", "-ac", "2", output]
        case .mp3WithCoverArt:
            return [
                "-i", paths[0], "-i", paths[1], "-map", "0:a", "-map", "1:v", "-c", "copy",
                "-disposition:v:0", "attached_pic", "-id3v2_version", "3", output,
            ]
        }
    }

    public var description: String { rawValue }
}

/// Builds fixtures once per test process, on first use, into one folder that
/// is removed when the process exits. Safe to call from parallel tests: each
/// fixture is built by exactly one task and every caller awaits it.
public enum Fixtures {
    /// The path of the shared, built fixture. Do not modify it: copy it with
    /// ``copy(_:into:as:)`` when a test needs its own file.
    public static func path(_ fixture: Fixture) async throws -> String {
        try await FixtureCache.shared.path(fixture)
    }

    /// Copies a fixture into `directory` (under `name`, or its own name) and
    /// returns the new path.
    @discardableResult
    public static func copy(_ fixture: Fixture, into directory: String, as name: String? = nil) async throws -> String {
        let source = try await path(fixture)
        let target = (directory as NSString).appendingPathComponent(name ?? fixture.fileName)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }
}

actor FixtureCache {
    static let shared = FixtureCache()

    /// One folder per test process, removed at exit.
    nonisolated static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-fixtures-\(getpid())-\(UUID().uuidString.prefix(8))"
        ).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: FixtureCache.directory)
        }
        return realPath(path)
    }()

    private var builds: [Fixture: Task<String, any Error>] = [:]

    func path(_ fixture: Fixture) async throws -> String {
        if let existing = builds[fixture] { return try await existing.value }
        let task = Task.detached { () async throws -> String in
            var inputs: [String] = []
            for input in fixture.inputs { inputs.append(try await FixtureCache.shared.path(input)) }
            let output = (FixtureCache.directory as NSString).appendingPathComponent(fixture.fileName)
            try await Tool.check(
                "ffmpeg", ["-v", "error", "-y", "-nostdin"] + fixture.ffmpegArguments(output: output, inputs: inputs))
            guard fileExists(output) else { throw TestSupportError("ffmpeg wrote no \(output)") }
            return output
        }
        builds[fixture] = task
        return try await task.value
    }
}
