internal import CFFmpeg
import Foundation

/// An owned `AVCodecContext`: one opened decoder or encoder, freed on deinit.
///
/// Not thread-safe: use it from one thread at a time (its own worker threads,
/// when frame threading is on, are libavcodec's business).
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    let path: String?

    private init(codec: UnsafePointer<AVCodec>, path: String?) throws(MediaError) {
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.library, path: path, "out of memory allocating a codec context")
        }
        pointer = context
        self.path = path
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&context)
    }

    /// Opens a decoder for a demuxed stream.
    ///
    /// - Parameters:
    ///   - stream: the stream whose parameters configure the decoder.
    ///   - threads: worker threads; 0 means one per core, with frame
    ///     threading where the codec supports it.
    ///   - minimumSide: when set, a decoder that can decode at 1/2, 1/4 or
    ///     1/8 of the size (libavcodec's `lowres`: JPEG) does so, as long as
    ///     the longest side stays at least this many pixels.
    ///
    /// The corresponding C functions are `avcodec_parameters_to_context` and `avcodec_open2`.
    static func decoder(
        for stream: UnsafeMutablePointer<AVStream>, threads: Int, path: String, minimumSide: Int? = nil
    ) throws(MediaError) -> CodecContext {
        let parameters = stream.pointee.codecpar
        guard let parameters, let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw MediaError(.invalidMedia, path: path, "no decoder for this video codec in the linked FFmpeg")
        }
        let context = try CodecContext(codec: codec, path: path)
        let raw = context.pointer
        try check(
            avcodec_parameters_to_context(raw, parameters), .invalidMedia, path: path,
            "cannot configure the video decoder")
        raw.pointee.pkt_timebase = stream.pointee.time_base
        // libavcodec's own choice for 0 is one thread more than the cores.
        // Each frame thread holds a picture in flight, so the extra one only
        // adds memory to fault in (about 8 MB at 1080p) and a frame to wait
        // for, without a core to run it: an exact 1080p frame decoded in
        // 55-65 ms with two threads on two cores and 70-74 ms with three.
        raw.pointee.thread_count = Int32(threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount))
        raw.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        // A hostile stream can declare a picture that needs gigabytes; the
        // probe's limit applies to every frame the decoder allocates too.
        raw.pointee.max_pixels = Int64(MediaProbe.maxDimension * MediaProbe.maxDimension)
        if let minimumSide {
            // Most of a large JPEG's decoding is its full-size inverse DCT;
            // a reduced one gives the picture at 1/2^k for much less.
            let longest = Int(max(parameters.pointee.width, parameters.pointee.height))
            var factor = 0
            while factor < Int(codec.pointee.max_lowres), longest >> (factor + 1) >= minimumSide { factor += 1 }
            raw.pointee.lowres = Int32(factor)
        }
        try check(avcodec_open2(raw, codec, nil), .invalidMedia, path: path, "cannot open the video decoder")
        return context
    }

    /// Opens an encoder for one still picture.
    ///
    /// - Parameter configure: sets size, pixel format and options before opening.
    ///
    /// The corresponding C functions are `avcodec_find_encoder` and `avcodec_open2`.
    static func encoder(
        _ id: AVCodecID, name: String, configure: (UnsafeMutablePointer<AVCodecContext>) -> Void
    ) throws(MediaError) -> CodecContext {
        try FFmpegRuntime.load()
        guard let codec = avcodec_find_encoder(id) else {
            throw MediaError(.library, path: nil, "the linked FFmpeg has no \(name) encoder")
        }
        let context = try CodecContext(codec: codec, path: nil)
        configure(context.pointer)
        try check(avcodec_open2(context.pointer, codec, nil), .library, path: nil, "cannot open the \(name) encoder")
        return context
    }

    /// Sends one packet to the decoder; nil starts draining.
    ///
    /// The corresponding C function is `avcodec_send_packet`.
    func send(_ packet: Packet?) -> Int32 {
        avcodec_send_packet(pointer, packet?.pointer)
    }

    /// Takes the next decoded frame, if one is ready.
    ///
    /// The corresponding C function is `avcodec_receive_frame`.
    func receive(into frame: Frame) -> Int32 {
        avcodec_receive_frame(pointer, frame.pointer)
    }

    /// Forgets buffered packets and frames, as after a seek.
    ///
    /// The corresponding C function is `avcodec_flush_buffers`.
    func flush() {
        avcodec_flush_buffers(pointer)
    }

    /// Which frames the decoder may skip; see `AVDISCARD_NONREF`.
    var skipFrame: AVDiscard {
        get { pointer.pointee.skip_frame }
        set { pointer.pointee.skip_frame = newValue }
    }

    /// How many frames the decoder may hold back to put them in display order.
    var reorderDepth: Int { Int(max(pointer.pointee.has_b_frames, 0)) }
}

@available(*, unavailable)
extension CodecContext: Sendable {}
