/// SSIM of two luma planes exactly as FFmpeg's `ssim` filter computes it
/// (`libavfilter/vf_ssim.c`): sums over 4x4 blocks, combined in overlapping
/// 2x2 groups of blocks (8x8 pixels), with the filter's integer C1 and C2
/// constants and its float arithmetic per group.
enum SSIM {
    /// The mean SSIM of two planes of the same size, 1 for identical ones.
    static func compare(_ a: LumaPlane, _ b: LumaPlane) -> Double {
        precondition(a.width == b.width && a.height == b.height && a.depth == b.depth)
        let blocksWide = a.width >> 2
        let blocksHigh = a.height >> 2
        guard blocksWide >= 2, blocksHigh >= 2 else { return a.bytes == b.bytes ? 1 : 0 }
        return a.bytes.withUnsafeBufferPointer { first in
            b.bytes.withUnsafeBufferPointer { second in
                guard let p = first.baseAddress, let q = second.baseAddress else { return 0 }
                if a.depth == 8 {
                    return plane8(p, q, stride: a.rowBytes, blocksWide: blocksWide, blocksHigh: blocksHigh)
                }
                return UnsafeRawPointer(p).withMemoryRebound(to: UInt16.self, capacity: a.width * a.height) { p16 in
                    UnsafeRawPointer(q).withMemoryRebound(to: UInt16.self, capacity: a.width * a.height) { q16 in
                        plane16(
                            p16, q16, stride: a.width, blocksWide: blocksWide, blocksHigh: blocksHigh,
                            maxValue: a.maxValue)
                    }
                }
            }
        }
    }

    // MARK: - 8 bits

    private static let c1 = Int32(0.01 * 0.01 * 255 * 255 * 64 + 0.5)
    private static let c2 = Int32(0.03 * 0.03 * 255 * 255 * 64 * 63 + 0.5)

