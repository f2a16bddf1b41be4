import Foundation

/// PSNR of two luma planes as FFmpeg's `psnr` filter computes it
/// (`libavfilter/vf_psnr.c`): the integer sum of squared differences, the
/// mean squared error over the plane, and `10 log10(max² / MSE)`.
enum PSNR {
    /// The mean squared error between two planes of the same size.
    static func meanSquaredError(_ a: LumaPlane, _ b: LumaPlane) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.depth == b.depth)
        let count = a.width * a.height
        guard count > 0 else { return 0 }
        var total: UInt64 = 0
        a.bytes.withUnsafeBufferPointer { first in
            b.bytes.withUnsafeBufferPointer { second in
                guard let p = first.baseAddress, let q = second.baseAddress else { return }
                if a.depth == 8 {
                    // Chunks of 4096 pixels keep the 32-bit partial sums exact (4096 × 255² < 2³²).
                    var start = 0
                    while start < count {
                        let end = min(start + 4096, count)
                        var partial: UInt32 = 0
                        for index in start..<end {
                            let d = Int32(p[index]) &- Int32(q[index])
                            partial &+= UInt32(bitPattern: d &* d)
                        }
                        total &+= UInt64(partial)
                        start = end
                    }
                } else {
                    UnsafeRawPointer(p).withMemoryRebound(to: UInt16.self, capacity: count) { p16 in
                        UnsafeRawPointer(q).withMemoryRebound(to: UInt16.self, capacity: count) { q16 in
                            for index in 0..<count {
                                let d = Int64(p16[index]) - Int64(q16[index])
                                total &+= UInt64(d * d)
                            }
                        }
                    }
                }
            }
        }
        return Double(total) / Double(count)
    }

    /// `get_psnr`: decibels for a mean squared error; infinity for identical planes.
    static func decibels(meanSquaredError mse: Double, maxValue: Int) -> Double {
        mse > 0 ? 10 * log10(Double(maxValue * maxValue) / mse) : .infinity
    }
}
