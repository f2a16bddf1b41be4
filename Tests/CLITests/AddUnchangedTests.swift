import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Adding a file again from the same path, unchanged, costs a `stat`: the
/// store remembers its inode, size and times from the last add. Whether the
/// file was read is seen in the page cache (evicted before the second add).
@Suite struct AddUnchanged {
    /// A media file whose times are old enough to be trusted (see
    /// FileFingerprint.settleNanoseconds), added once.
    struct Added {
        let ws: CLIWorkspace
        let source: String
        let id: String
    }

    static func addSettledFile(_ label: String) async throws -> Added {
        let ws = try await CLIWorkspace.make(label)
        let source = try await Fixtures.copy(.mp4H264AAC, into: ws.dir.file("media"))
        try await Task.sleep(for: .milliseconds(2_200))
        let first = try await ws.run(["add", source])
        #expect(first.succeeded, "\(first)")
        #expect(first.stdout.hasPrefix("added"), "\(first)")
        return Added(ws: ws, source: source, id: try await SHA256Sum.hash(source))
    }

    @Test("an unchanged file added again is reported as already stored without being read")
    func unchangedIsNotRead() async throws {
        let added = try await AddUnchanged.addSettledFile("unchanged")
        try PageCache.evict(added.source)
        #expect(try PageCache.residentFraction(added.source) == 0)

        let again = try await added.ws.run(["add", added.source, "--json"])
        #expect(again.succeeded, "\(again)")
        let items = try JSONText.array(again.stdout)
        let item = try #require(items.first as? [String: Any])
        #expect(item["status"] as? String == "already_stored")
        #expect((item["asset"] as? [String: Any])?["id"] as? String == added.id)
        #expect(try PageCache.residentFraction(added.source) == 0, "the second add read the file")
    }

    @Test("--rehash reads an unchanged file all the same")
    func rehashReads() async throws {
        let added = try await AddUnchanged.addSettledFile("rehash")
        try PageCache.evict(added.source)
        let again = try await added.ws.run(["add", "--rehash", added.source])
        #expect(again.succeeded, "\(again)")
        #expect(again.stdout.hasPrefix("already stored"), "\(again)")
        #expect(try PageCache.residentFraction(added.source) > 0.5)
    }

    @Test("new bytes of the same size, with the old modification time put back, are hashed and stored")
    func changedBytesSameSizeAndTime() async throws {
        let added = try await AddUnchanged.addSettledFile("changed")
        var before = stat()
        #expect(stat(added.source, &before) == 0)
        // Same size, different bytes: a copy of the fixture with one byte of
        // its media data flipped still probes as the same kind of file.
        var bytes = try #require(fileBytes(added.source))
        bytes[bytes.count - 100] ^= 0xFF
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: added.source))
        try handle.write(contentsOf: bytes)
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, added.source, &times, 0) == 0)
        var after = stat()
        #expect(stat(added.source, &after) == 0)
        #expect(after.st_size == before.st_size && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)

        let newID = try await SHA256Sum.hash(added.source)
        #expect(newID != added.id)
        let again = try await added.ws.run(["add", added.source])
        #expect(again.succeeded, "\(again)")
        #expect(again.stdout.hasPrefix("added"), "\(again)")
        #expect(Set(try await added.ws.assetIDs()) == [added.id, newID])
        #expect(try await SHA256Sum.hash(added.ws.files.objectPath(newID)) == newID)
    }

    @Test("a file added within two seconds of its last change is read again next time")
    func freshFileIsNotTrusted() async throws {
        let ws = try await CLIWorkspace.make("fresh")
        let source = try await Fixtures.copy(.mp4H264AAC, into: ws.dir.file("media"))
        #expect(try await ws.run(["add", source]).succeeded)
        try PageCache.evict(source)
        let again = try await ws.run(["add", source])
        #expect(again.stdout.hasPrefix("already stored"), "\(again)")
        #expect(try PageCache.residentFraction(source) > 0.5, "a fingerprint taken too soon was trusted")
    }

    @Test("an unchanged file whose object went missing is read and its object restored")
    func missingObjectIsRestored() async throws {
        let added = try await AddUnchanged.addSettledFile("restore")
        let object = added.ws.files.objectPath(added.id)
        let fanout = (object as NSString).deletingLastPathComponent
        #expect(chmod(fanout, 0o755) == 0)
        #expect(unlink(object) == 0)

        let again = try await added.ws.run(["add", added.source])
        #expect(again.succeeded, "\(again)")
        #expect(try await SHA256Sum.hash(object) == added.id)
    }
}
