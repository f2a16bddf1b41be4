internal import CFFmpeg
import Foundation

/// Copies a clip's video and audio into an MP4, packet for packet, without
/// re-encoding: what `ffmpeg -i IN -map 0:v -map 0:a -c copy OUT.mp4` does.
/// The output is bit-exact (no muxer version or time in it), so the same
/// input always gives the same bytes, and so the same content address.
public enum Remuxer {
    /// - Throws: ``MediaError`` with code `.invalidMedia` when a stream's
    ///   codec cannot go into MP4 without re-encoding.
    public static func remuxToMP4(from input: String, to output: String) throws {
        try remux(from: input, to: output)
    }

    static func remux(from input: String, to output: String) throws(MediaError) {
        let source = try InputFormatContext(path: input)
        try source.findStreamInfo()
        let target = try OutputFormatContext(path: output, format: "mp4")
        let context = target.pointer
        context.pointee.flags |= AVFMT_FLAG_BITEXACT

        var mapping: [Int: Int32] = [:]
        for index in 0..<source.streamCount {
            guard let stream = source.stream(at: index), let parameters = stream.pointee.codecpar else { continue }
            let type = parameters.pointee.codec_type
            let isPicture = (stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0
            guard (type == AVMEDIA_TYPE_VIDEO && !isPicture) || type == AVMEDIA_TYPE_AUDIO else { continue }
            guard let copy = avformat_new_stream(context, nil), let copyParameters = copy.pointee.codecpar else {
                throw MediaError(.library, path: output, "out of memory while making a stream")
            }
            try check(
                avcodec_parameters_copy(copyParameters, parameters), .library, path: output,
                "cannot copy stream parameters")
            // The tag is the container's business: MP4 picks its own.
            copyParameters.pointee.codec_tag = 0
            copy.pointee.time_base = stream.pointee.time_base
            // A phone's rotation travels with the stream, as ffmpeg copies it.
            var size = 0
            if let matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0,
                let destination = av_stream_new_side_data(copy, AV_PKT_DATA_DISPLAYMATRIX, size)
            {
                destination.update(from: matrix, count: size)
            }
            mapping[index] = copy.pointee.index
        }
        guard !mapping.isEmpty else { throw MediaError(.invalidMedia, path: input, "has no video or audio to remux") }

        try target.open()
        try check(
            avformat_write_header(context, nil), .invalidMedia, path: input,
            "cannot be put in an MP4 without re-encoding")

        guard let packet = av_packet_alloc() else { throw MediaError(.library, path: input, "out of memory") }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetPointer) }
        // As the ffmpeg CLI does without -copyts: the output starts at 0.
        let start = source.pointer.pointee.start_time
        let offset = start == cffmpeg_nopts_value() ? 0 : start
        while true {
            let result = av_read_frame(source.pointer, packet)
            if result == cffmpeg_averror_eof() { break }
            try check(result, .invalidMedia, path: input, "cannot read a packet")
            guard let out = mapping[Int(packet.pointee.stream_index)],
                let inStream = source.stream(at: Int(packet.pointee.stream_index)),
                let streams = context.pointee.streams, let outStream = streams[Int(out)]
            else {
                av_packet_unref(packet)
                continue
            }
            let shift = av_rescale_q(offset, AVRational(num: 1, den: AV_TIME_BASE), inStream.pointee.time_base)
            if packet.pointee.pts != cffmpeg_nopts_value() { packet.pointee.pts -= shift }
            if packet.pointee.dts != cffmpeg_nopts_value() { packet.pointee.dts -= shift }
            av_packet_rescale_ts(packet, inStream.pointee.time_base, outStream.pointee.time_base)
            packet.pointee.stream_index = out
            packet.pointee.pos = -1
            // Takes the packet's data, and leaves the packet blank.
            try check(av_interleaved_write_frame(context, packet), .invalidMedia, path: output, "cannot write a packet")
        }
        try check(av_write_trailer(context), .invalidMedia, path: output, "cannot finish the MP4")
        try target.close()
    }
}

/// A muxer writing one file: owns the `AVFormatContext` and its file.
final class OutputFormatContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    let path: String

    init(path: String, format: String) throws(MediaError) {
        try FFmpegRuntime.load()
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        try check(
            avformat_alloc_output_context2(&context, nil, format, path), .library, path: path,
            "cannot make an \(format) muxer")
        guard let context else { throw MediaError(.library, path: path, "libavformat returned no muxer") }
        pointer = context
        self.path = path
    }

    /// Opens the output file (`avio_open`).
    func open() throws(MediaError) {
        try check(
            avio_open(&pointer.pointee.pb, path, AVIO_FLAG_WRITE), .unreadable, path: path, "cannot write the file")
    }

    /// Closes the output file (`avio_closep`), flushing it.
    func close() throws(MediaError) {
        guard pointer.pointee.pb != nil else { return }
        try check(avio_closep(&pointer.pointee.pb), .unreadable, path: path, "cannot finish writing the file")
    }

    deinit {
        if pointer.pointee.pb != nil { avio_closep(&pointer.pointee.pb) }
        avformat_free_context(pointer)
    }
}

@available(*, unavailable)
extension OutputFormatContext: Sendable {}
