import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An object being written: a locked temp file in `objects/` that becomes
/// `objects/ab/cdef…` on ``publish()`` and is deleted if never published.
package final class StagedObject {
    let file: FileDescriptor
    let temporaryPath: String
    private let objects: ObjectStore
    private var finished = false
    /// Set once the bytes are hashed.
    var id = AssetID(validatedHex: String(repeating: "0", count: 64))
    var size: Int64 = 0
    /// The source file as it was when hashing began, and when that was.
    var source: (fingerprint: FileFingerprint, hashStartedAt: Int64)?

    private init(file: FileDescriptor, temporaryPath: String, objects: ObjectStore) {
        self.file = file
        self.temporaryPath = temporaryPath
        self.objects = objects
    }

    /// - Parameter fileExtension: the source's extension, kept on the temp
    ///   file because libavformat uses it to pick a demuxer when probing.
    static func create(in objects: ObjectStore, fileExtension: String = "") throws(StoreError) -> StagedObject {
        let directory = objects.layout.objectsDirectory
        let suffix = fileExtension.isEmpty ? "" : "." + fileExtension
        for _ in 0..<16 {
            let path =
                "\(directory)/\(ObjectStore.temporaryPrefix)\(UUID().uuidString.prefix(13).lowercased())\(suffix)"
            let file: FileDescriptor
            do {
                file = try FileDescriptor.createExclusive(path, mode: 0o600)
            } catch {
                if FileManager.default.fileExists(atPath: path) { continue }
                throw error
            }
            // The lock tells other processes this temp file has a live owner.
            _ = file.lockExclusive(wait: true)
            return StagedObject(file: file, temporaryPath: path, objects: objects)
        }
        throw StoreError(.io, "cannot create a temp file in '\(directory)'")
    }

    /// Moves the bytes under their object path, unless an object with the same
    /// id is already there.
    ///
    /// - Returns: true when this call stored the object, false when it was
    ///   already stored.
    ///
    /// - Parameter durable: fsync the folders the rename changed; false when
    ///   the caller syncs a whole batch of renames at once.
    func publish(durable: Bool = true) throws(StoreError) -> Bool {
        defer { discard() }
        let layout = objects.layout
        let finalPath = layout.objectPath(id)
        if access(finalPath, F_OK) == 0 { return false }
        let fanout = layout.fanoutDirectory(id)
        let createdFanout = mkdir(fanout, 0o755) == 0
        if !createdFanout && errno != EEXIST {
            throw FileDescriptor.posixError(errno, "cannot create '\(fanout)'")
        }
        _ = fchmod(file.raw, 0o444)
        guard rename(temporaryPath, finalPath) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot store object \(id.short)")
        }
        finished = true
        guard durable else { return true }
        // The rename is durable only once the directory entry is on disk.
        try FileDescriptor.openDirectory(fanout).sync()
        if createdFanout { try FileDescriptor.openDirectory(layout.objectsDirectory).sync() }
        return true
    }

    /// Deletes the temp file if it was not published.
    func discard() {
        guard !finished else { return }
        finished = true
        unlink(temporaryPath)
    }

    deinit { discard() }
}

@available(*, unavailable)
extension StagedObject: Sendable {}
