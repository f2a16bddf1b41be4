/// How a decoded picture must be turned to stand upright, from a stream's
/// display matrix.
///
/// The cases and the choice between them follow FFmpeg 5.1's autorotation
/// (`ffmpeg_filter.c`): the angle is `-round(av_display_rotation_get)`, and
/// the matrix's signs pick the `transpose` direction or the flips. Angles that
/// are not a multiple of 90° are left alone.
enum Orientation: Equatable {
    case identity
    /// `transpose=clock`: 90° clockwise.
    case clockwise
    /// `transpose=cclock`: 90° counter-clockwise.
    case counterClockwise
    /// `transpose=cclock_flip`: swap rows and columns.
    case transpose
    /// `transpose=clock_flip`: swap rows and columns across the other diagonal.
    case antiTranspose
    case horizontalFlip
    case verticalFlip
    /// `hflip,vflip`: 180°.
    case upsideDown

    /// Whether width and height trade places.
    var swapsAxes: Bool {
        switch self {
        case .clockwise, .counterClockwise, .transpose, .antiTranspose: return true
        default: return false
        }
    }

    /// Picks the transform for a display matrix (nine 16.16/2.30 fixed-point
    /// values) whose rotation is `degrees` as `av_display_rotation_get` returns it.
    init(matrix: [Int32]?, degrees: Double?) {
        guard let matrix, matrix.count == 9, let degrees, degrees.isFinite else {
            self = .identity
            return
        }
        var theta = -degrees.rounded()
        theta -= 360 * (theta / 360 + 0.9 / 360).rounded(.down)
        if abs(theta - 90) < 1 {
            self = matrix[3] > 0 ? .transpose : .clockwise
        } else if abs(theta - 180) < 1 {
            switch (matrix[0] < 0, matrix[4] < 0) {
            case (true, true): self = .upsideDown
            case (true, false): self = .horizontalFlip
            case (false, true): self = .verticalFlip
            case (false, false): self = .identity
            }
        } else if abs(theta - 270) < 1 {
            self = matrix[3] < 0 ? .antiTranspose : .counterClockwise
        } else if abs(theta) < 1, matrix[4] < 0 {
            self = .verticalFlip
        } else {
            self = .identity
        }
    }

    /// Where the pixel at (`row`, `column`) of the turned picture comes from
    /// in a `width`x`height` source.
    @inline(__always)
    func sourcePosition(row: Int, column: Int, width: Int, height: Int) -> (row: Int, column: Int) {
        switch self {
        case .identity: return (row, column)
        case .clockwise: return (height - 1 - column, row)
        case .counterClockwise: return (column, width - 1 - row)
        case .transpose: return (column, row)
        case .antiTranspose: return (height - 1 - column, width - 1 - row)
        case .horizontalFlip: return (row, width - 1 - column)
        case .verticalFlip: return (height - 1 - row, column)
        case .upsideDown: return (height - 1 - row, width - 1 - column)
        }
    }

    /// Applies the transform to a packed RGB picture.
    func apply(_ frame: RGBFrame) -> RGBFrame {
        if self == .identity { return frame }
        let inWidth = frame.width
        let inHeight = frame.height
        let outWidth = swapsAxes ? inHeight : inWidth
        let outHeight = swapsAxes ? inWidth : inHeight
        var out = [UInt8](repeating: 0, count: frame.pixels.count)
        frame.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                guard let src = source.baseAddress, let dst = target.baseAddress else { return }
                for row in 0..<outHeight {
                    for column in 0..<outWidth {
                        let (sourceRow, sourceColumn) = sourcePosition(
                            row: row, column: column, width: inWidth, height: inHeight)
                        let from = (sourceRow * inWidth + sourceColumn) * 3
                        let to = (row * outWidth + column) * 3
                        dst[to] = src[from]
                        dst[to + 1] = src[from + 1]
                        dst[to + 2] = src[from + 2]
                    }
                }
            }
        }
        return RGBFrame(width: outWidth, height: outHeight, pixels: out, time: frame.time)
    }
}
