import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written under a temp name beside its destination and renamed over
/// it on ``commit()``, so readers see either the old file or the whole new one.
/// Dropped without a commit, it leaves nothing behind.
package final class AtomicSystemFile<Failure: SystemCallFailure> {
    package let destination: String
    package let temporaryPath: String
    package let file: SystemFile<Failure>
    private var committed = false

    /// Temp files are named `.omnistore-XXXXXXXX.tmp`: short, so any
    /// destination name that fits the filesystem works too.
    package static var temporaryPrefix: String { ".omnistore-" }
    package static var temporarySuffix: String { ".tmp" }

    package init(destination: String, mode: mode_t = 0o644) throws(Failure) {
        // The folder is taken textually: '..' after a symlink must be resolved
        // by the kernel, the way every other tool writing there would.
        let directory = AtomicSystemFile.folder(of: destination)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw Failure.invalidArgument("'\(destination)' is a directory: give a file name")
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure.notFound("cannot write '\(destination)': the folder '\(directory)' does not exist")
        }
        self.destination = destination
        self.temporaryPath =
            "\(directory)/\(AtomicSystemFile.temporaryPrefix)\(UUID().uuidString.prefix(8).lowercased())\(AtomicSystemFile.temporarySuffix)"
        self.file = try SystemFile.createExclusive(temporaryPath, mode: mode)
        // The lock marks the temp file as having a live writer (see removeAbandoned).
        _ = file.lockExclusive(wait: true)
    }

    /// The folder part of a path, without collapsing `..` or following links.
    package static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Removes temp files that killed writers left in `directory`: a live
    /// writer holds an flock on its temp file, which the kernel drops when it dies.
    package static func removeAbandoned(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) && name.hasSuffix(temporarySuffix) {
            let path = directory + "/" + name
            guard let file = try? SystemFile<Failure>.openForReading(path), file.lockExclusive(wait: false),
                let info = try? file.status()
            else { continue }
            let age = Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
            if info.st_size == 0 && age < 10 { continue }
            unlink(path)
        }
    }

    /// - Parameter durable: fsync the file and its folder; false leaves that
    ///   to the caller (a batch made durable at once with syncfs).
    package func commit(durable: Bool = true) throws(Failure) {
        if durable { try file.sync() }
        // rename() replaces a symlink at the destination rather than writing
        // through it, so the bytes land exactly where the user asked.
        guard rename(temporaryPath, destination) == 0 else {
            throw Failure.posix(errno, "cannot write '\(destination)'")
        }
        committed = true
        if durable { SystemFile<Failure>.syncDirectory(AtomicSystemFile.folder(of: destination)) }
    }

    deinit {
        if !committed { unlink(temporaryPath) }
    }
}

@available(*, unavailable)
extension AtomicSystemFile: Sendable {}
