internal import CFFmpeg

/// An open demuxer over one file: owns an `AVFormatContext` and closes it on deinit.
///
/// Not thread-safe: use it from one thread at a time.
final class InputFormatContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    let path: String

    /// Opens `path` and reads its header.
    ///
    /// The corresponding C function is `avformat_open_input`, which frees the
    /// context itself when it fails.
    init(path: String) throws(MediaError) {
        try FFmpegRuntime.load()
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let result = avformat_open_input(&context, path, nil, nil)
        if result == cffmpeg_averror(ENOENT) {
            throw MediaError(.unreadable, path: path, "no such file")
        }
        if result == cffmpeg_averror(EACCES) {
            throw MediaError(.unreadable, path: path, "permission denied")
        }
        try check(result, .notMedia, path: path, "not a media file libavformat can read")
        guard let context else {
            throw MediaError(.library, path: path, "libavformat returned no context")
        }
        pointer = context
        self.path = path
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&context)
    }

    /// Whether ``findStreamInfo()`` has run.
    private(set) var hasStreamInfo = false

    /// Reads packets to fill in codec parameters the header leaves out; once
    /// only, since a second `avformat_find_stream_info` on one context reads
    /// state the first one freed.
    ///
    /// The corresponding C function is `avformat_find_stream_info`.
    func findStreamInfo() throws(MediaError) {
        guard !hasStreamInfo else { return }
        hasStreamInfo = true
        try check(
            avformat_find_stream_info(pointer, nil), .invalidMedia, path: path,
            "cannot read stream parameters")
    }

    var streamCount: Int { Int(pointer.pointee.nb_streams) }

    func stream(at index: Int) -> UnsafeMutablePointer<AVStream>? {
        guard index >= 0, index < streamCount, let streams = pointer.pointee.streams else { return nil }
        return streams[index]
    }

    /// The demuxer's short name, as ffprobe's `format_name`.
    var formatName: String {
        String(cString: pointer.pointee.iformat.pointee.name)
    }
}

@available(*, unavailable)
extension InputFormatContext: Sendable {}
