import OmniBasics
import Foundation
import OmniMedia

extension Store {
    /// The read-only file holding an asset's bytes: `.omnistore/objects/ab/cdef…`.
    public func objectPath(for id: AssetID) -> String {
        layout.objectPath(id)
    }

    /// The object's file, downloaded first if this is a lazy clone that lacks it.
    func readyObjectPath(_ id: AssetID) throws -> String {
        try fetchIfLazy(id)
        return layout.objectPath(id)
    }

    /// The media a name stands for: an asset id (or unique prefix), or a
    /// revision, whose output clip is used.
    public func mediaAsset(named name: String) throws -> Asset {
        switch try lookup(name) {
        case .asset(let id): return try asset(id: id)
        case .turn(let id): return try asset(id: turn(id).output)
        }
    }

    /// The picture an asset shows at `time`, in memory: upright RGB, the
    /// exact frame `ffmpeg -ss` would give (autorotated, the sample aspect
    /// ratio not applied).
    ///
    /// - Parameters:
    ///   - asset: the image or clip.
    ///   - time: when; ignored for a still image.
    ///   - width: output width in pixels (the height follows); nil keeps the decoded size, upright.
    public func frame(of asset: Asset, at time: FrameTime, width: Int? = nil) throws -> RGBFrame {
        try requirePictures(asset)
        return try media(asset) {
            let extractor = try FrameExtractor(path: readyObjectPath(asset.id))
            let seconds = time.seconds(duration: extractor.duration ?? asset.duration) ?? 0
            return try extractor.frame(at: seconds, width: width)
        }
    }

    /// Thumbnails of an asset, served from `.omnistore/cache/thumbnails/`
    /// when they were made before, otherwise decoded in-process and cached.
    ///
    /// A still image gives its one picture whatever the time.
    ///
    /// - Throws: ``StoreError`` when the asset has no pictures, a time is past
    ///   the end (the message gives the duration), or the media cannot be decoded.
    public func thumbnails(of asset: Asset, _ request: ThumbnailRequest) throws -> ThumbnailResult {
        try requirePictures(asset)
        let times = try thumbnailTimes(asset, request)
        let cache = ThumbnailCache(layout: layout)
        var items: [ThumbnailResult.Item?] = Array(repeating: nil, count: times.count)
        var missing: [Int] = []
        for (index, seconds) in times.enumerated() {
            let path = cache.path(asset: asset.id, seconds: seconds, width: request.width, format: request.format)
            if let bytes = cache.read(path, format: request.format),
                let size = request.format.dimensions(of: bytes)
            {
                let thumbnail = Thumbnail(
                    time: seconds, width: size.width, height: size.height, format: request.format, data: bytes)
                items[index] = .init(thumbnail: thumbnail, cached: true)
            } else {
                missing.append(index)
            }
        }
        if !missing.isEmpty {
            let made = try media(asset) {
                try Thumbnailer(path: readyObjectPath(asset.id)).thumbnails(
                    at: missing.map { times[$0] }, width: request.width, format: request.format)
            }
            for (index, thumbnail) in zip(missing, made) {
                items[index] = .init(thumbnail: thumbnail, cached: false)
                cache.write(
                    thumbnail.data,
                    to: cache.path(asset: asset.id, seconds: times[index], width: request.width, format: request.format)
                )
            }
        }
        return ThumbnailResult(
            asset: asset.id, duration: asset.kind == .image ? 0 : asset.duration, items: items.compactMap { $0 })
    }

    /// A contact sheet: `columns` × `rows` frames spread evenly over the
    /// asset, decoded in-process on every core.
    ///
    /// - Parameters:
    ///   - asset: the clip (or image).
    ///   - columns: frames across.
    ///   - rows: frames down.
    ///   - tileWidth: each frame's width in pixels.
    ///   - exact: exact frames instead of the keyframes at or before each time.
    public func contactSheet(
        of asset: Asset, columns: Int = 5, rows: Int = 2, tileWidth: Int = 320, exact: Bool = false
    ) throws -> ContactSheet {
        try requirePictures(asset)
        return try media(asset) {
            try ContactSheet.make(
                path: readyObjectPath(asset.id), columns: columns, rows: rows, tileWidth: tileWidth, exact: exact)
        }
    }

