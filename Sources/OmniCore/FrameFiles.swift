import Foundation
import OmniMedia

#if canImport(Glibc)
    import Glibc
#endif

/// Writing pictures where the user asked, and naming numbered ones.
public enum FrameFiles {
    /// Writes `bytes` to `path` atomically, or to standard output for `-`.
    ///
    /// The bytes go to a temp file beside `path` that is renamed over it, so
    /// a reader sees the old file or the whole new one, and a failed write
    /// leaves nothing behind. Unlike stored objects, pictures are not flushed
    /// to disk first: they are made from stored media and can be made again,
    /// and a flush costs more than making a thumbnail.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        try replace(Store.absolute(path), with: bytes)
    }

    /// Temp file in the destination's folder, write, rename.
    static func replace(_ destination: String, with bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError(.invalidArgument, "'\(destination)' is a directory: give a file name")
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.notFound, "cannot write '\(destination)': the folder '\(folder)' does not exist")
        }
        let temporary = "\(folder)/.\(url.lastPathComponent).omnistore-\(UUID().uuidString.prefix(8).lowercased())"
        let file = try FileDescriptor.createExclusive(temporary, mode: 0o644)
        do {
            try bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                try file.writeAll(base, count: buffer.count)
            }
            // rename() replaces a symlink at the destination rather than
            // writing through it, so the bytes land exactly where asked.
            guard rename(temporary, destination) == 0 else {
                throw FileDescriptor.posixError(errno, "cannot write '\(destination)'")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// `OUT-001.png` … for the `index`-th (0-based) of several files named `OUT.png`:
    /// the number goes before the extension, which is `format`'s own when `base` has none.
    public static func numbered(_ base: String, index: Int, format: ImageFormat) -> String {
        let number = String(format: "-%03d", index + 1)
        if ImageFormat(pathExtensionOf: base) != nil, let dot = base.lastIndex(of: ".") {
            return String(base[..<dot]) + number + String(base[dot...])
        }
        return base + number + "." + format.fileExtension
    }

    /// The file name used when none is given: the asset's short id, e.g. `3f2a9c1b0d4e.png`.
    public static func defaultName(for asset: AssetID, format: ImageFormat) -> String {
        "\(asset.short).\(format.fileExtension)"
    }
}
