#if canImport(Glibc)
    import Glibc
#endif

/// What a file's inode says about its bytes. When none of it changed since
/// the file was hashed, neither did the bytes: the bet git's index makes, so
/// adding an unchanged folder again costs a `stat` per file, not a re-hash.
struct FileFingerprint: Equatable, Sendable {
    let device: Int64
    let inode: Int64
    let size: Int64
    let modifiedNanoseconds: Int64
    /// The inode change time: it moves on writes through any hard link and on
    /// `touch -m` back to an old time, which the modification time misses.
    let changedNanoseconds: Int64

    /// A write in the same timestamp tick as the hash could change the bytes
    /// and leave the fingerprint as it was ("racy git"), so a fingerprint is
    /// kept only for a file that had been still this long when hashing began.
    static let settleNanoseconds: Int64 = 2_000_000_000

    init(_ info: stat) {
        device = Int64(bitPattern: UInt64(info.st_dev))
        inode = Int64(bitPattern: UInt64(info.st_ino))
        size = Int64(info.st_size)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changedNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }

    init(device: Int64, inode: Int64, size: Int64, modifiedNanoseconds: Int64, changedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }

    /// The fingerprint of the file at `path`, or nil if it cannot be read.
    static func of(_ path: String) -> FileFingerprint? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileFingerprint(info)
    }

    /// Whether the file had been still for ``settleNanoseconds`` at `time`
    /// (nanoseconds since the epoch, the clock file times use).
    func isSettled(at time: Int64) -> Bool {
        max(modifiedNanoseconds, changedNanoseconds) + FileFingerprint.settleNanoseconds <= time
    }

    /// Now, on the clock file times use.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
