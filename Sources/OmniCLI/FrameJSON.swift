import OmniMedia
import OmniStore

extension ContactSheet {
    /// The JSON form `sheet --json` prints, for the sheet written to `path`.
    func json(asset: AssetID, path: String) -> JSONValue {
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
            "substitutes": .array(
                substitutes.map {
                    .object([
                        "cell": .int(Int64($0.cell)), "time": .double($0.time), "shown": .double($0.shown),
                        "reason": .string($0.reason),
                    ])
                }),
        ])
    }
}

extension VisualDiff {
    /// The JSON form `diff --visual --json` adds under `visual`; PSNR values
    /// of identical pictures (infinite) are null.
    func json(assetA: AssetID, assetB: AssetID, picture: String?) -> JSONValue {
        func stats(_ value: Stats) -> JSONValue {
            .object(["mean": .double(value.mean), "min": .double(value.min), "max": .double(value.max)])
        }
        func clip(_ clip: Clip, _ asset: AssetID) -> JSONValue {
            .object([
                "asset": .string(asset.hex), "duration": JSONValue(clip.duration), "fps": JSONValue(clip.frameRate),
                "width": .int(Int64(clip.width)), "height": .int(Int64(clip.height)),
                "frames": .int(Int64(clip.frames)), "video_start": .double(clip.videoStart),
            ])
        }
        return .object([
            "a": clip(a, assetA),
            "b": clip(b, assetB),
            "aligned_by": .string("timestamp"),
            "frames": .int(Int64(samples.count)),
            "ssim": stats(ssim),
            "psnr": stats(psnr),
            "moments": .array(
                moments.map {
                    .object([
                        "time": .double($0.time), "time_a": .double($0.timeA), "time_b": .double($0.timeB),
                        "ssim": .double($0.ssim), "psnr": .double($0.psnr),
                    ])
                }),
            "notes": .array(notes.map(JSONValue.string)),
            "picture": JSONValue(picture),
        ])
    }
}

extension ThumbnailResult {
    /// The JSON form; `paths` are where the CLI wrote each item, in order.
    func json(paths: [String]) -> JSONValue {
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
