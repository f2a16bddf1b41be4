/// One encoded frame of a clip, ready to be written as a file.
public struct Thumbnail: Sendable, Equatable {
    /// The time asked for, in seconds: the frame is the first shown at or
    /// after it (0 for a still image).
    public let time: Double
    public let width: Int
    public let height: Int
    public let format: ImageFormat
    /// The whole PNG or JPEG file.
    public let data: [UInt8]

    public init(time: Double, width: Int, height: Int, format: ImageFormat, data: [UInt8]) {
        self.time = time
        self.width = width
        self.height = height
        self.format = format
        self.data = data
    }
}
