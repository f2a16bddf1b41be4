internal import CFFmpeg

extension Orientation {
    /// The decoded picture turned upright, in its own pixel format, the way
    /// FFmpeg's `transpose`, `hflip` and `vflip` filters turn it before the
    /// scale filter sees it; nil for pixel formats whose planes cannot simply
    /// be turned (chroma subsampled differently across and down, palettes,
    /// bitstream formats), which are turned after scaling instead.
    ///
    /// Turning before scaling matters: swscale's horizontal and vertical
    /// passes round differently, so scale-then-turn is a few dB off ffmpeg.
    func applied(to frame: Frame, path: String) throws(MediaError) -> Frame? {
        let format = frame.pixelFormat
        guard self != .identity, let descriptor = av_pix_fmt_desc_get(format) else { return nil }
        let flags = descriptor.pointee.flags
        let unsupported = UInt64(AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_HWACCEL)
        guard flags & unsupported == 0, descriptor.pointee.log2_chroma_w == descriptor.pointee.log2_chroma_h else {
            return nil
        }
        // Every plane's samples must be whole bytes of one size (the step of
        // the components in it): true of planar YUV, NV12 and packed RGB.
        let components = withUnsafeBytes(of: descriptor.pointee.comp) {
            Array($0.bindMemory(to: AVComponentDescriptor.self).prefix(Int(descriptor.pointee.nb_components)))
        }
        var elementSize: [Int: Int] = [:]
        for component in components {
            let plane = Int(component.plane)
            let step = Int(component.step)
            guard step > 0, elementSize[plane].map({ $0 == step }) ?? true else { return nil }
            elementSize[plane] = step
        }

        let source = frame.pointer
        let turned = try Frame()
        let target = turned.pointer
        let width = frame.width
        let height = frame.height
        target.pointee.format = source.pointee.format
        target.pointee.width = Int32(swapsAxes ? height : width)
        target.pointee.height = Int32(swapsAxes ? width : height)
        try check(av_frame_get_buffer(target, 0), .library, path: path, "cannot allocate a turned picture")
        try check(av_frame_copy_props(target, source), .library, path: path, "cannot copy the picture's properties")
        let aspect = source.pointee.sample_aspect_ratio
        if swapsAxes, aspect.num > 0, aspect.den > 0 {
            target.pointee.sample_aspect_ratio = AVRational(num: aspect.den, den: aspect.num)
        }

        let sourcePlanes = withUnsafeBytes(of: source.pointee.data) {
            Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self))
        }
        let sourceStrides = withUnsafeBytes(of: source.pointee.linesize) { Array($0.bindMemory(to: Int32.self)) }
        let targetPlanes = withUnsafeBytes(of: target.pointee.data) {
            Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self))
        }
        let targetStrides = withUnsafeBytes(of: target.pointee.linesize) { Array($0.bindMemory(to: Int32.self)) }
        for (plane, size) in elementSize {
            guard let from = sourcePlanes[plane], let to = targetPlanes[plane] else {
                throw MediaError(.library, path: path, "a picture plane is missing")
            }
            // Chroma planes are subsampled equally across and down (checked above).
            let isChroma = plane == 1 || plane == 2
            let shift = isChroma ? Int(descriptor.pointee.log2_chroma_w) : 0
            let planeWidth = -((-width) >> shift)
            let planeHeight = -((-height) >> shift)
            turn(
                from, stride: Int(sourceStrides[plane]), width: planeWidth, height: planeHeight, into: to,
                stride: Int(targetStrides[plane]), elementSize: size)
        }
        return turned
    }

    /// Moves every sample of one plane to its turned place.
    private func turn(
        _ source: UnsafeMutablePointer<UInt8>, stride sourceStride: Int, width: Int, height: Int,
        into target: UnsafeMutablePointer<UInt8>, stride targetStride: Int, elementSize: Int
    ) {
        let outWidth = swapsAxes ? height : width
        let outHeight = swapsAxes ? width : height
        for row in 0..<outHeight {
            let targetRow = target + row * targetStride
            for column in 0..<outWidth {
                let (sourceRow, sourceColumn) = sourcePosition(row: row, column: column, width: width, height: height)
                let from = source + sourceRow * sourceStride + sourceColumn * elementSize
                let to = targetRow + column * elementSize
                switch elementSize {
                case 1: to.pointee = from.pointee
                case 2:
                    to.pointee = from.pointee
                    to[1] = from[1]
                default: to.update(from: from, count: elementSize)
                }
            }
        }
    }
}
