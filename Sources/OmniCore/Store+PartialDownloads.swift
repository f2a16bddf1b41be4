import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Downloads from a remote that were interrupted: the sync module writes
/// them, and fsck and gc, which own the store's folders, report and remove them.
extension Store {
    /// Where interrupted downloads wait to be resumed (never under `objects/`,
    /// whose stray temp files other commands remove).
    package var partialDirectory: String { layout.storeDirectory + "/remote-partial" }

    /// Partial downloads untouched this long are taken for abandoned: fsck
    /// reports them and gc removes them (a pull before then resumes them).
    public static let partialDownloadExpiry: TimeInterval = 3 * 86_400

    /// Partial downloads not written to for `age` seconds (all of them for
    /// 0) that no running pull holds, with their sizes.
    func stalePartialDownloads(olderThan age: TimeInterval) -> [(path: String, size: Int64)] {
        let cutoff = Date().timeIntervalSince1970 - age
        var found: [(String, Int64)] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: partialDirectory)) ?? []).sorted() {
            let path = partialDirectory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard age == 0 || Double(info.st_mtim.tv_sec) < cutoff else { continue }
            // A pull writing it holds its flock (the .parts journal beside it is its companion).
            let lockTarget = name.hasSuffix(".parts") ? String(path.dropLast(".parts".count)) : path
            if let held = try? FileDescriptor.openForReading(lockTarget), flock(held.raw, LOCK_EX | LOCK_NB) != 0 {
                continue
            }
            found.append((path, Int64(info.st_size)))
        }
        return found
    }
}
