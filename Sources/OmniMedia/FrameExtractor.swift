internal import CFFmpeg

/// Takes frames out of a video or still image in-process, as upright RGB
/// pictures, scaled with libswscale's bicubic filter.
///
/// An exact frame is the one `ffmpeg -ss T -i FILE -frames:v 1` gives: the
/// decoder goes back to the keyframe before `T` and decodes forward to the
/// first frame whose timestamp is at or after `T` (counted from the file's
/// start time). Rotation metadata is applied as ffmpeg's autorotation does.
/// The pixels are ffmpeg's: the sample aspect ratio is not applied (a
/// 720x576 picture at SAR 16:15 stays 720x576) and nothing is deinterlaced.
///
/// ```swift
/// let extractor = try FrameExtractor(path: "clip.mp4")
/// let frame = try extractor.frame(at: 12.5, width: 320)
/// print(frame.width, frame.height, frame.pixel(x: 0, y: 0))
/// ```
///
/// Not thread-safe: use one extractor per thread (several may read one file).
///
/// ## Topics
/// - ``frame(at:width:)``
/// - ``keyframe(at:width:)``
/// - ``frames(at:width:exact:)``
/// - ``nextFrame(width:)``
public final class FrameExtractor {
    /// The file frames are taken from.
    public let path: String
    private let decoder: VideoDecoder
    private var scaler: ScaleContext?
    /// A still image's one picture, once decoded.
    private var still: Frame?
    /// Whether a width above the decoded picture's is capped at it (see
    /// ``init(path:threads:decodingAtLeast:)``).
    private let capsWidth: Bool

    /// Opens the first video stream of `path` (cover art is skipped).
    ///
    /// - Parameters:
    ///   - path: a video or a still image (png, jpeg, webp, gif…).
    ///   - threads: decoder threads; 0 uses every core, with frame threading
    ///     where the codec has it.
    /// - Throws: ``MediaError`` when the file is missing, not media, has no
    ///   video, or declares a picture larger than ``MediaProbe/maxDimension``.
    public convenience init(path: String, threads: Int = 0) throws {
        try self.init(opening: path, threads: threads)
    }

    /// Opens `path` for pictures that will be scaled down anyway: a decoder
    /// that can decode at 1/2, 1/4 or 1/8 of the size (JPEG) does so, as
    /// long as the longest side stays at least `minimumSide` pixels, and
    /// frames are scaled from that. Much faster for a large photo; the
    /// pixels are close to, not the same as, a full decode scaled down.
    /// A width asked for above the decoded picture's is capped at it: the
    /// picture comes at the decoded size rather than scaled up.
    ///
    /// - Parameters:
    ///   - path: a video or a still image.
    ///   - threads: decoder threads; 0 uses every core.
    ///   - minimumSide: the shortest longest side to decode at, in pixels.
    /// - Throws: ``MediaError`` as ``init(path:threads:)`` does.
    public convenience init(path: String, threads: Int = 0, decodingAtLeast minimumSide: Int) throws {
        try self.init(opening: path, threads: threads, minimumSide: max(1, minimumSide))
    }

    init(opening path: String, threads: Int, minimumSide: Int? = nil) throws(MediaError) {
        self.path = path
        capsWidth = minimumSide != nil
        decoder = try VideoDecoder(path: path, threads: max(0, threads), minimumSide: minimumSide)
    }

    /// Seconds of video, when the file says.
    public var duration: Double? { decoder.isStill ? 0 : decoder.duration }
    /// Frames per second, when the file says.
    public var frameRate: Double? { decoder.frameRate }
    /// Whether the file is a still image: every time gives its one picture.
    public var isStill: Bool { decoder.isStill }

    /// The exact frame shown at `seconds`.
    ///
    /// - Parameters:
    ///   - seconds: time from the start of the clip; ignored for a still image.
    ///   - width: output width in pixels, the height following the upright
    ///     picture's proportions in pixels; nil keeps the decoded size, turned upright.
    /// - Throws: ``MediaError`` with code `.outOfRange` when `seconds` is past
    ///   the end (the message gives the duration), or when no frame decodes.
    public func frame(at seconds: Double, width: Int? = nil) throws -> RGBFrame {
        try exactFrame(at: seconds, width: width, drainEarly: true)
    }

    /// The keyframe at or before `seconds`: much faster than an exact frame,
    /// since only one picture is decoded, but up to a GOP earlier.
    ///
    /// - Parameters:
    ///   - seconds: the time, from the clip's start.
    ///   - width: output width in pixels (the height follows); nil keeps the decoded size.
    public func keyframe(at seconds: Double, width: Int? = nil) throws -> RGBFrame {
        try keyframeTyped(at: seconds, width: width)
    }

