import Foundation
import OmniMedia

#if canImport(Glibc)
    import Glibc
#endif

/// Writing pictures where the user asked, and naming numbered ones.
public enum FrameFiles {
    /// Writes `bytes` to `path` atomically (temp file, fsync, rename), or to
    /// standard output for `-`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        let file = try AtomicFile(destination: Store.absolute(path))
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            try file.file.writeAll(base, count: buffer.count)
        }
        try file.commit()
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
