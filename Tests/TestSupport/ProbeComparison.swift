import Foundation

/// A probe as omnistore reports it (from the library or from `--json`), in
/// one shape so it can be checked against ffprobe.
public struct ProbedStream: Sendable {
    public var index: Int?
    public var type: String?
    public var codec: String?
    public var profile: String?
    public var width: Int?
    public var height: Int?
    public var pixFmt: String?
    public var fps: Double?
    public var frames: Int64?
    public var rotation: Double?
    public var sampleRate: Int?
    public var channels: Int?
    public var channelLayout: String?
    public var bitRate: Int64?
    public var language: String?

    public init(
        index: Int?, type: String?, codec: String?, profile: String?, width: Int?, height: Int?, pixFmt: String?,
        fps: Double?, frames: Int64?, rotation: Double?, sampleRate: Int?, channels: Int?, channelLayout: String?,
        bitRate: Int64?, language: String?
    ) {
        self.index = index
        self.type = type
        self.codec = codec
        self.profile = profile
        self.width = width
        self.height = height
        self.pixFmt = pixFmt
        self.fps = fps
        self.frames = frames
        self.rotation = rotation
        self.sampleRate = sampleRate
        self.channels = channels
        self.channelLayout = channelLayout
        self.bitRate = bitRate
        self.language = language
    }

    /// A stream object of the documented JSON form.
    public init(json: [String: Any]) {
        self.init(
            index: JSONNumbers.int(json["index"]), type: json["type"] as? String, codec: json["codec"] as? String,
            profile: json["profile"] as? String, width: JSONNumbers.int(json["width"]),
            height: JSONNumbers.int(json["height"]), pixFmt: json["pix_fmt"] as? String,
            fps: JSONNumbers.double(json["fps"]), frames: JSONNumbers.int64(json["frames"]),
            rotation: JSONNumbers.double(json["rotation"]), sampleRate: JSONNumbers.int(json["sample_rate"]),
            channels: JSONNumbers.int(json["channels"]), channelLayout: json["channel_layout"] as? String,
            bitRate: JSONNumbers.int64(json["bit_rate"]), language: json["language"] as? String)
    }
}

public struct ProbedMedia: Sendable {
    public var format: String?
    public var duration: Double?
    public var bitRate: Int64?
    public var size: Int64?
    public var tags: [String: String]?
    public var streams: [ProbedStream]
    /// The top-level width/height/fps of the primary picture, when the form has them.
    public var width: Int?
    public var height: Int?
    public var fps: Double?
    public var hasTopLevelPicture: Bool

    public init(
        format: String?, duration: Double?, bitRate: Int64?, size: Int64?, tags: [String: String]?,
        streams: [ProbedStream], width: Int? = nil, height: Int? = nil, fps: Double? = nil,
        hasTopLevelPicture: Bool = false
    ) {
        self.format = format
        self.duration = duration
        self.bitRate = bitRate
        self.size = size
        self.tags = tags
        self.streams = streams
        self.width = width
        self.height = height
        self.fps = fps
        self.hasTopLevelPicture = hasTopLevelPicture
    }

    /// An asset (`show --json`, `assets --json`) or probe (`probe --json`) object.
    public init(json: [String: Any]) {
        self.init(
            format: json["format"] as? String, duration: JSONNumbers.double(json["duration"]),
            bitRate: JSONNumbers.int64(json["bit_rate"]), size: JSONNumbers.int64(json["size"]),
            tags: (json["tags"] as? [String: Any])?.compactMapValues { $0 as? String },
            streams: (json["streams"] as? [[String: Any]] ?? []).map(ProbedStream.init(json:)),
            width: JSONNumbers.int(json["width"]), height: JSONNumbers.int(json["height"]),
            fps: JSONNumbers.double(json["fps"]), hasTopLevelPicture: json.keys.contains("width"))
    }
}

/// Tolerances from the specification.
public enum ProbeTolerance {
    public static let duration = 0.05
    public static let fps = 0.01
}

/// Every way `probed` differs from ffprobe's report, as readable lines; empty
/// when they agree.
///
/// Exact: format name, stream count and order, codec, type, width, height,
/// pixel format, profile, sample rate, channels, channel layout, rotation,
/// language, frame count, bit rates, size and container tags. Duration
/// within 0.05 s and fps within 0.01.
public func probeMismatches(_ probed: ProbedMedia, ffprobe: FFprobeReport) -> [String] {
    var problems: [String] = []
    func same<T: Equatable>(_ what: String, _ got: T?, _ want: T?) {
        if got != want {
            problems.append(
                "\(what): omnistore says \(got.map { "\($0)" } ?? "nil"), ffprobe says \(want.map { "\($0)" } ?? "nil")"
            )
        }
    }
    func close(_ what: String, _ got: Double?, _ want: Double?, within tolerance: Double) {
        switch (got, want) {
        case (nil, nil): return
        case (let g?, let w?) where abs(g - w) <= tolerance: return
        default:
            problems.append(
                "\(what): omnistore says \(got.map { "\($0)" } ?? "nil"), ffprobe says \(want.map { "\($0)" } ?? "nil") (tolerance \(tolerance))"
            )
        }
    }

    same("format", probed.format, ffprobe.formatName)
    close("duration", probed.duration, ffprobe.duration, within: ProbeTolerance.duration)
    same("bit_rate", probed.bitRate, ffprobe.bitRate)
    if let size = probed.size { same("size", size, ffprobe.size) }
    same("tags", probed.tags, ffprobe.tags)
    if probed.hasTopLevelPicture {
        let primary = ffprobe.primaryVideo
        same("width", probed.width, primary?.width)
        same("height", probed.height, primary?.height)
        close("fps", probed.fps, primary?.avgFrameRate, within: ProbeTolerance.fps)
    }
    same("stream count", probed.streams.count, ffprobe.streams.count)
    for (got, want) in zip(probed.streams, ffprobe.streams) {
        let name = "stream \(want.index)"
        same("\(name) index", got.index, want.index)
        same("\(name) type", got.type, want.codecType)
        same("\(name) codec", got.codec, want.codecName)
        same("\(name) profile", got.profile, want.profile)
        same("\(name) bit_rate", got.bitRate, want.bitRate)
        same("\(name) frames", got.frames, want.nbFrames)
        same("\(name) language", got.language, want.language)
        if want.codecType == "video" {
            same("\(name) width", got.width, want.width)
            same("\(name) height", got.height, want.height)
            same("\(name) pix_fmt", got.pixFmt, want.pixFmt)
            close("\(name) fps", got.fps, want.avgFrameRate, within: ProbeTolerance.fps)
            same("\(name) rotation", got.rotation, want.rotation)
        }
        if want.codecType == "audio" {
            same("\(name) sample_rate", got.sampleRate, want.sampleRate)
            same("\(name) channels", got.channels, want.channels)
            same("\(name) channel_layout", got.channelLayout, want.channelLayout)
        }
    }
    return problems
}
