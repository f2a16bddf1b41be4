import Foundation
import OmniMedia

/// Encoded thumbnails kept under `.omnistore/cache/thumbnails/`, keyed by
/// object id, time, width and format, so asking again reads a small file
/// instead of decoding video.
///
/// ```
/// .omnistore/cache/thumbnails/v2/ab/cdef…/12500000us-w320.png
/// ```
///
/// Entries are written to a temp file and renamed into place
/// (``FrameFiles/replace(_:with:)``), so a reader sees a whole file or none. They are not fsynced (a cache can be rebuilt):
/// an entry cut short by a crash fails the completeness check and is decoded
/// again. Failing to write the cache never fails the command.
struct ThumbnailCache {
    /// Bumped when the pictures would come out differently, so old entries are
    /// never served: v2 keeps the coded pixels of non-square-pixel video
    /// (v1 stretched them by the sample aspect ratio) and finds the right
    /// frames in MPEG-TS and MPEG-PS.
    static let version = "v2"

    let directory: String

    init(layout: StoreLayout) {
        directory = layout.storeDirectory + "/cache/thumbnails/" + ThumbnailCache.version
    }

    /// The file for one thumbnail.
    func path(asset: AssetID, seconds: Double, width: Int?, format: ImageFormat) -> String {
        let micros = Int64((seconds * 1_000_000).rounded())
        let size = width.map { "w\($0)" } ?? "full"
        return
            "\(directory)/\(asset.hex.prefix(2))/\(asset.hex.dropFirst(2))/\(micros)us-\(size).\(format.fileExtension)"
    }

    /// The cached file's bytes, if there is a complete one.
    func read(_ path: String, format: ImageFormat) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        return format.looksComplete(bytes) ? bytes : nil
    }

    /// Stores `bytes` at `path` atomically; errors are ignored.
    func write(_ bytes: [UInt8], to path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? FrameFiles.replace(path, with: bytes)
    }
}
