import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written under a temp name beside its destination and renamed over
/// it on ``commit()``, so readers see either the old file or the whole new one.
/// Dropped without a commit, it leaves nothing behind.
final class AtomicFile {
    let destination: String
    let temporaryPath: String
    let file: FileDescriptor
    private var committed = false

    init(destination: String, mode: mode_t = 0o644) throws(StoreError) {
        let url = URL(fileURLWithPath: destination)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError(.invalidArgument, "'\(destination)' is a directory: give a file name")
        }
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.notFound, "cannot write '\(destination)': the folder '\(directory)' does not exist")
        }
        self.destination = destination
        self.temporaryPath = "\(directory)/.\(url.lastPathComponent).omnistore-\(UUID().uuidString.prefix(8).lowercased())"
        self.file = try FileDescriptor.createExclusive(temporaryPath, mode: mode)
    }

    func commit() throws(StoreError) {
        try file.sync()
        // rename() replaces a symlink at the destination rather than writing
        // through it, so the bytes land exactly where the user asked.
        guard rename(temporaryPath, destination) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot write '\(destination)'")
        }
        committed = true
        let directory = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        try? FileDescriptor.openDirectory(directory).sync()
    }

    deinit {
        if !committed { unlink(temporaryPath) }
    }
}

@available(*, unavailable)
extension AtomicFile: Sendable {}
