/// What libavformat reports about a media file: its container and streams.
///
/// Values follow `ffprobe -show_format -show_streams` on the same file, so that
/// ffprobe can be used to check them.
public struct MediaInfo: Sendable, Equatable, Codable {
    /// The demuxer's name, as ffprobe's `format_name` (for example `mov,mp4,m4a,3gp,3g2,mj2`).
    public var formatName: String
    /// The container duration in seconds, or nil when the container does not say.
    public var duration: Double?
    /// The container's overall bit rate in bits per second, or nil.
    public var bitRate: Int64?
    /// The file size in bytes.
    public var size: Int64
    /// Container-level tags such as `title`, `creation_time` or `encoder`.
    public var tags: [String: String]
    /// Every stream in container order.
    public var streams: [StreamInfo]
    /// Image, video or audio.
    public var kind: MediaKind
    /// The IANA media type, such as `video/mp4`.
    public var mime: String
    /// A JPEG's EXIF DateTimeOriginal, with its offset where the camera
    /// wrote one (`2026-11-01T10:12:13+01:00`); nil for other files. ffprobe
    /// shows it only among a decoded frame's tags.
    public var exifCaptureTime: String? = nil

    /// The stream that best represents the picture: the first video stream that
    /// is not cover art.
    public var primaryVideo: StreamInfo? {
        streams.first { $0.type == .video && !$0.isAttachedPicture }
    }

    /// The picture's size as a player shows it (see ``StreamInfo/displaySize``):
    /// of the primary video stream, or of the image.
    public var displaySize: (width: Int, height: Int)? {
        primaryVideo?.displaySize
    }
}

/// One stream of a media file.
public struct StreamInfo: Sendable, Equatable, Codable {
    /// The stream's media type.
    public enum StreamType: String, Sendable, Codable {
        case video, audio, subtitle, data, attachment, unknown
    }

    public var index: Int
    public var type: StreamType
    /// ffprobe's `codec_name`, such as `h264` or `aac`.
    public var codec: String?
    /// The codec profile by name, such as `High` or `LC`.
    public var profile: String?
    public var width: Int?
    public var height: Int?
    public var pixelFormat: String?
    /// The average frame rate (ffprobe's `avg_frame_rate`) as a number.
    public var fps: Double?
    /// The frame count the container declares, when it does.
    public var frames: Int64?
    /// The rotation in degrees from the display matrix, as ffprobe reports it
    /// (counter-clockwise is positive); nil when there is no matrix.
    public var rotation: Double?
    /// The sample (pixel) aspect ratio, as ffprobe's `sample_aspect_ratio`
    /// (`16:15` for PAL 4:3); nil when the file does not say, or says 1:1.
    public var sampleAspectRatio: SampleAspectRatio?
    public var colorRange: String?
    public var colorSpace: String?
    public var colorTransfer: String?
    public var colorPrimaries: String?
    public var sampleRate: Int?
    public var channels: Int?
    public var channelLayout: String?
    public var bitRate: Int64?
    public var language: String?
    /// Whether the stream is cover art (an attached picture) rather than motion video.
    public var isAttachedPicture: Bool
}

/// A pixel's width to its height, such as 16:15; 1:1 is square pixels.
public struct SampleAspectRatio: Sendable, Equatable, Codable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(numerator: Int, denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// `16:15`, as ffprobe prints it.
    public var description: String { "\(numerator):\(denominator)" }
}

extension StreamInfo {
    /// The size a player shows: the coded size stretched by the sample aspect
    /// ratio (720x576 at 16:15 is 768x576, as ffprobe's display aspect ratio
    /// says), then turned by the display matrix (a 1920x1080 phone clip at 90°
    /// is 1080x1920). Nil without a coded size.
    public var displaySize: (width: Int, height: Int)? {
        guard let width, let height, width > 0, height > 0 else { return nil }
        var shownWidth = width
        if let ratio = sampleAspectRatio, ratio.numerator > 0, ratio.denominator > 0 {
            // Rounded as ffmpeg rounds the display aspect ratio's width.
            shownWidth = Int((Double(width) * Double(ratio.numerator) / Double(ratio.denominator)).rounded())
        }
        return isQuarterTurn ? (height, shownWidth) : (shownWidth, height)
    }

    /// Whether the display matrix turns the picture on its side (90° or 270°).
    public var isQuarterTurn: Bool {
        guard let rotation else { return false }
        let quarter = (rotation / 90).rounded()
        return abs(rotation - quarter * 90) < 1 && Int(quarter) % 2 != 0
    }
}
