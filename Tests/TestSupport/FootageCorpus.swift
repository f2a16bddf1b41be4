import Foundation

/// Real-footage shapes (issue 20, section 6), made with the ffmpeg CLI at
/// test time: small (320 px, about 2 s) except where the shape needs more.
public enum FootageClip: String, CaseIterable, Sendable, CustomStringConvertible {
    /// HEVC 10-bit in a .mov, as coded (the input of the rotated clips).
    case hevcTenBit = "hevc10.mov"
    /// ``hevcTenBit`` with a 90° display matrix (stream-copy remux).
    case hevcRotate90 = "hevc10-rotate90.mov"
    /// ``hevcTenBit`` with a 270° display matrix (ffprobe reads it back as -90).
    case hevcRotate270 = "hevc10-rotate270.mov"
    /// ``hevcTenBit`` mirrored left to right by its display matrix, written
    /// into the track header (the ffmpeg CLI cannot write a flip).
    case hevcFlipHorizontal = "hevc10-hflip.mov"
    /// ``hevcTenBit`` turned upside down by a mirror top to bottom in its display matrix.
    case hevcFlipVertical = "hevc10-vflip.mov"
    /// H.264 + AAC in MPEG-TS, whose first timestamp is about 1.4 s (the muxer's default).
    case transportStream = "h264.ts"
    /// MPEG-2 + MP2 in a DVD program stream, with B-frames and open GOPs.
    case vob = "mpeg2.vob"
    /// Six frames of interlaced 1080i25 H.264 (top field first).
    case interlaced = "h264-1080i25.mp4"
    /// 720x576 at SAR 16:15 (displayed 768x576).
    case anamorphic = "pal-sar16-15.mp4"
    /// Variable frame rate: 25 fps for 1 s, then 12.5 fps.
    case variableRate = "vfr.mp4"
    /// Audio starting 0.5 s before the video's 100 frames.
    case audioFirst = "audio-first.mp4"
    /// ``audioFirst`` stream-copied into MPEG-TS: the same frames.
    case audioFirstTS = "audio-first.ts"
    /// An MP4 whose first packets are not keyframes (`-c copy -copyinkf` after an output `-ss`).
    case nonKeyframeFirst = "nonkey-first.mp4"
    /// VP9 + Opus in WebM.
    case vp9 = "vp9-opus.webm"
    /// ProRes 422 Proxy in a .mov.
    case prores = "prores.mov"
    /// H.264 with no audio stream.
    case noAudio = "noaudio.mp4"

    public var fileName: String { rawValue }
    public var description: String { rawValue }

    /// Clips this one is made from.
    var inputs: [FootageClip] {
        switch self {
        case .hevcRotate90, .hevcRotate270, .hevcFlipHorizontal, .hevcFlipVertical: return [.hevcTenBit]
        case .audioFirstTS: return [.audioFirst]
        default: return []
        }
    }

    func ffmpegArguments(output: String, inputs paths: [String]) -> [String] {
        let video = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]
        let audio = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000"]
        let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
        switch self {
        case .hevcTenBit:
            return video + [
                "-t", "2", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1", output,
            ]
        case .hevcRotate90:
            return ["-i", paths[0], "-c", "copy", "-metadata:s:v:0", "rotate=90", output]
        case .hevcRotate270:
            return ["-i", paths[0], "-c", "copy", "-metadata:s:v:0", "rotate=270", output]
        case .hevcFlipHorizontal, .hevcFlipVertical:
            return []  // made by ``FootageCache/mirrored(_:into:horizontally:)``
        case .transportStream:
            return video + audio + ["-t", "6", "-g", "50"] + x264 + ["-c:a", "aac", output]
        case .vob:
            return video + audio + [
                "-t", "6", "-c:v", "mpeg2video", "-g", "12", "-bf", "2", "-b:v", "2M", "-c:a", "mp2", "-f", "vob",
                output,
            ]
        case .interlaced:
            return [
                "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-frames:v", "6", "-vf",
                "tinterlace=interleave_top,fieldorder=tff", "-c:v", "libx264", "-preset", "ultrafast", "-flags",
                "+ildct+ilme", "-x264opts", "tff=1", output,
            ]
        case .anamorphic:
            return ["-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25", "-t", "2", "-vf", "setsar=16/15"] + x264
                + [output]
        case .variableRate:
            return video + [
                "-t", "2", "-vf", "setpts='if(lt(N,25),N/25/TB,(25+(N-25)*2)/25/TB)'", "-vsync", "vfr",
            ] + x264 + [output]
        case .audioFirst:
            // 100 frames from 0.5 s, audio from 0; passthrough keeps the mp4
            // muxer from filling the first 0.5 s with copies of the first frame.
            return ["-f", "lavfi", "-t", "4.5", "-i", "testsrc2=size=320x240:rate=25"] + audio + [
                "-filter_complex", "[0:v]trim=start=0.5,setpts=PTS-STARTPTS+0.5/TB[v]", "-map", "[v]",
                "-map", "1:a", "-g", "25", "-vsync", "passthrough",
            ] + x264 + ["-c:a", "aac", "-t", "4.5", output]
        case .audioFirstTS:
            return ["-i", paths[0], "-c", "copy", output]
        case .nonKeyframeFirst:
            // The whole clip, keyframes every 2 s; ``FootageCache`` then cuts
            // 0.5 s in by stream copy, keeping the non-keyframes before the next keyframe.
            return video + audio + ["-t", "4", "-g", "50"] + x264 + ["-c:a", "aac", output]
        case .vp9:
            return video + audio + [
                "-t", "2", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k", "-c:a",
                "libopus", output,
            ]
        case .prores:
            return video + ["-t", "2", "-c:v", "prores_ks", "-profile:v", "0", output]
        case .noAudio:
            return video + ["-t", "2"] + x264 + ["-an", output]
        }
    }
}

