import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the kernel has cached of a file: tells whether a command read a file
/// (or wrote it through the cache) without instrumenting the command.
public enum PageCache {
    public static func isTmpfs(_ path: String) async throws -> Bool {
        let result = try await Tool.check(try Tool.path("stat"), ["-f", "-c", "%T", path])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "tmpfs"
    }

    /// The fraction of the file's pages in the page cache, from mincore(2).
    public static func residentFraction(_ path: String) throws -> Double {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TestSupportError("cannot open '\(path)'") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { throw TestSupportError("'\(path)' is empty") }
        let length = Int(info.st_size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw TestSupportError("cannot map '\(path)'")
        }
        defer { munmap(map, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (length + pageSize - 1) / pageSize
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(map, length, &vector) == 0 else { throw TestSupportError("mincore failed on '\(path)'") }
        return Double(vector.filter { $0 & 1 == 1 }.count) / Double(pages)
    }

    /// Drops the file's clean pages from the cache, so that a later read of
    /// it shows up in ``residentFraction(_:)``.
    public static func evict(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TestSupportError("cannot open '\(path)'") }
        defer { close(fd) }
        fdatasync(fd)
        guard posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED)) == 0 else {
            throw TestSupportError("cannot evict '\(path)' from the page cache")
        }
    }
}
