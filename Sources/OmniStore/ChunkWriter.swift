internal import CPosix
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes chunks of a file on its own thread while the caller hashes the
/// next ones: a small ring of buffers, each lent to the writer and handed
/// back when its bytes are written.
final class ChunkWriter: @unchecked Sendable {
    // @unchecked: each buffer is touched by one thread at a time, handed over
    // through its semaphore; `failure` is guarded by `lock`.
    static let slots = 3

    private let fd: Int32
    private let path: String
    private let buffers: [UnsafeMutableRawPointer]
    private let available: [DispatchSemaphore]
    private let queue = DispatchQueue(label: "omnistore.object-writer")
    private let lock = NSLock()
    private var failure: Int32 = 0

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffers = (0..<ChunkWriter.slots).map { _ in
            UnsafeMutableRawPointer.allocate(byteCount: ObjectStore.chunkSize, alignment: 4096)
        }
        available = (0..<ChunkWriter.slots).map { _ in DispatchSemaphore(value: 1) }
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
            var written = 0
            while written < count {
                let n = pwrite(fd, buffers[slot] + written, count - written, off_t(offset) + off_t(written))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    record(errno == 0 ? EIO : errno)
                    return
                }
                written += n
            }
            _ = cposix_start_writeback(fd, offset, Int64(count))
        }
    }

    /// Waits for every write, then fsyncs.
    func finish() throws(StoreError) {
        queue.sync {}
        let code = currentFailure()
        if code != 0 { throw FileDescriptor.posixError(code, "cannot write '\(path)'") }
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