/// Builds ``FootageClip``s once per test process into one folder removed at exit.
public enum FootageCorpus {
    /// The path of the shared clip; copy it before changing it.
    public static func path(_ clip: FootageClip) async throws -> String {
        try await FootageCache.shared.path(clip)
    }
}

actor FootageCache {
    static let shared = FootageCache()

    nonisolated static let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-footage-\(getpid())-\(UUID().uuidString.prefix(8))"
        ).path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit {
            try? FileManager.default.removeItem(atPath: FootageCache.directory)
        }
        return realPath(path)
    }()

    private var builds: [FootageClip: Task<String, any Error>] = [:]

    func path(_ clip: FootageClip) async throws -> String {
        if let existing = builds[clip] { return try await existing.value }
        let task = Task.detached { () async throws -> String in
            var inputs: [String] = []
            for input in clip.inputs { inputs.append(try await FootageCache.shared.path(input)) }
            let output = (FootageCache.directory as NSString).appendingPathComponent(clip.fileName)
            let base = ["-v", "error", "-y", "-nostdin"]
            if clip == .hevcFlipHorizontal || clip == .hevcFlipVertical {
                try FootageCache.mirrored(inputs[0], into: output, horizontally: clip == .hevcFlipHorizontal)
            } else if clip == .nonKeyframeFirst {
                let whole = output + ".whole.mp4"
                try await Tool.check("ffmpeg", base + clip.ffmpegArguments(output: whole, inputs: inputs))
                try await Tool.check("ffmpeg", base + ["-i", whole, "-ss", "0.5", "-c", "copy", "-copyinkf", output])
            } else {
                try await Tool.check("ffmpeg", base + clip.ffmpegArguments(output: output, inputs: inputs))
            }
            guard fileExists(output) else { throw TestSupportError("ffmpeg wrote no \(output)") }
            return output
        }
        builds[clip] = task
        return try await task.value
    }

    /// Copies a one-track QuickTime file with its track header's matrix
    /// mirrored: `a` (or `d`) negated, as a phone's front camera may write it.
    nonisolated static func mirrored(_ source: String, into output: String, horizontally: Bool) throws {
        var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        let tag: [UInt8] = Array("tkhd".utf8)
        guard let at = (0..<(data.count - 4)).first(where: { Array(data[$0..<($0 + 4)]) == tag }) else {
            throw TestSupportError("\(source) has no track header")
        }
        // After the type: version and flags, then times, ids and durations
        // (4 bytes each in version 0, 8 in version 1), 8 reserved, layer,
        // group, volume, 2 reserved: 40 or 52 bytes to the 3x3 matrix.
        let matrix = at + 4 + (data[at + 4] == 1 ? 52 : 40)
        let entry = matrix + (horizontally ? 0 : 16)
        guard entry + 4 <= data.count, data[entry..<(entry + 4)] == [0x00, 0x01, 0x00, 0x00] else {
            throw TestSupportError("\(source)'s track matrix is not the identity")
        }
        data.replaceSubrange(entry..<(entry + 4), with: [0xFF, 0xFF, 0x00, 0x00])
        try Data(data).write(to: URL(fileURLWithPath: output))
    }
}

