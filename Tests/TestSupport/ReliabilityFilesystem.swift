import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small filesystem mounted for one test: a tmpfs of a few MiB, or, where
/// tmpfs cannot be mounted, a loop-mounted ext4 image. Needs root (or
/// CAP_SYS_ADMIN); ``availability`` says whether this machine allows it.
public final class SmallFilesystem: @unchecked Sendable {
    // @unchecked: fields are set once in init, `mounted` only from the test's own task.
    public enum Kind: String, Sendable { case tmpfs, loopExt4 = "loop-mounted ext4" }

    public let path: String
    public let kind: Kind
    private let image: String?
    private var mounted = true

    /// How a small filesystem can be had here, or why not (computed once).
    public static let availability: Result<Kind, TestSupportError> = probe()

    public static var isAvailable: Bool { (try? availability.get()) != nil }

    public static var unavailableReason: String {
        if case .failure(let error) = availability { return error.description }
        return "available"
    }

    /// Mounts a filesystem of `megabytes` MiB at `directory` (created if missing).
    public init(at directory: String, megabytes: Int) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = realPath(directory)
        switch try SmallFilesystem.availability.get() {
        case .tmpfs:
            try SmallFilesystem.mountTmpfs(path, megabytes: megabytes)
            kind = .tmpfs
            image = nil
        case .loopExt4:
            let imagePath = path + ".img"
            try SmallFilesystem.mountLoop(path, image: imagePath, megabytes: megabytes)
            kind = .loopExt4
            image = imagePath
        }
    }

    /// Bytes free for an unprivileged writer (`statvfs`'s `f_bavail`).
    public var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// `mount -o remount,ro`: even root cannot write afterwards.
    public func remountReadOnly() throws {
        let result = SmallFilesystem.runSync("/bin/mount", ["-o", "remount,ro", path])
        guard result.status == 0 else {
            throw TestSupportError("mount -o remount,ro \(path) failed: \(result.output)")
        }
    }

    public func remountReadWrite() throws {
        let result = SmallFilesystem.runSync("/bin/mount", ["-o", "remount,rw", path])
        guard result.status == 0 else {
            throw TestSupportError("mount -o remount,rw \(path) failed: \(result.output)")
        }
    }

    /// Unmounts (lazily, so a straggling child cannot keep it busy) and removes the image.
    public func unmount() {
        guard mounted else { return }
        mounted = false
        if umount2(path, Int32(MNT_DETACH)) != 0 {
            _ = SmallFilesystem.runSync("/bin/umount", ["-l", path])
        }
        if let image { unlink(image) }
    }

    deinit { unmount() }

    // MARK: - Mounting

    private static func mountTmpfs(_ path: String, megabytes: Int) throws {
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0755") == 0 else {
            throw TestSupportError("cannot mount a tmpfs at \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func mountLoop(_ path: String, image: String, megabytes: Int) throws {
        _ = FileManager.default.createFile(atPath: image, contents: nil)
        guard truncate(image, off_t(megabytes) << 20) == 0 else {
            throw TestSupportError("cannot size \(image): \(String(cString: strerror(errno)))")
        }
        let mkfs = runSync(try Tool.path("mkfs.ext4"), ["-q", "-F", "-m", "0", "-O", "^has_journal", image])
        guard mkfs.status == 0 else { throw TestSupportError("mkfs.ext4 failed: \(mkfs.output)") }
        let mounted = runSync("/bin/mount", ["-o", "loop", image, path])
        guard mounted.status == 0 else {
            unlink(image)
            throw TestSupportError("mount -o loop failed: \(mounted.output)")
        }
    }

    private static func probe() -> Result<Kind, TestSupportError> {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-mount-probe-\(getpid())-\(UUID().uuidString.prefix(8))"
        ).path
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        var tmpfsError = "remount,ro was refused"
        if mount("tmpfs", base, "tmpfs", 0, "size=1m") == 0 {
            let remount = runSync("/bin/mount", ["-o", "remount,ro", base])
            umount2(base, Int32(MNT_DETACH))
            if remount.status == 0 { return .success(.tmpfs) }
        } else {
            tmpfsError = String(cString: strerror(errno))
        }
        let image = base + ".img"
        defer { unlink(image) }
        do {
            try mountLoop(base, image: image, megabytes: 4)
            umount2(base, Int32(MNT_DETACH))
            return .success(.loopExt4)
        } catch {
            return .failure(
                TestSupportError(
                    "no small filesystem can be mounted here (tmpfs: \(tmpfsError); loop ext4: \(error)); the test needs root with CAP_SYS_ADMIN"
                ))
        }
    }

    /// Runs a command synchronously (for use where no async context exists).
    static func runSync(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
