/// Makes PNG or JPEG thumbnails of exact frames of a clip or image.
///
/// ```swift
/// let thumbnailer = try Thumbnailer(path: "clip.mp4")
/// let thumb = try thumbnailer.thumbnail(at: .seconds(12.5), width: 320, format: .png)
/// try Data(thumb.data).write(to: URL(fileURLWithPath: "thumb.png"))
/// ```
///
/// Not thread-safe: use one thumbnailer per thread.
public final class Thumbnailer {
    private let extractor: FrameExtractor

    /// Opens `path`; see ``FrameExtractor/init(path:threads:)``.
    public init(path: String, threads: Int = 0) throws {
        extractor = try FrameExtractor(path: path, threads: threads)
    }

    /// Seconds of video, when the file says (0 for a still image).
    public var duration: Double? { extractor.duration }
    /// Whether the file is a still image.
    public var isStill: Bool { extractor.isStill }

    /// One thumbnail at `time` (10% into the clip by default).
    ///
    /// - Throws: ``MediaError`` when the time is past the end (the message
    ///   gives the duration) or the frame cannot be decoded.
    public func thumbnail(
        at time: FrameTime = .defaultThumbnail, width: Int? = 320, format: ImageFormat = .png
    ) throws -> Thumbnail {
        let seconds = time.seconds(duration: duration) ?? 0
        return try thumbnails(at: [seconds], width: width, format: format)[0]
    }

    /// Thumbnails at each time in `seconds`, in that order.
    public func thumbnails(at seconds: [Double], width: Int? = 320, format: ImageFormat = .png) throws -> [Thumbnail] {
        let frames = try extractor.framesTyped(at: seconds, width: width, exact: true)
        var thumbnails: [Thumbnail] = []
        for (time, frame) in zip(seconds, frames) {
            let data = try ImageEncoder.encodeTyped(frame, as: format, jpegQuality: ImageEncoder.defaultJPEGQuality)
            thumbnails.append(
                Thumbnail(
                    time: isStill ? 0 : time, width: frame.width, height: frame.height, format: format,
                    data: data))
        }
        return thumbnails
    }

    /// `count` thumbnails spread evenly over the clip (see ``FrameTime/evenlySpaced(count:duration:)``).
    public func thumbnails(count: Int, width: Int? = 320, format: ImageFormat = .png) throws -> [Thumbnail] {
        let times = isStill ? [0] : FrameTime.evenlySpaced(count: count, duration: duration ?? 0)
        return try thumbnails(at: times, width: width, format: format)
    }
}

@available(*, unavailable)
extension Thumbnailer: Sendable {}