/// ffmpeg as the oracle for the pictures of footage clips.
public enum FootageOracle {
    /// The frame shown at `seconds`: the first whose timestamp, counted from
    /// the file's start time, is at or after it (the last frame past the
    /// end), decoded by ffmpeg from the start of the file and picked by its
    /// index (`select=eq(n,K)`), autorotated, `scale=W:-1:flags=bicubic`, RGB.
    ///
    /// This is what `ffmpeg -ss T -i FILE -frames:v 1` gives where the demuxer
    /// seeks to keyframes (MP4, MOV, Matroska, WebM). FFmpeg 5.1's own seek
    /// lands between keyframes in MPEG-TS and MPEG-PS, so there `-ss` is not
    /// exact: on ``FootageClip/transportStream`` `-ss 1` gives the frame at 2 s
    /// and `-ss 5` gives none, on ``FootageClip/vob`` `-ss 1.5` gives the
    /// frame at 1.44 s. `-ss` as an output option (or `trim`) is no better
    /// there: at 2.5 s it gives the frame after the one at 2.5013 s.
    public static func frame(_ path: String, at seconds: Double, width: Int, height: Int) async throws -> FrameRGB {
        let index = try await frameIndex(path, at: seconds)
        let arguments = [
            "-v", "error", "-nostdin", "-i", path, "-vf", "select=eq(n\\,\(index)),scale=\(width):-1:flags=bicubic",
            "-frames:v", "1", "-pix_fmt", "rgb24", "-f", "rawvideo", "-",
        ]
        let result = try await Tool.check("ffmpeg", arguments, timeout: 120)
        let bytes = [UInt8](result.stdoutData)
        guard bytes.count == width * height * 3 else {
            throw TestSupportError(
                "ffmpeg gave \(bytes.count) bytes, not \(width)x\(height) RGB (\(width * height * 3)):\n\(result)")
        }
        return FrameRGB(width: width, height: height, bytes: bytes)
    }

    /// The index, in display order, of the frame shown at `seconds`, from ffprobe.
    public static func frameIndex(_ path: String, at seconds: Double) async throws -> Int {
        let times = try await frameTimes(path)
        guard !times.isEmpty else { throw TestSupportError("ffprobe found no frames in \(path)") }
        return times.firstIndex { $0 >= seconds - 1e-6 } ?? times.count - 1
    }

    /// Every frame's time (`best_effort_timestamp`) from the file's start time, in display order.
    public static func frameTimes(_ path: String) async throws -> [Double] {
        let start = try await Tool.check(
            "ffprobe", ["-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0", path])
        let startTime = Double(start.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let result = try await Tool.check(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time", "-of",
                "csv=p=0", path,
            ])
        return result.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: ",", omittingEmptySubsequences: false).first.flatMap { Double($0) }
        }.map { $0 - startTime }
    }
}

extension FootageOracle {
    /// The display size ffprobe implies: the coded size stretched by the sample
    /// aspect ratio, then turned by the display matrix's rotation.
    public static func displaySize(_ path: String) async throws -> (width: Int, height: Int) {
        let result = try await Tool.check(
            "ffprobe",
            [
                "-v", "error", "-select_streams", "v:0", "-show_entries",
                "stream=width,height,sample_aspect_ratio:stream_side_data=rotation", "-of", "json", path,
            ])
        let root = try required(try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any])
        let stream = try required((root["streams"] as? [[String: Any]])?.first)
        let width = try required(stream["width"] as? Int)
        let height = try required(stream["height"] as? Int)
        var shownWidth = width
        let ratio = (stream["sample_aspect_ratio"] as? String)?.split(separator: ":").compactMap { Int($0) } ?? []
        if ratio.count == 2, ratio[0] > 0, ratio[1] > 0 {
            shownWidth = Int((Double(width) * Double(ratio[0]) / Double(ratio[1])).rounded())
        }
        let sideData = stream["side_data_list"] as? [[String: Any]] ?? []
        let rotation = sideData.compactMap { ($0["rotation"] as? NSNumber)?.intValue }.first ?? 0
        return abs(rotation) % 180 == 90 ? (height, shownWidth) : (shownWidth, height)
    }

    private static func required<T>(_ value: T?) throws -> T {
        guard let value else { throw TestSupportError("ffprobe printed no such field") }
        return value
    }
}
