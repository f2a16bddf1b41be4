import Foundation
import OmniMedia

/// A stored file: its id, its probe, and every path it was added from.
public struct Asset: Sendable, Equatable {
    public let id: AssetID
    public let size: Int64
    public let kind: MediaKind
    public let mime: String
    /// The container, as ffprobe's `format_name`.
    public let format: String
    public let duration: Double?
    public let bitRate: Int64?
    /// Width of the primary video stream (or the image), if any.
    public let width: Int?
    public let height: Int?
    public let fps: Double?
    /// The full probe.
    public let media: MediaInfo
    /// The paths the bytes were added from, oldest first.
    public let paths: [String]
    public let addedAt: Date

    /// The JSON form documented in README.md.
    public var json: JSONValue {
        .object([
            "id": .string(id.hex),
            "size": .int(size),
            "kind": .string(kind.rawValue),
            "mime": .string(mime),
            "format": .string(format),
            "duration": JSONValue(duration),
            "bit_rate": JSONValue(bitRate),
            "width": JSONValue(width),
            "height": JSONValue(height),
            "display_width": JSONValue(media.displaySize?.width),
            "display_height": JSONValue(media.displaySize?.height),
            "fps": JSONValue(fps),
            "streams": .array(media.streams.map(\.json)),
            "tags": .object(media.tags.mapValues(JSONValue.string)),
            "paths": .array(paths.map(JSONValue.string)),
            "added_at": .string(Timestamp.format(addedAt)),
        ])
    }

    /// "1280x720" for pictures, nil for audio: the size a player shows, so a
    /// portrait phone clip coded 1920x1080 at 90° is "1080x1920" (``width``
    /// and ``height`` keep the coded size).
    public var dimensions: String? {
        guard let size = media.displaySize ?? width.flatMap({ w in height.map { (w, $0) } }) else { return nil }
        return "\(size.0)x\(size.1)"
    }
}

extension StreamInfo {
    /// The JSON form of a stream, as documented in README.md.
    public var json: JSONValue {
        .object([
            "index": .int(Int64(index)),
            "type": .string(type.rawValue),
            "codec": JSONValue(codec),
            "profile": JSONValue(profile),
            "width": JSONValue(width),
            "height": JSONValue(height),
            "pix_fmt": JSONValue(pixelFormat),
            "fps": JSONValue(fps),
            "frames": JSONValue(frames),
            "rotation": JSONValue(rotation),
            "sample_aspect_ratio": JSONValue(sampleAspectRatio?.description),
            "sample_rate": JSONValue(sampleRate),
            "channels": JSONValue(channels),
            "channel_layout": JSONValue(channelLayout),
            "bit_rate": JSONValue(bitRate),
            "language": JSONValue(language),
            "color_range": JSONValue(colorRange),
            "color_space": JSONValue(colorSpace),
            "color_transfer": JSONValue(colorTransfer),
            "color_primaries": JSONValue(colorPrimaries),
            "attached_pic": .bool(isAttachedPicture),
        ])
    }
}
