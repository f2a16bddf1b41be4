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

    /// The JSON form; `paths` are where the CLI wrote each item, in order.
    public func json(paths: [String]) -> JSONValue {
        .object([
            "asset": .string(asset.hex),
            "duration": JSONValue(duration),
            "thumbnails": .array(
                zip(items, paths).map { item, path in
                    .object([
                        "path": .string(path),
                        "time": .double(item.thumbnail.time),
                        "width": .int(Int64(item.thumbnail.width)),
                        "height": .int(Int64(item.thumbnail.height)),
                        "format": .string(item.thumbnail.format.fileExtension),
                        "bytes": .int(Int64(item.thumbnail.data.count)),
                        "cached": .bool(item.cached),
                    ])
                }),
        ])
    }
}
