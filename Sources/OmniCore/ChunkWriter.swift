internal import CPosix
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes chunks of a file on its own thread while the caller hashes the
/// next ones: a small ring of buffers, each lent to the writer and handed
/// back when its bytes are written.
///
/// Large files are written with direct I/O: the bytes go from these buffers
/// to the disk without a second copy in the page cache. Filling the page
/// cache with a fresh gigabyte costs more than the copy itself (every page
/// must be found, zeroed and mapped; on VMs that return free memory to the
/// host, faulted in again), and evicts what the user was working on for
/// bytes nobody reads back soon.
final class ChunkWriter: @unchecked Sendable {
    // @unchecked: each buffer is touched by one thread at a time, handed over
    // through its semaphore; `failure` is guarded by `lock`; `direct` is only
    // touched on the writer queue.
    static let slots = 8
    /// Direct I/O needs offsets and lengths in whole blocks; 4 KiB covers
    /// every logical block size Linux filesystems use.
    static let directAlignment = 4096

    private let fd: Int32
    private let path: String
    /// Bytes per buffer: the store's chunk, or less for a small file (a
    /// folder of thumbnails would otherwise map and unmap 32 MiB a file).
    let chunkSize: Int
    private let buffers: [UnsafeMutableRawPointer]
    private let available: [DispatchSemaphore]
    private let queue = DispatchQueue(label: "omnistore.object-writer")
    private let lock = NSLock()
    private var failure: Int32 = 0
    private var direct: Bool

    /// - Parameter directIO: write with O_DIRECT where the filesystem allows
    ///   it; the writer falls back to buffered writes by itself.
    ///   - expectedSize: the file's size when it was opened; it may still grow.
    init(fd: Int32, path: String, directIO: Bool, expectedSize: Int64) {
        self.fd = fd
        self.path = path
        let alignment = ChunkWriter.directAlignment
        // One block more than the file, so that a file read whole ends in its first buffer.
        let fitted = (Int(clamping: expectedSize) / alignment + 1) * alignment
        let chunkSize = min(ObjectStore.chunkSize, max(alignment, fitted))
        self.chunkSize = chunkSize
        buffers = (0..<ChunkWriter.slots).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: alignment)
        }
        available = (0..<ChunkWriter.slots).map { _ in DispatchSemaphore(value: 1) }
        direct = directIO && cposix_set_direct_io(fd, 1) == 0
    }

    /// Waits until buffer `slot` is free and returns it.
    func acquire(_ slot: Int) -> UnsafeMutableRawPointer {
        available[slot].wait()
        return buffers[slot]
    }

    /// Hands an unused buffer back.
    func free(_ slot: Int) {
        available[slot].signal()
    }

    /// Writes `count` bytes of buffer `slot` at `offset` on the writer thread.
    func write(_ slot: Int, count: Int, at offset: Int64) {
        queue.async { [self] in
            defer { available[slot].signal() }
            guard currentFailure() == 0 else { return }
            let alignment = ChunkWriter.directAlignment
            // The file's last, partial block cannot go direct; nor can
            // anything once a short read has put offsets off alignment.
            if direct && (count % alignment != 0 || offset % Int64(alignment) != 0) {
                stopDirectIO()
            }
            var code = writeAll(slot, count: count, at: offset)
            if code == EINVAL && direct {
                // Some filesystems accept O_DIRECT at open but refuse the writes.
                stopDirectIO()
                code = writeAll(slot, count: count, at: offset)
            }
            if code != 0 {
                record(code)
                return
            }
            if !direct { _ = cposix_start_writeback(fd, offset, Int64(count)) }
        }
    }

    /// 0, or the errno of the failed write.
    private func writeAll(_ slot: Int, count: Int, at offset: Int64) -> Int32 {
        var written = 0
        while written < count {
            let n = pwrite(fd, buffers[slot] + written, count - written, off_t(offset) + off_t(written))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return errno == 0 ? EIO : errno }
            written += n
        }
        return 0
    }

    private func stopDirectIO() {
        direct = false
        _ = cposix_set_direct_io(fd, 0)
    }

    /// Waits for every write, then fsyncs.
    /// - Parameter durable: fsync the file; false when the caller makes a
    ///   whole batch durable at once (its writeback has been started).
    func finish(durable: Bool = true) throws(StoreError) {
        queue.sync {}
        let code = currentFailure()
        if code != 0 { throw FileDescriptor.posixError(code, "cannot write '\(path)'") }
        guard durable else { return }
        guard fsync(fd) == 0 else { throw FileDescriptor.posixError(errno, "cannot flush '\(path)' to disk") }
    }

    /// Waits for pending writes and frees the buffers.
    func release() {
        queue.sync {}
        for buffer in buffers { buffer.deallocate() }
    }

    private func currentFailure() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    private func record(_ code: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if failure == 0 { failure = code }
    }
}
