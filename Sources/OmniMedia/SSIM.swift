import Foundation

/// SSIM of two luma planes exactly as FFmpeg's `ssim` filter computes it
/// (`libavfilter/vf_ssim.c`): sums over 4x4 blocks, combined in overlapping
/// 2x2 groups of blocks (8x8 pixels), with the filter's integer C1 and C2
/// constants and its float arithmetic per group.
///
/// The block sums also give the squared error of each block (ss − 2·s12),
/// so PSNR needs no pass of its own over the 4x4-aligned area.
enum SSIM {
    struct Result {
        /// The mean SSIM, 1 for identical planes.
        let ssim: Double
        /// The sum of squared differences over the whole 4x4 blocks
        /// (`width / 4 * 4` by `height / 4 * 4` samples from the top left).
        let blockSquaredError: UInt64
    }

    /// Compares two planes of the same size and depth.
    static func compare(_ a: LumaPlane, _ b: LumaPlane) -> Result {
        precondition(a.width == b.width && a.height == b.height && a.depth == b.depth)
        let blocksWide = a.width >> 2
        let blocksHigh = a.height >> 2
        guard blocksWide >= 2, blocksHigh >= 2 else {
            // Too small for one 8x8 group: alike or not (PSNR still counts every sample).
            let rowBytes = a.width * a.bytesPerSample
            let same = (0..<a.height).allSatisfy {
                memcmp(a.base + $0 * a.stride, b.base + $0 * b.stride, rowBytes) == 0
            }
            return Result(ssim: same ? 1 : 0, blockSquaredError: 0)
        }
        if a.depth == 8 {
            return plane8(a.base, a.stride, b.base, b.stride, blocksWide: blocksWide, blocksHigh: blocksHigh)
        }
        let count = a.stride * a.height
        return UnsafeRawPointer(a.base).withMemoryRebound(to: UInt16.self, capacity: count / 2) { p in
            UnsafeRawPointer(b.base).withMemoryRebound(to: UInt16.self, capacity: b.stride * b.height / 2) { q in
                plane16(
                    p, a.stride / 2, q, b.stride / 2, blocksWide: blocksWide, blocksHigh: blocksHigh,
                    maxValue: a.maxValue)
            }
        }
    }

    // MARK: - 8 bits

    private static let c1 = Int32(0.01 * 0.01 * 255 * 255 * 64 + 0.5)
    private static let c2 = Int32(0.03 * 0.03 * 255 * 255 * 64 * 63 + 0.5)

    /// One line of block sums, stored as four arrays (s1, s2, ss, s12).
    private struct Line {
        let s1: UnsafeMutablePointer<Int32>
        let s2: UnsafeMutablePointer<Int32>
        let ss: UnsafeMutablePointer<Int32>
        let s12: UnsafeMutablePointer<Int32>

        init(_ base: UnsafeMutablePointer<Int32>, length: Int) {
            s1 = base
            s2 = base + length
            ss = base + 2 * length
            s12 = base + 3 * length
        }
    }

    /// `ssim_plane`: one line of block sums at a time, two lines kept.
    static func plane8(
        _ a: UnsafePointer<UInt8>, _ strideA: Int, _ b: UnsafePointer<UInt8>, _ strideB: Int, blocksWide: Int,
        blocksHigh: Int
    ) -> Result {
        let length = blocksWide + 3
        let storage = UnsafeMutablePointer<Int32>.allocate(capacity: 8 * length)
        storage.initialize(repeating: 0, count: 8 * length)
        defer { storage.deallocate() }
        var sum0 = Line(storage, length: length)
        var sum1 = Line(storage + 4 * length, length: length)
        var total = 0.0
        var squaredError: UInt64 = 0
        var z = 0
        for y in 1..<blocksHigh {
            while z <= y {
                swap(&sum0, &sum1)
                squaredError &+= blockSums8(
                    a + 4 * z * strideA, strideA, b + 4 * z * strideB, strideB, into: sum0, blocks: blocksWide)
                z += 1
            }
            total += endLine8(sum0, sum1, count: blocksWide - 1)
        }
        return Result(ssim: total / Double((blocksHigh - 1) * (blocksWide - 1)), blockSquaredError: squaredError)
    }

