import OmniMedia

/// What `thumbnail` asks for: one frame at a time, or several spread evenly.
public struct ThumbnailRequest: Sendable, Equatable {
    /// Where to take the one thumbnail; nil means `FrameTime.defaultThumbnail` (10%).
    public var time: FrameTime?
    /// How many thumbnails, spread evenly over the clip; more than 1 ignores ``time``.
    public var count: Int
    /// Output width in pixels (the height follows the picture); nil keeps the display size.
    public var width: Int?
    public var format: ImageFormat

    public init(time: FrameTime? = nil, count: Int = 1, width: Int? = 320, format: ImageFormat = .png) {
        self.time = time
        self.count = count
        self.width = width
        self.format = format
    }
}
