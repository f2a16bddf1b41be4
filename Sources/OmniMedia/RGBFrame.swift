/// A decoded picture in memory: 8-bit RGB, three bytes per pixel, rows top to
/// bottom with no padding, upright.
///
/// This is what ``FrameExtractor`` returns, so a tool can look at a frame
/// without writing a file.
public struct RGBFrame: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height * 3` bytes: R, G, B for each pixel, row after row.
    public var pixels: [UInt8]
    /// When the frame is shown, in seconds from the start of the clip (0 for a still image).
    public let time: Double

    /// Wraps pixels already in the layout described above.
    ///
    /// - Precondition: `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8], time: Double) {
        precondition(pixels.count == width * height * 3, "RGBFrame needs width * height * 3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.time = time
    }

    /// A picture of one color.
    public init(width: Int, height: Int, red: UInt8 = 0, green: UInt8 = 0, blue: UInt8 = 0, time: Double = 0) {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if red != 0 || green != 0 || blue != 0 {
            for index in stride(from: 0, to: pixels.count, by: 3) {
                pixels[index] = red
                pixels[index + 1] = green
                pixels[index + 2] = blue
            }
        }
        self.init(width: width, height: height, pixels: pixels, time: time)
    }

    /// The color of one pixel.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }

    /// Copies `other` into this picture with its top-left corner at (`x`, `y`),
    /// clipping whatever falls outside.
    public mutating func draw(_ other: RGBFrame, x: Int, y: Int) {
        let left = max(0, x)
        let right = min(width, x + other.width)
        let top = max(0, y)
        let bottom = min(height, y + other.height)
        guard left < right, top < bottom else { return }
        let rowBytes = (right - left) * 3
        other.pixels.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                guard let from = source.baseAddress, let to = target.baseAddress else { return }
                for row in top..<bottom {
                    let sourceOffset = ((row - y) * other.width + (left - x)) * 3
                    (to + (row * width + left) * 3).update(from: from + sourceOffset, count: rowBytes)
                }
            }
        }
    }
}
