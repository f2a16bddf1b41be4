import OmniMedia

extension ContactSheet {
    /// The JSON form `sheet --json` prints, for the sheet written to `path`.
    public func json(asset: AssetID, path: String) -> JSONValue {
        .object([
            "asset": .string(asset.hex),
            "path": .string(path),
            "columns": .int(Int64(columns)),
            "rows": .int(Int64(rows)),
            "width": .int(Int64(image.width)),
            "height": .int(Int64(image.height)),
            "tile_width": .int(Int64(tileWidth)),
            "tile_height": .int(Int64(tileHeight)),
            "exact": .bool(exact),
            "times": .array(times.map { JSONValue($0) }),
        ])
    }
}
