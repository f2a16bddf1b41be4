import OmniMedia

/// Thumbnails of one asset, each served from the cache or freshly decoded.
public struct ThumbnailResult: Sendable {
    /// One thumbnail and where it came from.
    public struct Item: Sendable {
        public let thumbnail: Thumbnail
        /// Whether it was read from `.omnistore/cache/` instead of decoded.
        public let cached: Bool
    }

    public let asset: AssetID
    /// The clip's duration in seconds (nil when unknown, 0 for an image).
    public let duration: Double?
    public let items: [Item]
}
