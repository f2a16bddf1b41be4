internal import CFFmpeg

/// The luma (Y) samples of one decoded frame, copied out of the decoder so it
/// can be compared on another thread.
struct LumaPlane: Sendable {
    let width: Int
    let height: Int
    /// Bits per sample: 8, or 9 to 16 stored in two little-endian bytes.
    let depth: Int
    /// `width * height` samples, row after row, one or two bytes each.
    var bytes: [UInt8]
    /// When the frame is shown, in seconds from the start of its file.
    let time: Double

    var bytesPerSample: Int { depth > 8 ? 2 : 1 }
    var rowBytes: Int { width * bytesPerSample }
    /// The largest sample value: 255 for 8 bits, 1023 for 10.
    var maxValue: Int { (1 << depth) - 1 }

    init(width: Int, height: Int, depth: Int, bytes: [UInt8], time: Double) {
        self.width = width
        self.height = height
        self.depth = depth
        self.bytes = bytes
        self.time = time
    }

    /// Copies the luma plane of `frame`; formats whose luma is not a plane
    /// of its own (packed YUV, RGB) are converted to gray first.
    init(copying frame: Frame, time: Double, scaler: inout ScaleContext?, path: String) throws(MediaError) {
        let format = frame.pixelFormat
        guard let descriptor = av_pix_fmt_desc_get(format), frame.width > 0, frame.height > 0 else {
            throw MediaError(.invalidMedia, path: path, "the decoder returned a picture in an unknown pixel format")
        }
        let luma = descriptor.pointee.comp.0
        let flags = descriptor.pointee.flags
        let unusable = UInt64(AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM)
        let depth = Int(luma.depth)
        let planar =
            flags & unusable == 0 && luma.plane == 0 && luma.offset == 0 && luma.shift == 0
            && ((depth == 8 && luma.step == 1) || (depth > 8 && depth <= 16 && luma.step == 2))
        let width = frame.width
        let height = frame.height
        self.width = width
        self.height = height
        self.time = time
        if planar, let source = frame.pointer.pointee.data.0 {
            self.depth = depth
            let stride = Int(frame.pointer.pointee.linesize.0)
            let rowBytes = width * (depth > 8 ? 2 : 1)
            var copy = [UInt8](repeating: 0, count: rowBytes * height)
            copy.withUnsafeMutableBufferPointer { target in
                guard let base = target.baseAddress else { return }
                for row in 0..<height {
                    (base + row * rowBytes).update(from: source + row * stride, count: rowBytes)
                }
            }
            bytes = copy
            return
        }
        self.depth = depth > 8 ? 16 : 8
        let gray = depth > 8 ? AV_PIX_FMT_GRAY16LE : AV_PIX_FMT_GRAY8
        let shape = ScaleContext.Shape(
            sourceWidth: Int32(width), sourceHeight: Int32(height), sourceFormat: format, width: Int32(width),
            height: Int32(height), format: gray, colorspace: frame.pointer.pointee.colorspace,
            range: frame.pointer.pointee.color_range)
        if scaler?.shape != shape { scaler = try ScaleContext(shape, path: path) }
        guard let scaler else { throw MediaError(.library, path: path, "no scaler") }
        let rowBytes = width * (depth > 8 ? 2 : 1)
        var converted = [UInt8](repeating: 0, count: rowBytes * height + 64)
        try converted.withUnsafeMutableBufferPointer { (target) throws(MediaError) in
            guard let base = target.baseAddress else { return }
            try scaler.scale(frame, into: base, stride: rowBytes, path: path)
        }
        converted.removeLast(64)
        bytes = converted
    }

    /// The same picture at another size (bicubic), for comparing clips whose sizes differ.
    func resized(width newWidth: Int, height newHeight: Int, scaler: inout ScaleContext?) throws(MediaError) -> LumaPlane {
        let gray = depth > 8 ? AV_PIX_FMT_GRAY16LE : AV_PIX_FMT_GRAY8
        let shape = ScaleContext.Shape(
            sourceWidth: Int32(width), sourceHeight: Int32(height), sourceFormat: gray, width: Int32(newWidth),
            height: Int32(newHeight), format: gray, colorspace: AVCOL_SPC_UNSPECIFIED, range: AVCOL_RANGE_UNSPECIFIED)
        if scaler?.shape != shape { scaler = try ScaleContext(shape, path: nil) }
        guard let scaler else { throw MediaError(.library, path: nil, "no scaler") }
        let newRowBytes = newWidth * bytesPerSample
        var out = [UInt8](repeating: 0, count: newRowBytes * newHeight + 64)
        let sourceRowBytes = Int32(rowBytes)
        try bytes.withUnsafeBufferPointer { (source) throws(MediaError) in
            try out.withUnsafeMutableBufferPointer { (target) throws(MediaError) in
                try scaler.scale(
                    source: [source.baseAddress, nil, nil, nil], sourceStrides: [sourceRowBytes, 0, 0, 0],
                    into: [target.baseAddress, nil, nil, nil], destinationStrides: [Int32(newRowBytes), 0, 0, 0],
                    path: nil)
            }
        }
        out.removeLast(64)
        return LumaPlane(width: newWidth, height: newHeight, depth: depth, bytes: out, time: time)
    }

    /// The same picture with 8-bit samples (the top bits of deeper ones).
    func reducedTo8Bits() -> LumaPlane {
        guard depth > 8 else { return self }
        let shift = depth - 8
        var out = [UInt8](repeating: 0, count: width * height)
        bytes.withUnsafeBufferPointer { source in
            for index in 0..<(width * height) {
                let value = Int(source[2 * index]) | Int(source[2 * index + 1]) << 8
                out[index] = UInt8(truncatingIfNeeded: min(value >> shift, 255))
            }
        }
        return LumaPlane(width: width, height: height, depth: 8, bytes: out, time: time)
    }
}
