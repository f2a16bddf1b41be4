internal import CFFmpeg

/// An owned libswscale context converting one size and pixel format to
/// another, freed on deinit.
///
/// Not thread-safe: use it from one thread at a time.
final class ScaleContext {
    /// What a context was made for; a frame with other parameters needs a new one.
    struct Shape: Equatable {
        var sourceWidth: Int32
        var sourceHeight: Int32
        var sourceFormat: AVPixelFormat
        var width: Int32
        var height: Int32
        var format: AVPixelFormat
        var colorspace: AVColorSpace
        var range: AVColorRange
    }

    let pointer: OpaquePointer
    let shape: Shape

    /// Makes a bicubic scaler for `shape` and applies the source's color
    /// matrix and range, as FFmpeg 5.1's scale filter does: the matrix comes
    /// from `sws_getCoefficients(colorspace)`, the range from the frame when it
    /// says one, otherwise swscale's default for the pixel format.
    ///
    /// The corresponding C functions are `sws_getContext`, `sws_getColorspaceDetails`
    /// and `sws_setColorspaceDetails`.
    init(_ shape: Shape, path: String?) throws(MediaError) {
        try FFmpegRuntime.load()
        guard
            let context = sws_getContext(
                shape.sourceWidth, shape.sourceHeight, shape.sourceFormat, shape.width, shape.height, shape.format,
                SWS_BICUBIC, nil, nil, nil)
        else {
            throw MediaError(
                .invalidMedia, path: path,
                "cannot convert \(shape.sourceWidth)x\(shape.sourceHeight) \(ScaleContext.name(shape.sourceFormat)) pictures to \(ScaleContext.name(shape.format))"
            )
        }
        pointer = context
        self.shape = shape
        if ScaleContext.isRGB(shape.format), !ScaleContext.isRGB(shape.sourceFormat) {
            try applyColorDetails(path: path)
        }
    }

    deinit {
        sws_freeContext(pointer)
    }

    private func applyColorDetails(path: String?) throws(MediaError) {
        var inverseTable: UnsafeMutablePointer<Int32>? = nil
        var table: UnsafeMutablePointer<Int32>? = nil
        var sourceFull: Int32 = 0
        var destinationFull: Int32 = 0
        var brightness: Int32 = 0
        var contrast: Int32 = 0
        var saturation: Int32 = 0
        try check(
            sws_getColorspaceDetails(
                pointer, &inverseTable, &sourceFull, &table, &destinationFull, &brightness, &contrast, &saturation),
            .library, path: path, "cannot read the scaler's color settings")
        if shape.range != AVCOL_RANGE_UNSPECIFIED {
            sourceFull = shape.range == AVCOL_RANGE_JPEG ? 1 : 0
        }
        // Out-of-table values (unspecified, YCgCo) get swscale's BT.601 default, as in the scale filter.
        let coefficients = sws_getCoefficients(Int32(bitPattern: shape.colorspace.rawValue))
        try check(
            sws_setColorspaceDetails(
                pointer, coefficients, sourceFull, coefficients, destinationFull, brightness, contrast, saturation),
            .library, path: path, "cannot set the scaler's color matrix")
    }

    /// Converts a whole picture.
    ///
    /// The corresponding C function is `sws_scale`.
    func scale(
        source: [UnsafePointer<UInt8>?], sourceStrides: [Int32],
        into destination: [UnsafeMutablePointer<UInt8>?], destinationStrides: [Int32], path: String?
    ) throws(MediaError) {
        try check(
            sws_scale(pointer, source, sourceStrides, 0, shape.sourceHeight, destination, destinationStrides),
            .library, path: path, "cannot convert the picture")
    }

    /// Converts a decoded frame into packed pixels at `destination`.
    func scale(_ frame: Frame, into destination: UnsafeMutablePointer<UInt8>, stride: Int, path: String?)
        throws(MediaError)
    {
        let planes = withUnsafeBytes(of: frame.pointer.pointee.data) {
            Array($0.bindMemory(to: UnsafePointer<UInt8>?.self))
        }
        let strides = withUnsafeBytes(of: frame.pointer.pointee.linesize) { Array($0.bindMemory(to: Int32.self)) }
        try scale(
            source: planes, sourceStrides: strides, into: [destination, nil, nil, nil],
            destinationStrides: [Int32(stride), 0, 0, 0], path: path)
    }

    static func isRGB(_ format: AVPixelFormat) -> Bool {
        guard let descriptor = av_pix_fmt_desc_get(format) else { return false }
        return descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
    }

    static func name(_ format: AVPixelFormat) -> String {
        av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "unknown"
    }
}

@available(*, unavailable)
extension ScaleContext: Sendable {}
