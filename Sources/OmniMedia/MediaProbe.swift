import Foundation
internal import CFFmpeg

/// Reads a media file's container and stream metadata in-process with libavformat.
///
/// This is what `ffprobe -show_format -show_streams` reports, without starting
/// a process: opening the file, reading its header and enough packets to know
/// each stream's parameters.
///
/// ```swift
/// let info = try MediaProbe.probe(path: "clip.mp4")
/// print(info.kind, info.primaryVideo?.width ?? 0)
/// ```
public enum MediaProbe {
    /// Probes the file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - nameHint: the file name the bytes came from, used only to tell
    ///     containers apart that share a demuxer (Matroska and WebM).
    /// - Throws: ``MediaError`` when the file is missing, unreadable, or not media.
    public static func probe(path: String, nameHint: String? = nil) throws -> MediaInfo {
        try probeTyped(path: path, nameHint: nameHint)
    }

    static func probeTyped(path: String, nameHint: String?) throws(MediaError) -> MediaInfo {
        // stat, not FileManager's attributes: those look up the owner's and
        // group's names (reading /etc/passwd and /etc/group) on every call.
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw MediaError(.unreadable, path: path, "cannot read the file: \(String(cString: strerror(errno)))")
        }
        let size = Int64(info.st_size)
        if size == 0 {
            throw MediaError(.notMedia, path: path, "the file is empty")
        }
        // An image's size comes from its header before anything is decoded.
        let header = ImageHeader.leadingBytes(path: path)
        if let (width, height) = header.flatMap(ImageHeader.dimensions) {
            try checkPixels(width: width, height: height, path: path)
        }
        let context = try InputFormatContext(path: path)
        try context.findStreamInfo()
        let formatName = context.formatName
        if rejectedDemuxers.contains(formatName) {
            throw MediaError(
                .notMedia, path: path, "not a media file libavformat can read (looks like \(formatName) text)")
        }

        var streams: [StreamInfo] = []
        for index in 0..<context.streamCount {
            guard let stream = context.stream(at: index) else { continue }
            streams.append(streamInfo(stream))
        }
        let playable = streams.contains { ($0.type == .video || $0.type == .audio) && $0.codec != nil }
        guard playable else {
            throw MediaError(.notMedia, path: path, "no audio or video stream found")
        }
        for stream in streams where stream.type == .video {
            if let w = stream.width, let h = stream.height {
                if w > maxDimension || h > maxDimension {
                    throw MediaError(
                        .limitExceeded, path: path,
                        "declares a \(w)x\(h) picture, larger than the \(maxDimension)x\(maxDimension) limit")
                }
                try checkPixels(width: w, height: h, path: path)
            }
        }

        try requireContent(context, streams: streams, path: path)