    /// Frames at several times, decoded in time order so that times within
    /// one GOP share the decoding; returned in the order asked.
    ///
    /// - Parameters:
    ///   - seconds: the times, from the clip's start, in any order.
    ///   - width: output width in pixels (the height follows); nil keeps the decoded size.
    ///   - exact: exact frames, or the keyframe at or before each time.
    public func frames(at seconds: [Double], width: Int? = nil, exact: Bool = true) throws -> [RGBFrame] {
        try framesTyped(at: seconds, width: width, exact: exact)
    }

    /// The next frame in display order from wherever the extractor is (the
    /// start, for a new one); nil at the end of the video.
    public func nextFrame(width: Int? = nil) throws -> RGBFrame? {
        guard try decoder.decodeNext() else { return nil }
        return try render(decoder.frame, width: width)
    }

    // MARK: - Typed internals

    func framesTyped(at seconds: [Double], width: Int?, exact: Bool) throws(MediaError) -> [RGBFrame] {
        let order = seconds.indices.sorted { seconds[$0] < seconds[$1] }
        var results: [RGBFrame?] = Array(repeating: nil, count: seconds.count)
        for (position, index) in order.enumerated() {
            if exact {
                let next = position + 1 < order.count ? seconds[order[position + 1]] : nil
                // Draining early saves decoding past the target, but ends the
                // run: only worth it when the next time needs a seek anyway.
                let drain = next.map { !sharesKeyframe(seconds[index], $0) } ?? true
                results[index] = try exactFrame(at: seconds[index], width: width, drainEarly: drain)
            } else {
                results[index] = try keyframeTyped(at: seconds[index], width: width)
            }
        }
        return results.compactMap { $0 }
    }

    /// Like ``framesTyped(at:width:exact:)``, but a time that fails leaves a
    /// failure in its place instead of ending the run, so a damaged stretch
    /// of video costs only its own frames.
    func framesAllowingGaps(at seconds: [Double], width: Int?, exact: Bool) -> [Result<RGBFrame, MediaError>] {
        let order = seconds.indices.sorted { seconds[$0] < seconds[$1] }
        var results = [Result<RGBFrame, MediaError>](
            repeating: .failure(MediaError(.library, path: path, "not decoded")), count: seconds.count)
        for (position, index) in order.enumerated() {
            do throws(MediaError) {
                if exact {
                    let next = position + 1 < order.count ? seconds[order[position + 1]] : nil
                    let drain = next.map { !sharesKeyframe(seconds[index], $0) } ?? true
                    results[index] = .success(try exactFrame(at: seconds[index], width: width, drainEarly: drain))
                } else {
                    results[index] = .success(try keyframeTyped(at: seconds[index], width: width))
                }
            } catch {
                results[index] = .failure(error)
            }
        }
        return results
    }

    private func sharesKeyframe(_ a: Double, _ b: Double) -> Bool {
        let first = decoder.timestamp(seconds: a)
        let second = decoder.timestamp(seconds: b)
        let index = av_index_search_timestamp(decoder.stream, second, AVSEEK_FLAG_BACKWARD)
        guard index >= 0, let entry = avformat_index_get_entry(decoder.stream, index) else {
            return second - first <= decoder.frameTicks * 50
        }
        return entry.pointee.timestamp <= first
    }

    func exactFrame(at seconds: Double, width: Int?, drainEarly: Bool) throws(MediaError) -> RGBFrame {
        if decoder.isStill { return try stillFrame(width: width) }
        try checkTime(seconds)
        let target = decoder.timestamp(seconds: seconds)
        let outcome =
            decoder.canContinue(to: target)
            ? try decoder.decode(atOrAfter: target, drainEarly: drainEarly)
            : try decoder.seekAndDecode(atOrAfter: target, drainEarly: drainEarly)
        switch outcome {
        case .frame:
            return try render(decoder.frame, width: width)
        case .endedBefore:
            // Past the last frame but within the clip (the last frame is still
            // on screen, or the file is cut short): the last picture there is.
            guard decoder.previous.width > 0, let last = decoder.previous.timestamp else {
                throw MediaError(
                    .outOfRange, path: path,
                    "no frame could be decoded at or before \(FrameTime.format(seconds)) s (the video may be truncated or damaged)"
                )
            }
            let lastSeconds = decoder.seconds(last)
            let covered = lastSeconds + 2 * Double(decoder.frameTicks) * av_q2d(decoder.timeBase)
            if let duration = decoder.duration, seconds > duration, seconds > covered {
                throw pastTheEnd(seconds, duration: duration)
            }
            return try render(decoder.previous, width: width)
        }
    }

    private func keyframeTyped(at seconds: Double, width: Int?) throws(MediaError) -> RGBFrame {
        if decoder.isStill { return try stillFrame(width: width) }
        try checkTime(seconds)
        guard try decoder.decodeKeyframe(atOrBefore: decoder.timestamp(seconds: seconds)) else {
            // No decodable keyframe from there on: an exact decode may still
            // find a frame (or say why not).
            return try exactFrame(at: seconds, width: width, drainEarly: true)
        }
        return try render(decoder.frame, width: width)
    }

