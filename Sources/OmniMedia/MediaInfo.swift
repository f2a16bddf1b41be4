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

    /// The stream that best represents the picture: the first video stream that
    /// is not cover art.
    public var primaryVideo: StreamInfo? {
        streams.first { $0.type == .video && !$0.isAttachedPicture }
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
