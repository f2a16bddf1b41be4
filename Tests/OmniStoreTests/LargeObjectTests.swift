import Foundation
import OmniStore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Objects of 32 MiB and more are written with direct I/O in 4 MiB chunks,
/// with a buffered write for a tail that is not whole 4 KiB blocks. These
/// tests cover each shape of tail, a filesystem without the page-cache
/// bypass question (tmpfs), and that the bypass really happens.
@Suite struct LargeObjects {
    static let mebibyte = 1 << 20

    /// Sizes around the chunk and block boundaries the writer switches on.
    static let sizes = [
        32 * mebibyte,  // whole chunks only
        32 * mebibyte + 8192,  // a partial last chunk of whole blocks
        33 * mebibyte + 2,  // a tail of two bytes past a block
        36 * mebibyte - 2,  // a last chunk two bytes short of whole
    ]

    @Test(
        "large files are stored byte-identical under their sha256sum, whatever the shape of their tail",
        arguments: sizes)
    func storedExactly(size: Int) async throws {
        let dir = try TemporaryDirectory("large-\(size)")
        let source = try LargeWAV.write(size: size, seed: size, to: dir.file("big.wav"))
        let hex = try await SHA256Sum.hash(source)
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))

        let asset = try store.add(file: source).asset
        #expect(asset.id.hex == hex)
        #expect(asset.size == Int64(size))
        let object = StoreFiles(workspace: dir.file("ws")).objectPath(hex)
        #expect(try await SHA256Sum.hash(object) == hex)
        #expect(fileSize(object) == size)
        #expect(StoreFiles(workspace: dir.file("ws")).temporaryFiles().isEmpty)
    }

    @Test("a large file goes to disk without a second copy in the page cache")
    func bypassesPageCache() async throws {
        let dir = try TemporaryDirectory("large-cache")
        guard try await !PageCache.isTmpfs(dir.path) else { return }  // tmpfs is the page cache
        let source = try LargeWAV.write(size: 40 * LargeObjects.mebibyte + 6, seed: 7, to: dir.file("big.wav"))
        let (store, _) = try Store.create(at: try dir.makeDirectory("ws"))
        let asset = try store.add(file: source).asset
        let object = StoreFiles(workspace: dir.file("ws")).objectPath(asset.id.hex)
        // The probe reads the header and the buffered tail is one block, so
        // a few pages at most; a buffered copy leaves all 10,241 cached.
        let resident = try PageCache.residentFraction(object)
        #expect(resident < 0.25, "\(Int(resident * 100))% of the object's pages are cached")
        #expect(try await SHA256Sum.hash(object) == asset.id.hex)
    }

    @Test("on tmpfs, where the page cache is the storage, large files are stored the same")
    func onTmpfs() async throws {
        guard access("/dev/shm", W_OK) == 0, try await PageCache.isTmpfs("/dev/shm") else { return }
        let path = "/dev/shm/omnistore-large-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/ws", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try LargeWAV.write(size: 33 * LargeObjects.mebibyte + 2, seed: 9, to: path + "/big.wav")
        let hex = try await SHA256Sum.hash(source)
        let (store, _) = try Store.create(at: path + "/ws")
        #expect(try store.add(file: source).asset.id.hex == hex)
        #expect(try await SHA256Sum.hash(StoreFiles(workspace: path + "/ws").objectPath(hex)) == hex)
    }

    private func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }
}

/// A valid 16-bit mono WAV of exactly `size` bytes (even, at least 44),
/// written a mebibyte at a time so a debug build makes it quickly.
enum LargeWAV {
    static func write(size: Int, seed: Int, to path: String) throws -> String {
        precondition(size >= 44 && size % 2 == 0)
        let header = WAV.data(samples: [], sampleRate: 48_000)
        var head = [UInt8](header)
        let dataSize = size - head.count
        func put(_ value: Int, at offset: Int) {
            for i in 0..<4 { head[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        }
        put(36 + dataSize, at: 4)
        put(dataSize, at: 40)
        guard FileManager.default.createFile(atPath: path, contents: Data(head)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        // Blocks differ from each other so no two chunks of the file are equal.
        let block = [UInt8](garbageBytes(count: 1 << 20, seed: UInt64(seed)))
        var remaining = dataSize
        var index = 0
        while remaining > 0 {
            var chunk = block
            chunk[0] = UInt8(truncatingIfNeeded: index)
            chunk[1] = UInt8(truncatingIfNeeded: index >> 8)
            let count = min(remaining, chunk.count)
            try handle.write(contentsOf: chunk[0..<count])
            remaining -= count
            index += 1
        }
        return path
    }
}