        let format = context.pointer.pointee
        let duration: Double? =
            format.duration > 0 && format.duration != cffmpeg_nopts_value()
            ? Double(format.duration) / Double(AV_TIME_BASE) : nil
        let tags = dictionary(format.metadata)
        let kind = classify(formatName: formatName, streams: streams, context: context)
        let mime = MimeType.guess(
            formatName: formatName, kind: kind, streams: streams, tags: tags, nameHint: nameHint ?? path)
        return MediaInfo(
            formatName: formatName,
            duration: duration,
            bitRate: format.bit_rate > 0 ? format.bit_rate : nil,
            size: size,
            tags: tags,
            streams: streams,
            kind: kind,
            mime: mime,
            exifCaptureTime: header.flatMap(ImageHeader.exifCaptureTime))
    }

    /// The most pixels one picture may have: `OMNISTORE_MAX_PIXELS`, default
    /// 100 million (a medium-format camera's photo), about 400 MB decoded.
    /// Read once per process: building the environment dictionary costs
    /// more than probing a small PNG.
    public static let maxPixels: Int =
        ProcessInfo.processInfo.environment["OMNISTORE_MAX_PIXELS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        ?? 100_000_000

    private static func checkPixels(width: Int, height: Int, path: String) throws(MediaError) {
        let limit = maxPixels
        let pixels = width.multipliedReportingOverflow(by: height)
        guard pixels.overflow || pixels.partialValue > limit || width > maxDimension || height > maxDimension else {
            return
        }
        let megapixels = pixels.overflow ? "too many" : String(pixels.partialValue / 1_000_000)
        throw MediaError(
            .limitExceeded, path: path,
            "declares a \(width)x\(height) picture (\(megapixels) megapixels), more than the \(limit / 1_000_000)-megapixel limit or \(maxDimension) pixels a side: scale it down, or raise OMNISTORE_MAX_PIXELS"
        )
    }

    /// The largest width or height accepted; larger declared sizes are hostile
    /// or broken input, and decoding them would allocate gigabytes.
    public static let maxDimension = 16384

    /// Demuxers that accept plain text and would make any text file "media".
    private static let rejectedDemuxers: Set<String> = ["tty", "srt", "ass", "webvtt", "microdvd", "subviewer"]

    /// Still-image demuxers; a file they open is an image.
    private static let imageDemuxers: Set<String> = [
        "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "image2", "jpegls_pipe",
        "qoi_pipe", "dpx_pipe", "exr_pipe", "j2k_pipe", "pgm_pipe", "ppm_pipe", "pam_pipe",
        "pbm_pipe", "psd_pipe", "sgi_pipe", "svg_pipe", "xpm_pipe", "xwd_pipe", "pcx_pipe",
    ]

    private static func classify(
        formatName: String, streams: [StreamInfo], context: InputFormatContext
    ) -> MediaKind {
        if imageDemuxers.contains(formatName) { return .image }
        if formatName == "gif" {
            return countPackets(context, upTo: 2) <= 1 ? .image : .video
        }
        if streams.contains(where: { $0.type == .video && !$0.isAttachedPicture }) { return .video }
        if streams.contains(where: { $0.type == .audio }) { return .audio }
        return .image
    }

    /// A file whose header names a stream but holds nothing after it (a PNG
    /// that is only its signature, a WAV that is only its header) opens in
    /// libavformat, and in ffprobe too, so opening is not enough: the picture
    /// needs a size, and the stream that makes the file media needs a packet
    /// with bytes in it. find_stream_info keeps the packets it read, so this
    /// reads what it already had and costs nothing on a real file.
    private static func requireContent(
        _ context: InputFormatContext, streams: [StreamInfo], path: String
    ) throws(MediaError) {
        let picture = streams.first { $0.type == .video && !$0.isAttachedPicture }
        if let picture, picture.codec != nil, (picture.width ?? 0) <= 0 || (picture.height ?? 0) <= 0 {
            throw MediaError(
                .notMedia, path: path,
                "holds no picture with a size (only a header, or the picture is damaged): give a complete file")
        }
        guard let main = picture ?? streams.first(where: { $0.type == .audio && $0.codec != nil }) else { return }
        guard let packet = av_packet_alloc() else {
            throw MediaError(.library, path: path, "out of memory while reading the first packet")
        }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetPointer) }
        // Packets of other streams (cover art, subtitles, data) may come first.
        for _ in 0..<512 {
            guard av_read_frame(context.pointer, packet) >= 0 else { break }
            defer { av_packet_unref(packet) }
            if Int(packet.pointee.stream_index) == main.index && packet.pointee.size > 0 { return }
        }
        let what = main.type == .video ? "picture" : "sound"
        throw MediaError(
            .notMedia, path: path,
            "holds no \(what) data (only a header, or the file is truncated): give a complete file")
    }

    /// Counts packets from the current read position, stopping at `limit`.
    private static func countPackets(_ context: InputFormatContext, upTo limit: Int) -> Int {
        guard let packet = av_packet_alloc() else { return limit }
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetPointer) }
        // find_stream_info may have read ahead; rewind so every frame counts.
        av_seek_frame(context.pointer, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE)
        var count = 0
        while count < limit, av_read_frame(context.pointer, packet) >= 0 {
            count += 1
            av_packet_unref(packet)
        }
        return count
    }

    private static func streamInfo(_ stream: UnsafeMutablePointer<AVStream>) -> StreamInfo {
        let st = stream.pointee
        let par = st.codecpar.pointee
        let type: StreamInfo.StreamType
        switch par.codec_type {
        case AVMEDIA_TYPE_VIDEO: type = .video
        case AVMEDIA_TYPE_AUDIO: type = .audio
        case AVMEDIA_TYPE_SUBTITLE: type = .subtitle
        case AVMEDIA_TYPE_DATA: type = .data
        case AVMEDIA_TYPE_ATTACHMENT: type = .attachment
        default: type = .unknown
        }
        var info = StreamInfo(index: Int(st.index), type: type, isAttachedPicture: false)
        if par.codec_id != AV_CODEC_ID_NONE {
            info.codec = String(cString: avcodec_get_name(par.codec_id))
            if par.profile != FF_PROFILE_UNKNOWN, let name = avcodec_profile_name(par.codec_id, par.profile) {
                info.profile = String(cString: name)
            }
        }
        info.bitRate = par.bit_rate > 0 ? par.bit_rate : nil
        info.frames = st.nb_frames > 0 ? st.nb_frames : nil
        let metadata = dictionary(st.metadata)
        info.language = metadata["language"]
        info.isAttachedPicture = (st.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0

        if type == .video {
            info.width = par.width > 0 ? Int(par.width) : nil
            info.height = par.height > 0 ? Int(par.height) : nil
            if par.format >= 0, let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: par.format)) {
                info.pixelFormat = String(cString: name)
            }
            if st.avg_frame_rate.den != 0, st.avg_frame_rate.num != 0 {
                info.fps = av_q2d(st.avg_frame_rate)
            }
            info.rotation = rotation(stream)
            info.sampleAspectRatio = sampleAspectRatio(st.sample_aspect_ratio, par.sample_aspect_ratio)
            if par.color_range != AVCOL_RANGE_UNSPECIFIED {
                info.colorRange = name(av_color_range_name(par.color_range))
            }
            if par.color_space != AVCOL_SPC_UNSPECIFIED { info.colorSpace = name(av_color_space_name(par.color_space)) }
            if par.color_trc != AVCOL_TRC_UNSPECIFIED {
                info.colorTransfer = name(av_color_transfer_name(par.color_trc))
            }
            if par.color_primaries != AVCOL_PRI_UNSPECIFIED {
                info.colorPrimaries = name(av_color_primaries_name(par.color_primaries))
            }
        } else if type == .audio {
            info.sampleRate = par.sample_rate > 0 ? Int(par.sample_rate) : nil
            info.channels = par.ch_layout.nb_channels > 0 ? Int(par.ch_layout.nb_channels) : nil
            if par.ch_layout.order != AV_CHANNEL_ORDER_UNSPEC {
                var layout = par.ch_layout
                var buffer = [CChar](repeating: 0, count: 128)
                if av_channel_layout_describe(&layout, &buffer, buffer.count) > 0 {
                    info.channelLayout = String(
                        decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
        }
        return info
    }

    /// The display-matrix rotation, as ffprobe prints it in `side_data_list`.
    ///
    /// The corresponding C functions are `av_stream_get_side_data` and
    /// `av_display_rotation_get`.
    private static func rotation(_ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
            size >= 9 * MemoryLayout<Int32>.size
        else { return nil }
        let degrees = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        guard degrees.isFinite else { return nil }
        let rounded = (degrees * 1000).rounded() / 1000
        return rounded == 0 ? 0 : rounded
    }

    /// The stream's ratio when it gives one, else the codec's, as
    /// `av_guess_sample_aspect_ratio` prefers them; nil for unknown or square.
    private static func sampleAspectRatio(_ stream: AVRational, _ codec: AVRational) -> SampleAspectRatio? {
        let ratio = stream.num > 0 && stream.den > 0 ? stream : codec
        guard ratio.num > 0, ratio.den > 0, ratio.num != ratio.den else { return nil }
        var (a, b) = (Int(ratio.num), Int(ratio.den))
        while b != 0 { (a, b) = (b, a % b) }
        return SampleAspectRatio(numerator: Int(ratio.num) / a, denominator: Int(ratio.den) / a)
    }

    private static func name(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    static func dictionary(_ dict: OpaquePointer?) -> [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            if let key = next.pointee.key, let value = next.pointee.value {
                result[String(cString: key)] = String(cString: value)
            }
            entry = next
        }
        return result
    }
}
