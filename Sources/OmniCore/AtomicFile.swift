import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written under a temp name beside its destination and renamed over
/// it on ``commit()``, so readers see either the old file or the whole new one.
/// Dropped without a commit, it leaves nothing behind.
package final class AtomicFile {
    let destination: String
    let temporaryPath: String
    let file: FileDescriptor
    private var committed = false

    /// Temp files are named `.omnistore-XXXXXXXX.tmp`: short, so any
    /// destination name that fits the filesystem works too.
    static let temporaryPrefix = ".omnistore-"
    static let temporarySuffix = ".tmp"

    init(destination: String, mode: mode_t = 0o644) throws(StoreError) {
        // The folder is taken textually: '..' after a symlink must be resolved
        // by the kernel, the way every other tool writing there would.
        let directory = AtomicFile.folder(of: destination)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError(.invalidArgument, "'\(destination)' is a directory: give a file name")
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.notFound, "cannot write '\(destination)': the folder '\(directory)' does not exist")
        }
        self.destination = destination
        self.temporaryPath =
            "\(directory)/\(AtomicFile.temporaryPrefix)\(UUID().uuidString.prefix(8).lowercased())\(AtomicFile.temporarySuffix)"
        self.file = try FileDescriptor.createExclusive(temporaryPath, mode: mode)
        // The lock marks the temp file as having a live writer (see removeAbandoned).
        _ = file.lockExclusive(wait: true)
    }

    /// The folder part of a path, without collapsing `..` or following links.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Removes temp files that killed writers left in `directory`: a live
    /// writer holds an flock on its temp file, which the kernel drops when it dies.
    static func removeAbandoned(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) && name.hasSuffix(temporarySuffix) {
            let path = directory + "/" + name
            guard let file = try? FileDescriptor.openForReading(path), file.lockExclusive(wait: false),
                let info = try? file.status()
            else { continue }
            let age = Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
            if info.st_size == 0 && age < 10 { continue }
            unlink(path)
        }
    }

    /// - Parameter durable: fsync the file and its folder; false leaves that
    ///   to the caller (a batch made durable at once with syncfs).
    func commit(durable: Bool = true) throws(StoreError) {
        if durable { try file.sync() }
        // rename() replaces a symlink at the destination rather than writing
        // through it, so the bytes land exactly where the user asked.
        guard rename(temporaryPath, destination) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot write '\(destination)'")
        }
        committed = true
        if durable { try? FileDescriptor.openDirectory(AtomicFile.folder(of: destination)).sync() }
    }

    deinit {
        if !committed { unlink(temporaryPath) }
    }
}

@available(*, unavailable)
extension AtomicFile: Sendable {}
