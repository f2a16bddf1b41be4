import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps `gc` from running while a command may still reference new assets.
///
/// Every command that adds assets or records turns takes a *shared* `flock`
/// on `.omnistore/gc.lock` before its first write and holds it until the
/// process ends; `gc` takes it *exclusively*. So between an asset's insertion
/// and the turn or pending row that references it, no gc can run, and a gc
/// that is running finishes before such a command starts. The kernel drops the
/// lock when a process dies, so a killed command never blocks gc for good.
package final class WriterLease: @unchecked Sendable {
    // @unchecked: `file` is only touched while `lock` is held.
    private let lock = NSLock()
    private var file: FileDescriptor?
    private let path: String

    init(layout: StoreLayout) {
        path = layout.storeDirectory + "/gc.lock"
    }

    /// Takes the shared lease once; later calls return at once.
    package func acquireShared() throws {
        lock.lock()
        defer { lock.unlock() }
        guard file == nil else { return }
        let opened = Result { () throws(StoreError) -> FileDescriptor in try FileDescriptor.openForLocking(path) }
        if case .failure(let error) = opened, error.code == .readOnly {
            throw StoreError(
                .readOnly,
                "the store is on a read-only filesystem: log, show, assets and export work, but nothing can be added or recorded"
            )
        }
        let handle = try opened.get()
        guard flock(handle.raw, LOCK_SH) == 0 else { throw FileDescriptor.posixError(errno, "cannot lock '\(path)'") }
        file = handle
    }

    /// Takes the exclusive lock for gc, waiting for running writers; `waiting`
    /// is called once if it has to wait.
    static func acquireExclusive(_ layout: StoreLayout, waiting: () -> Void) throws -> FileDescriptor {
        let path = layout.storeDirectory + "/gc.lock"
        let handle = try FileDescriptor.openForLocking(path)
        if flock(handle.raw, LOCK_EX | LOCK_NB) != 0 {
            waiting()
            guard flock(handle.raw, LOCK_EX) == 0 else {
                throw FileDescriptor.posixError(errno, "cannot lock '\(path)'")
            }
        }
        return handle
    }
}