    private func stillFrame(width: Int?) throws(MediaError) -> RGBFrame {
        // Decoded once and kept: image demuxers do not all seek back.
        if still == nil {
            guard try decoder.decodeNext() else {
                throw MediaError(
                    .invalidMedia, path: path, "the image could not be decoded (it may be truncated or damaged)")
            }
            still = try decoder.retainFrame()
        }
        guard let still else { throw MediaError(.library, path: path, "the image was not kept") }
        return try render(still, width: width)
    }

    private func checkTime(_ seconds: Double) throws(MediaError) {
        guard seconds.isFinite, seconds >= 0 else {
            throw MediaError(.outOfRange, path: path, "\(seconds) is not a time in the clip")
        }
        if let duration = decoder.duration, seconds > duration {
            throw pastTheEnd(seconds, duration: duration)
        }
    }

    private func pastTheEnd(_ seconds: Double, duration: Double) -> MediaError {
        MediaError(
            .outOfRange, path: path,
            "\(FrameTime.format(seconds)) s is past the end of the clip (duration \(FrameTime.format(duration)) s)")
    }

    // MARK: - Rendering

    /// The output size for a decoded picture of `width`x`height`: upright,
    /// and `requestedWidth` wide with the height rounded as the scale
    /// filter's `-1` rounds it (`av_rescale`).
    ///
    /// The sample aspect ratio is not applied, as `ffmpeg -frames:v 1` does
    /// not apply it: a 720x576 picture at SAR 16:15 stays 720x576.
    static func outputSize(
        width: Int, height: Int, orientation: Orientation, requestedWidth: Int?, path: String?
    ) throws(MediaError) -> (width: Int, height: Int) {
        let (uprightWidth, uprightHeight) = orientation.swapsAxes ? (height, width) : (width, height)
        let outWidth = max(1, requestedWidth ?? uprightWidth)
        let outHeight = max(1, Int(av_rescale(Int64(outWidth), Int64(uprightHeight), Int64(uprightWidth))))
        let limit = MediaProbe.maxDimension
        if outWidth > limit || outHeight > limit {
            throw MediaError(
                .limitExceeded, path: path,
                "the picture would be \(outWidth)x\(outHeight), larger than the \(limit)x\(limit) limit: ask for a smaller width"
            )
        }
        return (outWidth, outHeight)
    }

    /// Turns, scales and converts a decoded frame into an ``RGBFrame``.
    func render(_ frame: Frame, width: Int?) throws(MediaError) -> RGBFrame {
        guard frame.width > 0, frame.height > 0, frame.pointer.pointee.format >= 0 else {
            throw MediaError(.invalidMedia, path: path, "the decoder returned an empty picture")
        }
        let orientation = decoder.orientation(of: frame)
        // Turned first where the pixel format allows, as ffmpeg's autorotation
        // does; otherwise scaled first and the RGB picture turned.
        var source = frame
        var remaining = orientation
        if let turned = try orientation.applied(to: frame, path: path) {
            source = turned
            remaining = .identity
        }
        let uprightWidth = remaining.swapsAxes ? source.height : source.width
        let requested = capsWidth ? width.map { min($0, uprightWidth) } : width
        let size = try FrameExtractor.outputSize(
            width: source.width, height: source.height, orientation: remaining, requestedWidth: requested, path: path)
        let (scaledWidth, scaledHeight) = remaining.swapsAxes ? (size.height, size.width) : (size.width, size.height)
        let raw = source.pointer.pointee
        let shape = ScaleContext.Shape(
            sourceWidth: raw.width, sourceHeight: raw.height, sourceFormat: source.pixelFormat,
            width: Int32(scaledWidth), height: Int32(scaledHeight), format: AV_PIX_FMT_RGB24,
            colorspace: raw.colorspace, range: raw.color_range)
        if scaler?.shape != shape { scaler = try ScaleContext(shape, path: path) }
        guard let scaler else { throw MediaError(.library, path: path, "no scaler") }
        let stride = scaledWidth * 3
        let byteCount = stride * scaledHeight
        // swscale's packed writers may store a few bytes past the last pixel.
        let slack = 64
        var pixels = [UInt8](repeating: 0, count: byteCount + slack)
        try pixels.withUnsafeMutableBufferPointer { (buffer) throws(MediaError) in
            guard let base = buffer.baseAddress else { return }
            try scaler.scale(source, into: base, stride: stride, path: path)
        }
        pixels.removeLast(slack)
        let time = decoder.isStill ? 0 : (frame.timestamp.map(decoder.seconds) ?? 0)
        return remaining.apply(RGBFrame(width: scaledWidth, height: scaledHeight, pixels: pixels, time: time))
    }
}

@available(*, unavailable)
extension FrameExtractor: Sendable {}
