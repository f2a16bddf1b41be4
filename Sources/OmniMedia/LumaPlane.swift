internal import CFFmpeg

/// The luma (Y) samples of one decoded frame, handed from a decoding thread
/// to the thread comparing them.
///
/// Planar formats are not copied: the plane keeps a reference to the decoder's
/// frame. Other formats are converted to gray first.
struct LumaPlane: @unchecked Sendable {
    // @unchecked: `base` points into `storage`, which this value keeps alive;
    // the samples are never written once the plane is made (libavcodec never
    // writes into a picture it has output while a reference to it is held).
    let width: Int
    let height: Int
    /// Bits per sample: 8, or 9 to 16 stored in two little-endian bytes.
    let depth: Int
    /// The first sample of the top row.
    let base: UnsafePointer<UInt8>
    /// Bytes from one row to the next.
    let stride: Int
    /// When the frame is shown, in seconds from the start of its file.
    let time: Double
    private let storage: PlaneStorage

    var bytesPerSample: Int { depth > 8 ? 2 : 1 }
    /// The largest sample value: 255 for 8 bits, 1023 for 10.
    var maxValue: Int { (1 << depth) - 1 }

    private init(
        width: Int, height: Int, depth: Int, storage: PlaneStorage, base: UnsafePointer<UInt8>, stride: Int,
        time: Double
    ) {
        self.width = width
        self.height = height
        self.depth = depth
        self.storage = storage
        self.base = base
        self.stride = stride
        self.time = time
    }

    /// A plane of `width`x`height` samples in a new buffer, filled by `fill`
    /// (given the buffer and its row stride).
    private static func filled(
        width: Int, height: Int, depth: Int, time: Double,
        _ fill: (UnsafeMutablePointer<UInt8>, Int) throws(MediaError) -> Void
    ) throws(MediaError) -> LumaPlane {
        let stride = width * (depth > 8 ? 2 : 1)
        // swscale may write a little past the last sample.
        let storage = PlaneStorage(byteCount: stride * height + 64)
        guard let buffer = storage.buffer else { throw MediaError(.library, path: nil, "no plane buffer") }
        try fill(buffer, stride)
        return LumaPlane(
            width: width, height: height, depth: depth, storage: storage, base: UnsafePointer(buffer), stride: stride,
            time: time)
    }

    /// The luma plane of the decoder's current frame, turned upright by its
    /// display matrix as ffmpeg's autorotation turns it; formats whose luma
    /// is not a plane of its own (packed YUV, RGB) are converted to gray.
    init(of decoder: VideoDecoder, time: Double, scaler: inout ScaleContext?) throws(MediaError) {
        let plane = try LumaPlane(coded: decoder, time: time, scaler: &scaler)
        self = try plane.turned(decoder.orientation(of: decoder.frame))
    }

    /// The same samples turned by `orientation` (a copy, unless it is the identity).
    func turned(_ orientation: Orientation) throws(MediaError) -> LumaPlane {
        guard orientation != .identity else { return self }
        let source = self
        let size = bytesPerSample
        let (outWidth, outHeight) = orientation.swapsAxes ? (height, width) : (width, height)
        return try LumaPlane.filled(width: outWidth, height: outHeight, depth: depth, time: time) {
            (buffer, stride) in
            for row in 0..<outHeight {
                let target = buffer + row * stride
                for column in 0..<outWidth {
                    let (sourceRow, sourceColumn) = orientation.sourcePosition(
                        row: row, column: column, width: source.width, height: source.height)
                    let from = source.base + sourceRow * source.stride + sourceColumn * size
                    target[column * size] = from[0]
                    if size == 2 { target[column * size + 1] = from[1] }
                }
            }
        }
    }