    /// `ssim_plane`: one line of block sums at a time, two lines kept.
    static func plane8(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, stride: Int, blocksWide: Int, blocksHigh: Int
    ) -> Double {
        let lineLength = (blocksWide + 3) * 4
        let storage = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * lineLength)
        storage.initialize(repeating: 0, count: 2 * lineLength)
        defer { storage.deallocate() }
        var sum0 = storage
        var sum1 = storage + lineLength
        var total = 0.0
        var z = 0
        for y in 1..<blocksHigh {
            while z <= y {
                swap(&sum0, &sum1)
                blockSums8(a + 4 * z * stride, b + 4 * z * stride, stride: stride, into: sum0, blocks: blocksWide)
                z += 1
            }
            total += endLine8(sum0, sum1, count: blocksWide - 1)
        }
        return total / Double((blocksHigh - 1) * (blocksWide - 1))
    }

    /// `ssim_4x4xn_8bit`: s1, s2, ss (both squares) and s12 of each 4x4 block
    /// along a line, summed over four rows column by column so the inner
    /// loops run over contiguous pixels.
    @inline(__always)
    private static func blockSums8(
        _ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, stride: Int, into sums: UnsafeMutablePointer<Int32>,
        blocks: Int
    ) {
        let rowA0 = a, rowA1 = a + stride, rowA2 = a + 2 * stride, rowA3 = a + 3 * stride
        let rowB0 = b, rowB1 = b + stride, rowB2 = b + 2 * stride, rowB3 = b + 3 * stride
        for block in 0..<blocks {
            var s1: Int32 = 0
            var s2: Int32 = 0
            var ss: Int32 = 0
            var s12: Int32 = 0
            let base = 4 * block
            for x in base..<(base + 4) {
                let a0 = Int32(rowA0[x]), a1 = Int32(rowA1[x]), a2 = Int32(rowA2[x]), a3 = Int32(rowA3[x])
                let b0 = Int32(rowB0[x]), b1 = Int32(rowB1[x]), b2 = Int32(rowB2[x]), b3 = Int32(rowB3[x])
                s1 &+= a0 &+ a1 &+ a2 &+ a3
                s2 &+= b0 &+ b1 &+ b2 &+ b3
                ss &+= a0 &* a0 &+ a1 &* a1 &+ a2 &* a2 &+ a3 &* a3
                ss &+= b0 &* b0 &+ b1 &* b1 &+ b2 &* b2 &+ b3 &* b3
                s12 &+= a0 &* b0 &+ a1 &* b1 &+ a2 &* b2 &+ a3 &* b3
            }
            sums[4 * block] = s1
            sums[4 * block + 1] = s2
            sums[4 * block + 2] = ss
            sums[4 * block + 3] = s12
        }
    }

    /// `ssim_endn_8bit`: each 2x2 group of blocks from two lines of sums.
    @inline(__always)
    private static func endLine8(
        _ sum0: UnsafeMutablePointer<Int32>, _ sum1: UnsafeMutablePointer<Int32>, count: Int
    ) -> Double {
        var line = 0.0
        for i in 0..<count {
            let j = 4 * i
            let s1 = sum0[j] &+ sum0[j + 4] &+ sum1[j] &+ sum1[j + 4]
            let s2 = sum0[j + 1] &+ sum0[j + 5] &+ sum1[j + 1] &+ sum1[j + 5]
            let ss = sum0[j + 2] &+ sum0[j + 6] &+ sum1[j + 2] &+ sum1[j + 6]
            let s12 = sum0[j + 3] &+ sum0[j + 7] &+ sum1[j + 3] &+ sum1[j + 7]
            line += Double(end8(s1, s2, ss, s12))
        }
        return line
    }

    /// `ssim_end1`, in the filter's int and float arithmetic.
    @inline(__always)
    private static func end8(_ s1: Int32, _ s2: Int32, _ ss: Int32, _ s12: Int32) -> Float {
        let variances = ss &* 64 &- s1 &* s1 &- s2 &* s2
        let covariance = s12 &* 64 &- s1 &* s2
        return Float(2 &* s1 &* s2 &+ c1) * Float(2 &* covariance &+ c2)
            / (Float(s1 &* s1 &+ s2 &* s2 &+ c1) * Float(variances &+ c2))
    }

    // MARK: - 9 to 16 bits

    /// `ssim_plane_16bit`, with 64-bit sums and constants scaled to `maxValue`.
    static func plane16(
        _ a: UnsafePointer<UInt16>, _ b: UnsafePointer<UInt16>, stride: Int, blocksWide: Int, blocksHigh: Int,
        maxValue: Int
    ) -> Double {
        let m = Double(maxValue)
        let c1 = Int64(0.01 * 0.01 * m * m * 64 + 0.5)
        let c2 = Int64(0.03 * 0.03 * m * m * 64 * 63 + 0.5)
        let lineLength = (blocksWide + 3) * 4
        let storage = UnsafeMutablePointer<Int64>.allocate(capacity: 2 * lineLength)
        storage.initialize(repeating: 0, count: 2 * lineLength)
        defer { storage.deallocate() }
        var sum0 = storage
        var sum1 = storage + lineLength
        var total = 0.0
        var z = 0
        for y in 1..<blocksHigh {
            while z <= y {
                swap(&sum0, &sum1)
                let rowA = a + 4 * z * stride
                let rowB = b + 4 * z * stride
                for block in 0..<blocksWide {
                    var s1: Int64 = 0
                    var s2: Int64 = 0
                    var ss: Int64 = 0
                    var s12: Int64 = 0
                    for dy in 0..<4 {
                        for dx in 0..<4 {
                            let p = Int64(rowA[dy * stride + 4 * block + dx])
                            let q = Int64(rowB[dy * stride + 4 * block + dx])
                            s1 += p
                            s2 += q
                            ss += p * p + q * q
                            s12 += p * q
                        }
                    }
                    sum0[4 * block] = s1
                    sum0[4 * block + 1] = s2
                    sum0[4 * block + 2] = ss
                    sum0[4 * block + 3] = s12
                }
                z += 1
            }
            // ssim_endn_16bit sums a line in float.
            var line: Float = 0
            for i in 0..<(blocksWide - 1) {
                let j = 4 * i
                let s1 = sum0[j] + sum0[j + 4] + sum1[j] + sum1[j + 4]
                let s2 = sum0[j + 1] + sum0[j + 5] + sum1[j + 1] + sum1[j + 5]
                let ss = sum0[j + 2] + sum0[j + 6] + sum1[j + 2] + sum1[j + 6]
                let s12 = sum0[j + 3] + sum0[j + 7] + sum1[j + 3] + sum1[j + 7]
                let variances = ss * 64 - s1 * s1 - s2 * s2
                let covariance = s12 * 64 - s1 * s2
                line +=
                    Float(2 * s1 * s2 + c1) * Float(2 * covariance + c2)
                    / (Float(s1 * s1 + s2 * s2 + c1) * Float(variances + c2))
            }
            total += Double(line)
        }
        return total / Double((blocksHigh - 1) * (blocksWide - 1))
    }
}
