import Foundation

/// PSNR of two luma planes as FFmpeg's `psnr` filter computes it
/// (`libavfilter/vf_psnr.c`): the integer sum of squared differences, the
/// mean squared error over the plane, and `10 log10(max² / MSE)`.
enum PSNR {
    /// The mean squared error between two planes of the same size, given the
    /// squared error SSIM already summed over the whole 4x4 blocks: only the
    /// right and bottom borders beyond them are added here.
    static func meanSquaredError(_ a: LumaPlane, _ b: LumaPlane, blockSquaredError: UInt64) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.depth == b.depth)
        let count = a.width * a.height
        guard count > 0 else { return 0 }
        let coveredWidth = a.width >> 2 >= 2 && a.height >> 2 >= 2 ? a.width / 4 * 4 : 0
        let coveredHeight = coveredWidth > 0 ? a.height / 4 * 4 : 0
        var total = blockSquaredError
        // The right border of the covered rows, then every row below them.
        total &+= squaredError(a, b, rows: 0..<coveredHeight, columns: coveredWidth..<a.width)
        total &+= squaredError(a, b, rows: coveredHeight..<a.height, columns: 0..<a.width)
        return Double(total) / Double(count)
    }

    private static func squaredError(_ a: LumaPlane, _ b: LumaPlane, rows: Range<Int>, columns: Range<Int>) -> UInt64 {
        guard !rows.isEmpty, !columns.isEmpty else { return 0 }
        var total: UInt64 = 0
        let wide = a.depth > 8
        for row in rows {
            let p = a.base + row * a.stride
            let q = b.base + row * b.stride
            for column in columns {
                let x: Int
                let y: Int
                if wide {
                    x = Int(p[2 * column]) | Int(p[2 * column + 1]) << 8
                    y = Int(q[2 * column]) | Int(q[2 * column + 1]) << 8
                } else {
                    x = Int(p[column])
                    y = Int(q[column])
                }
                total &+= UInt64((x - y) * (x - y))
            }
        }
        return total
    }

    /// `get_psnr`: decibels for a mean squared error; infinity for identical planes.
    static func decibels(meanSquaredError mse: Double, maxValue: Int) -> Double {
        mse > 0 ? 10 * log10(Double(maxValue * maxValue) / mse) : .infinity
    }
}
