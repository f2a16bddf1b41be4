import Foundation
import OmniMedia

/// Meta's PDQ perceptual hash of a picture, bit for bit as the reference
/// (`facebook/ThreatExchange` `pdq/cpp`, and the `pdqhash` Python package
/// that wraps it) computes it from the same RGB pixels.
///
/// The steps, each in single precision as the reference does them:
/// 1. luminance, `0.299 R + 0.587 G + 0.114 B` (in double, then rounded to
///    a float, as the Python package does);
/// 2. two passes of Jarosz box filters along rows then columns, a window
///    of `ceil(size / 128)`, which approximate a tent filter;
/// 3. 64×64 samples at the block centres (a 64×64 picture is used as is);
/// 4. the DCT-II rows and columns 1…16, as a 16×64 matrix product;
/// 5. a bit per coefficient above the median of the 256.
///
/// The quality (0…100) counts the significant gradients of the 64×64
/// samples; a hash of quality below 50 says little and matching skips it.
///
/// ```swift
/// let frame = try FrameExtractor(path: "photo.jpg").frame(at: 0, width: 512)
/// let (hash, quality) = PDQ.hash(frame)
/// ```
public enum PDQ {
    /// Pictures narrower or shorter than this get the zero hash and quality 0.
    public static let minimumSide = 5
    /// Hashes of lower quality are not compared (Meta's default).
    public static let minimumQuality = 50
    /// The distance at or under which two hashes are the same picture (Meta's default).
    public static let matchDistance = 31

    /// The hash and quality of an RGB picture.
    public static func hash(_ frame: RGBFrame) -> (hash: PDQHash, quality: Int) {
        hash(luma: luma(of: frame), width: frame.width, height: frame.height)
    }

    /// The luminance the reference hashes: computed in double, stored as float.
    static func luma(of frame: RGBFrame) -> [Float] {
        let count = frame.width * frame.height
        return frame.pixels.withUnsafeBufferPointer { pixels in
            [Float](unsafeUninitializedCapacity: count) { luma, initialized in
                for index in 0..<count {
                    let red = Double(pixels[3 * index]) * 0.299
                    let green = Double(pixels[3 * index + 1]) * 0.587
                    let blue = Double(pixels[3 * index + 2]) * 0.114
                    luma[index] = Float(red + green + blue)
                }
                initialized = count
            }
        }
    }

    /// The hash and quality of a luminance plane, row-major.
    static func hash(luma: [Float], width: Int, height: Int) -> (hash: PDQHash, quality: Int) {
        guard width >= minimumSide, height >= minimumSide else { return (.zero, 0) }
        let samples = downsample(luma, width: width, height: height)
        let quality = quality(of: samples)
        let block = dct16(samples)
        // The median is the 128th smallest of the 256, as Torben's method
        // (the reference's) returns it.
        let median = block.sorted()[127]
        return (PDQHash(bits: block.map { $0 > median }), quality)
    }

    /// The 64×64 samples: blurred then taken at the block centres, or the
    /// picture itself when it is 64×64 already.
    static func downsample(_ luma: [Float], width: Int, height: Int) -> [Float] {
        if width == 64 && height == 64 { return luma }
        var buffer = luma
        var scratch = [Float](repeating: 0, count: luma.count)
        let rowWindow = jaroszWindow(width)
        let columnWindow = jaroszWindow(height)
        buffer.withUnsafeMutableBufferPointer { one in
            scratch.withUnsafeMutableBufferPointer { two in
                for _ in 0..<2 {
                    for row in 0..<height {
                        box(one, from: row * width, into: two, count: width, stride: 1, window: rowWindow)
                    }
                    for column in 0..<width {
                        box(two, from: column, into: one, count: height, stride: width, window: columnWindow)
                    }
                }
            }
        }
        var samples = [Float](repeating: 0, count: 64 * 64)
        for i in 0..<64 {
            let row = Int((Double(i) + 0.5) * Double(height) / 64)
            for j in 0..<64 {
                let column = Int((Double(j) + 0.5) * Double(width) / 64)
                samples[i * 64 + j] = buffer[row * width + column]
            }
        }
        return samples
    }

    /// Half of a 64th of the side, rounded up: two passes then cover a block.
    static func jaroszWindow(_ side: Int) -> Int {
        (side + 2 * 64 - 1) / (2 * 64)
    }

    /// One box-filter pass along a line of `count` values `stride` apart.
    ///
    /// The window is centred (for an even window, one more on the right),
    /// and shrinks at the ends rather than reading past them. The running
    /// sum adds the entering value before subtracting the leaving one, as
    /// the reference does, so the floats round the same way.
    static func box(
        _ input: UnsafeMutableBufferPointer<Float>, from start: Int, into output: UnsafeMutableBufferPointer<Float>,
        count: Int, stride: Int, window: Int
    ) {
        let half = (window + 2) / 2
        var sum: Float = 0
        var size = 0
        var right = start
        var left = start
        var out = start
        for _ in 0..<(half - 1) {
            sum += input[right]
            size += 1
            right += stride
        }
        for _ in 0..<(window - half + 1) {
            sum += input[right]
            size += 1
            output[out] = sum / Float(size)
            right += stride
            out += stride
        }
        for _ in 0..<(count - window) {
            sum += input[right]
            sum -= input[left]
            output[out] = sum / Float(size)
            left += stride
            right += stride
            out += stride
        }
        for _ in 0..<(half - 1) {
            sum -= input[left]
            size -= 1
            output[out] = sum / Float(size)
            left += stride
            out += stride
        }
    }

    /// Meta's heuristic: the sum of quantised vertical and horizontal
    /// differences over the 64×64 samples, scaled to 0…100.
    static func quality(of samples: [Float]) -> Int {
        var sum = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let step = (samples[i * 64 + j] - samples[(i + 1) * 64 + j]) * 100 / 255
                sum += abs(Int(step))
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let step = (samples[i * 64 + j] - samples[i * 64 + j + 1]) * 100 / 255
                sum += abs(Int(step))
            }
        }
        return min(100, sum / 90)
    }

    /// Rows 1…16 of the 64-point DCT-II, scaled by `sqrt(2 / 64)`, as floats.
    static let dctMatrix: [Float] = {
        let scale = Float((2.0 / 64.0).squareRoot())
        var matrix = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                let angle = (Double.pi / 2.0 / 64.0) * Double(i + 1) * Double(2 * j + 1)
                matrix[i * 64 + j] = Float(Double(scale) * cos(angle))
            }
        }
        return matrix
    }()

    /// `D A Dᵀ`: the 16×16 low frequencies of the 64×64 samples, the sums
    /// taken in the reference's order.
    static func dct16(_ samples: [Float]) -> [Float] {
        let matrix = dctMatrix
        var partial = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                var sum: Float = 0
                for k in 0..<64 { sum += matrix[i * 64 + k] * samples[k * 64 + j] }
                partial[i * 64 + j] = sum
            }
        }
        var block = [Float](repeating: 0, count: 256)
        for i in 0..<16 {
            for j in 0..<16 {
                var sum: Float = 0
                for k in 0..<64 { sum += partial[i * 64 + k] * matrix[j * 64 + k] }
                block[i * 16 + j] = sum
            }
        }
        return block
    }
}