    /// `ssim_4x4xn_8bit` for a line of blocks: s1, s2, ss (both squares) and
    /// s12 of each 4x4 block, sixteen columns (four blocks) at a time in SIMD
    /// registers; returns the line's sum of squared differences.
    ///
    /// Sixteen 8-bit samples are read as eight 16-bit lanes and split into the
    /// even and odd columns, so sums and products stay in 16 bits (255² fits);
    /// reading a 16-bit vector as 32-bit lanes then pairs neighbouring lanes,
    /// which widens without conversions.
    @inline(__always)
    private static func blockSums8(
        _ a: UnsafePointer<UInt8>, _ strideA: Int, _ b: UnsafePointer<UInt8>, _ strideB: Int, into sums: Line,
        blocks: Int
    ) -> UInt64 {
        let low = SIMD8<UInt16>(repeating: 0x00FF)
        let half = SIMD4<UInt32>(repeating: 0xFFFF)
        /// Lane k of the result: lanes 2k and 2k+1 of `v` added, in 32 bits.
        @inline(__always) func pairs(_ v: SIMD8<UInt16>) -> SIMD4<UInt32> {
            let x = unsafeBitCast(v, to: SIMD4<UInt32>.self)
            return (x & half) &+ (x &>> 16)
        }
        var squaredError: UInt64 = 0
        var block = 0
        while block + 4 <= blocks {
            let x = 4 * block
            var s1 = SIMD8<UInt16>()
            var s2 = SIMD8<UInt16>()
            var ss = SIMD4<UInt32>()
            var s12 = SIMD4<UInt32>()
            for dy in 0..<4 {
                let va = UnsafeRawPointer(a + dy * strideA + x).loadUnaligned(as: SIMD8<UInt16>.self)
                let vb = UnsafeRawPointer(b + dy * strideB + x).loadUnaligned(as: SIMD8<UInt16>.self)
                let evenA = va & low
                let oddA = va &>> 8
                let evenB = vb & low
                let oddB = vb &>> 8
                s1 &+= evenA &+ oddA
                s2 &+= evenB &+ oddB
                ss &+= pairs(evenA &* evenA) &+ pairs(oddA &* oddA) &+ pairs(evenB &* evenB) &+ pairs(oddB &* oddB)
                s12 &+= pairs(evenA &* evenB) &+ pairs(oddA &* oddB)
            }
            // Every sum is below 2³¹, so the bits are the same as Int32.
            let blockS1 = unsafeBitCast(pairs(s1), to: SIMD4<Int32>.self)
            let blockS2 = unsafeBitCast(pairs(s2), to: SIMD4<Int32>.self)
            let blockSS = unsafeBitCast(ss, to: SIMD4<Int32>.self)
            let blockS12 = unsafeBitCast(s12, to: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(sums.s1 + block).storeBytes(of: blockS1, as: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(sums.s2 + block).storeBytes(of: blockS2, as: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(sums.ss + block).storeBytes(of: blockSS, as: SIMD4<Int32>.self)
            UnsafeMutableRawPointer(sums.s12 + block).storeBytes(of: blockS12, as: SIMD4<Int32>.self)
            let error = blockSS &- blockS12 &- blockS12
            squaredError &+= UInt64(error[0]) &+ UInt64(error[1]) &+ UInt64(error[2]) &+ UInt64(error[3])
            block += 4
        }
        while block < blocks {
            var s1: Int32 = 0
            var s2: Int32 = 0
            var ss: Int32 = 0
            var s12: Int32 = 0
            for dy in 0..<4 {
                for dx in 0..<4 {
                    let p = Int32(a[dy * strideA + 4 * block + dx])
                    let q = Int32(b[dy * strideB + 4 * block + dx])
                    s1 &+= p
                    s2 &+= q
                    ss &+= p &* p &+ q &* q
                    s12 &+= p &* q
                }
            }
            sums.s1[block] = s1
            sums.s2[block] = s2
            sums.ss[block] = ss
            sums.s12[block] = s12
            squaredError &+= UInt64(ss &- 2 &* s12)
            block += 1
        }
        return squaredError
    }

    /// `ssim_endn_8bit`: each 2x2 group of blocks from two lines of sums,
    /// four groups at a time. Each lane does the same int and float steps
    /// as `ssim_end1` (no fused multiply-add), and the lanes are added to the
    /// line's total one by one in order, so the result is the scalar one.
    @inline(__always)
    private static func endLine8(_ sum0: Line, _ sum1: Line, count: Int) -> Double {
        @inline(__always) func load(_ p: UnsafeMutablePointer<Int32>, _ i: Int) -> SIMD4<Int32> {
            UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Int32>.self)
        }
        let c1v = SIMD4<Int32>(repeating: c1)
        let c2v = SIMD4<Int32>(repeating: c2)
        var line = 0.0
        var i = 0
        while i + 4 <= count {
            let s1 = load(sum0.s1, i) &+ load(sum0.s1, i + 1) &+ load(sum1.s1, i) &+ load(sum1.s1, i + 1)
            let s2 = load(sum0.s2, i) &+ load(sum0.s2, i + 1) &+ load(sum1.s2, i) &+ load(sum1.s2, i + 1)
            let ss = load(sum0.ss, i) &+ load(sum0.ss, i + 1) &+ load(sum1.ss, i) &+ load(sum1.ss, i + 1)
            let s12 = load(sum0.s12, i) &+ load(sum0.s12, i + 1) &+ load(sum1.s12, i) &+ load(sum1.s12, i + 1)
            let variances = ss &* 64 &- s1 &* s1 &- s2 &* s2
            let covariance = s12 &* 64 &- s1 &* s2
            let numerator = SIMD4<Float>(2 &* s1 &* s2 &+ c1v) * SIMD4<Float>(2 &* covariance &+ c2v)
            let denominator = SIMD4<Float>(s1 &* s1 &+ s2 &* s2 &+ c1v) * SIMD4<Float>(variances &+ c2v)
            let ratio = numerator / denominator
            line += Double(ratio[0])
            line += Double(ratio[1])
            line += Double(ratio[2])
            line += Double(ratio[3])
            i += 4
        }
        while i < count {
            let s1 = sum0.s1[i] &+ sum0.s1[i + 1] &+ sum1.s1[i] &+ sum1.s1[i + 1]
            let s2 = sum0.s2[i] &+ sum0.s2[i + 1] &+ sum1.s2[i] &+ sum1.s2[i + 1]
            let ss = sum0.ss[i] &+ sum0.ss[i + 1] &+ sum1.ss[i] &+ sum1.ss[i + 1]
            let s12 = sum0.s12[i] &+ sum0.s12[i + 1] &+ sum1.s12[i] &+ sum1.s12[i + 1]
            line += Double(end8(s1, s2, ss, s12))
            i += 1
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
        _ a: UnsafePointer<UInt16>, _ strideA: Int, _ b: UnsafePointer<UInt16>, _ strideB: Int, blocksWide: Int,
        blocksHigh: Int, maxValue: Int
    ) -> Result {
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
        var squaredError: UInt64 = 0
        var z = 0
        for y in 1..<blocksHigh {
            while z <= y {
                swap(&sum0, &sum1)
                let rowA = a + 4 * z * strideA
                let rowB = b + 4 * z * strideB
                for block in 0..<blocksWide {
                    var s1: Int64 = 0
                    var s2: Int64 = 0
                    var ss: Int64 = 0
                    var s12: Int64 = 0
                    for dy in 0..<4 {
                        for dx in 0..<4 {
                            let p = Int64(rowA[dy * strideA + 4 * block + dx])
                            let q = Int64(rowB[dy * strideB + 4 * block + dx])
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
                    squaredError &+= UInt64(ss - 2 * s12)
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
        return Result(ssim: total / Double((blocksHigh - 1) * (blocksWide - 1)), blockSquaredError: squaredError)
    }
}