    /// The luma plane of the decoder's current frame as coded.
    private init(coded decoder: VideoDecoder, time: Double, scaler: inout ScaleContext?) throws(MediaError) {
        let frame = decoder.frame
        let path = decoder.path
        let format = frame.pixelFormat
        guard let descriptor = av_pix_fmt_desc_get(format), frame.width > 0, frame.height > 0 else {
            throw MediaError(.invalidMedia, path: path, "the decoder returned a picture in an unknown pixel format")
        }
        let luma = descriptor.pointee.comp.0
        let flags = descriptor.pointee.flags
        let unusable = UInt64(
            AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL
                | AV_PIX_FMT_FLAG_BITSTREAM)
        let depth = Int(luma.depth)
        let planar =
            flags & unusable == 0 && luma.plane == 0 && luma.offset == 0 && luma.shift == 0
            && ((depth == 8 && luma.step == 1) || (depth > 8 && depth <= 16 && luma.step == 2))
        if planar, frame.pointer.pointee.linesize.0 > 0 {
            let kept = try decoder.retainFrame()
            guard let data = kept.pointer.pointee.data.0 else {
                throw MediaError(.invalidMedia, path: path, "the decoder returned a picture without samples")
            }
            self.init(
                width: frame.width, height: frame.height, depth: depth, storage: PlaneStorage(frame: kept),
                base: UnsafePointer(data), stride: Int(kept.pointer.pointee.linesize.0), time: time)
            return
        }
        let gray = depth > 8 ? AV_PIX_FMT_GRAY16LE : AV_PIX_FMT_GRAY8
        let shape = ScaleContext.Shape(
            sourceWidth: Int32(frame.width), sourceHeight: Int32(frame.height), sourceFormat: format,
            width: Int32(frame.width), height: Int32(frame.height), format: gray,
            colorspace: frame.pointer.pointee.colorspace, range: frame.pointer.pointee.color_range)
        if scaler?.shape != shape { scaler = try ScaleContext(shape, path: path) }
        guard let scaler else { throw MediaError(.library, path: path, "no scaler") }
        self = try LumaPlane.filled(width: frame.width, height: frame.height, depth: depth > 8 ? 16 : 8, time: time) {
            (buffer, stride) throws(MediaError) in
            try scaler.scale(frame, into: buffer, stride: stride, path: path)
        }
    }

    /// The same picture at another size (bicubic), for comparing clips whose sizes differ.
    func resized(width newWidth: Int, height newHeight: Int, scaler: inout ScaleContext?) throws(MediaError)
        -> LumaPlane
    {
        let gray = depth > 8 ? AV_PIX_FMT_GRAY16LE : AV_PIX_FMT_GRAY8
        let shape = ScaleContext.Shape(
            sourceWidth: Int32(width), sourceHeight: Int32(height), sourceFormat: gray, width: Int32(newWidth),
            height: Int32(newHeight), format: gray, colorspace: AVCOL_SPC_UNSPECIFIED, range: AVCOL_RANGE_UNSPECIFIED)
        if scaler?.shape != shape { scaler = try ScaleContext(shape, path: nil) }
        guard let scaler else { throw MediaError(.library, path: nil, "no scaler") }
        let source = self
        return try LumaPlane.filled(width: newWidth, height: newHeight, depth: depth, time: time) {
            (buffer, stride) throws(MediaError) in
            try scaler.scale(
                source: [source.base, nil, nil, nil], sourceStrides: [Int32(source.stride), 0, 0, 0],
                into: [buffer, nil, nil, nil], destinationStrides: [Int32(stride), 0, 0, 0], path: nil)
        }
    }

    /// The same picture with 8-bit samples (the top bits of deeper ones).
    func reducedTo8Bits() throws(MediaError) -> LumaPlane {
        guard depth > 8 else { return self }
        let shift = depth - 8
        let source = self
        return try LumaPlane.filled(width: width, height: height, depth: 8, time: time) { (buffer, stride) in
            for row in 0..<source.height {
                let from = source.base + row * source.stride
                let to = buffer + row * stride
                for column in 0..<source.width {
                    let value = Int(from[2 * column]) | Int(from[2 * column + 1]) << 8
                    to[column] = UInt8(truncatingIfNeeded: min(value >> shift, 255))
                }
            }
        }
    }
}

/// The memory a plane's samples live in: a reference to a decoded frame, or
/// a buffer of converted samples.
final class PlaneStorage: @unchecked Sendable {
    // @unchecked: the frame reference and the buffer are only read after the
    // plane is made, on whichever single thread holds it at the time.
    private let frame: Frame?
    let buffer: UnsafeMutablePointer<UInt8>?

    init(frame: Frame) {
        self.frame = frame
        buffer = nil
    }

    init(byteCount: Int) {
        frame = nil
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: byteCount)
        buffer.initialize(repeating: 0, count: byteCount)
        self.buffer = buffer
    }

    deinit {
        buffer?.deallocate()
    }
}
