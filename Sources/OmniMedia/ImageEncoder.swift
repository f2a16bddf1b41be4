internal import CFFmpeg

/// Encodes pictures as PNG or JPEG with libavcodec's own `png` and `mjpeg`
/// encoders, in memory.
public enum ImageEncoder {
    /// The JPEG quantizer used unless one is given: `ffmpeg -q:v 3`, visually
    /// clean at a fraction of a PNG's size.
    public static let defaultJPEGQuality = 3

    /// Encodes `frame` as a complete file.
    ///
    /// - Parameters:
    ///   - frame: the picture, upright RGB.
    ///   - format: PNG (lossless, RGB) or JPEG (4:2:0, full range, BT.601).
    ///   - jpegQuality: the JPEG quantizer, 2 (best) to 31 (smallest), as `-q:v`.
    /// - Throws: ``MediaError`` when the encoder fails.
    public static func encode(
        _ frame: RGBFrame, as format: ImageFormat, jpegQuality: Int = defaultJPEGQuality
    ) throws -> [UInt8] {
        try encodeTyped(frame, as: format, jpegQuality: jpegQuality)
    }

    static func encodeTyped(_ frame: RGBFrame, as format: ImageFormat, jpegQuality: Int) throws(MediaError) -> [UInt8] {
        guard frame.width > 0, frame.height > 0, frame.pixels.count == frame.width * frame.height * 3 else {
            throw MediaError(.library, path: nil, "cannot encode an empty picture")
        }
        let picture = try Frame()
        let raw = picture.pointer
        raw.pointee.width = Int32(frame.width)
        raw.pointee.height = Int32(frame.height)
        let encoder: CodecContext
        switch format {
        case .png:
            encoder = try CodecContext.encoder(AV_CODEC_ID_PNG, name: "PNG") { context in
                context.pointee.width = Int32(frame.width)
                context.pointee.height = Int32(frame.height)
                context.pointee.pix_fmt = AV_PIX_FMT_RGB24
                context.pointee.time_base = AVRational(num: 1, den: 25)
            }
            raw.pointee.format = AV_PIX_FMT_RGB24.rawValue
            try check(av_frame_get_buffer(raw, 0), .library, path: nil, "cannot allocate a picture")
            try copyRows(frame, into: picture)
        case .jpeg:
            let quality = Int32(min(max(jpegQuality, 2), 31)) * FF_QP2LAMBDA
            encoder = try CodecContext.encoder(AV_CODEC_ID_MJPEG, name: "JPEG") { context in
                context.pointee.width = Int32(frame.width)
                context.pointee.height = Int32(frame.height)
                context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
                context.pointee.time_base = AVRational(num: 1, den: 25)
                context.pointee.flags |= AV_CODEC_FLAG_QSCALE
                context.pointee.global_quality = quality
            }
            raw.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
            raw.pointee.quality = quality
            try check(av_frame_get_buffer(raw, 0), .library, path: nil, "cannot allocate a picture")
            try convertToYUV(frame, into: picture)
        }
        try check(
            avcodec_send_frame(encoder.pointer, raw), .library, path: nil,
            "the \(format.rawValue) encoder refused the picture")
        try check(
            avcodec_send_frame(encoder.pointer, nil), .library, path: nil,
            "cannot finish the \(format.rawValue) encoder")
        let packet = try Packet()
        try check(
            avcodec_receive_packet(encoder.pointer, packet.pointer), .library, path: nil,
            "the \(format.rawValue) encoder produced nothing")
        guard let data = packet.pointer.pointee.data, packet.pointer.pointee.size > 0 else {
            throw MediaError(.library, path: nil, "the \(format.rawValue) encoder produced an empty file")
        }
        return Array(UnsafeBufferPointer(start: data, count: Int(packet.pointer.pointee.size)))
    }

    private static func copyRows(_ frame: RGBFrame, into picture: Frame) throws(MediaError) {
        guard let target = picture.pointer.pointee.data.0 else {
            throw MediaError(.library, path: nil, "the picture has no buffer")
        }
        let stride = Int(picture.pointer.pointee.linesize.0)
        let rowBytes = frame.width * 3
        frame.pixels.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            for row in 0..<frame.height {
                (target + row * stride).update(from: base + row * rowBytes, count: rowBytes)
            }
        }
    }

    private static func convertToYUV(_ frame: RGBFrame, into picture: Frame) throws(MediaError) {
        let shape = ScaleContext.Shape(
            sourceWidth: Int32(frame.width), sourceHeight: Int32(frame.height), sourceFormat: AV_PIX_FMT_RGB24,
            width: Int32(frame.width), height: Int32(frame.height), format: AV_PIX_FMT_YUVJ420P,
            colorspace: AVCOL_SPC_BT470BG, range: AVCOL_RANGE_JPEG)
        let scaler = try ScaleContext(shape, path: nil)
        let planes = withUnsafeBytes(of: picture.pointer.pointee.data) {
            Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self))
        }
        let strides = withUnsafeBytes(of: picture.pointer.pointee.linesize) { Array($0.bindMemory(to: Int32.self)) }
        try frame.pixels.withUnsafeBufferPointer { (source) throws(MediaError) in
            try scaler.scale(
                source: [source.baseAddress, nil, nil, nil], sourceStrides: [Int32(frame.width * 3), 0, 0, 0],
                into: planes, destinationStrides: strides, path: nil)
        }
    }
}
