/// One hashed picture of a look: a still image's only one, or a sampled
/// frame of a clip.
public struct LookFrame: Sendable, Equatable {
    /// The picture's PDQ hash.
    public let hash: PDQHash
    /// PDQ's quality, 0…100; below ``PDQ/minimumQuality`` the frame is not compared.
    public let quality: Int
    /// Seconds from the clip's start (0 for a still image).
    public let time: Double

    public init(hash: PDQHash, quality: Int, time: Double) {
        self.hash = hash
        self.quality = quality
        self.time = time
    }

    /// Whether the frame says enough to be compared.
    public var isUsable: Bool { quality >= PDQ.minimumQuality }
}