    /// Compares two assets frame by frame: luma SSIM and PSNR as FFmpeg's
    /// `ssim` and `psnr` filters compute them, and the most changed moments.
    ///
    /// Both clips are decoded at once on their own threads; frames are paired
    /// by timestamp, and `VisualDiff.notes` says how when the clips differ
    /// in frame rate, duration or size.
    public func visualDiff(_ a: Asset, _ b: Asset, moments: Int = 3) throws -> VisualDiff {
        try requirePictures(a)
        try requirePictures(b)
        return try media([a, b]) {
            try VisualDiff.compare(readyObjectPath(a.id), readyObjectPath(b.id), moments: moments)
        }
    }

    /// A picture of a visual diff's most changed moments: A's frames above B's.
    public func visualDiffPicture(
        _ diff: VisualDiff, _ a: Asset, _ b: Asset, labels: VisualDiff.Labels? = nil, tileWidth: Int = 320
    ) throws -> RGBFrame {
        try media([a, b]) {
            let pathA = try readyObjectPath(a.id)
            let pathB = try readyObjectPath(b.id)
            guard let labels else { return try diff.picture(pathA: pathA, pathB: pathB, tileWidth: tileWidth) }
            return try diff.labelledPicture(pathA: pathA, pathB: pathB, labels: labels, tileWidth: tileWidth)
        }
    }

    private func thumbnailTimes(_ asset: Asset, _ request: ThumbnailRequest) throws -> [Double] {
        if asset.kind == .image { return [0] }
        guard request.count >= 1 else {
            throw StoreError(.invalidArgument, "the thumbnail count must be at least 1")
        }
        if request.count > 1 {
            guard let duration = asset.duration else {
                throw StoreError(
                    .invalidArgument, "asset \(asset.id.short) does not say how long it is",
                    hint: Hint("give times with {}", .option(.frameTimes)))
            }
            return FrameTime.evenlySpaced(count: request.count, duration: duration)
        }
        let time = request.time ?? .defaultThumbnail
        guard let seconds = time.seconds(duration: asset.duration) else {
            throw StoreError(
                .invalidArgument,
                "asset \(asset.id.short) does not say how long it is",
                hint: Hint("give {} in seconds, not \(time)", .option(.frameTimes)))
        }
        if let duration = asset.duration, seconds > duration {
            throw StoreError(
                .invalidArgument,
                "\(FrameTime.format(seconds)) s is past the end of asset \(asset.id.short) (duration \(FrameTime.format(duration)) s)"
            )
        }
        return [seconds]
    }

    func requirePictures(_ asset: Asset) throws {
        if asset.kind == .audio {
            throw StoreError(.media, "asset \(asset.id.short) is audio: it has no pictures to take frames from")
        }
    }

    /// Runs a media call on an asset's object, turning ``MediaError`` into a
    /// one-line ``StoreError`` that names the asset instead of the object path.
    func media<T>(_ asset: Asset, _ body: () throws -> T) throws -> T {
        try media([asset], body)
    }

    /// Like ``media(_:_:)`` for a call on several assets: the error names the
    /// one whose object failed.
    func media<T>(_ assets: [Asset], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as MediaError {
            let asset = assets.first { objectPath(for: $0.id) == error.path } ?? assets[0]
            switch error.code {
            case .unreadable:
                throw StoreError(
                    .corrupt, "the bytes of asset \(asset.id.short) are missing or unreadable",
                    hint: Hint("run {}", .check))
            case .outOfRange:
                throw StoreError(.invalidArgument, "asset \(asset.id.short): \(error.message)")
            default:
                throw StoreError(.media, "asset \(asset.id.short): \(error.message)")
            }
        }
    }
}
