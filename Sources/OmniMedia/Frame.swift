internal import CFFmpeg

/// An owned `AVFrame`, freed on deinit.
///
/// The decoder writes into the same frame again on every receive, so a caller
/// that keeps a picture must convert or copy it before decoding on.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// The corresponding C function is `av_frame_alloc`.
    init() throws(MediaError) {
        guard let frame = av_frame_alloc() else {
            throw MediaError(.library, path: nil, "out of memory allocating a frame")
        }
        pointer = frame
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    var width: Int { Int(pointer.pointee.width) }
    var height: Int { Int(pointer.pointee.height) }
    var pixelFormat: AVPixelFormat { AVPixelFormat(rawValue: pointer.pointee.format) }

    /// The decoder's best guess of the presentation time, in stream time base.
    var timestamp: Int64? {
        let value = pointer.pointee.best_effort_timestamp
        return value == cffmpeg_nopts_value() ? nil : value
    }

    /// Drops the frame's buffers so the next receive starts clean.
    ///
    /// The corresponding C function is `av_frame_unref`.
    func unref() {
        av_frame_unref(pointer)
    }
}

@available(*, unavailable)
extension Frame: Sendable {}
