import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The working file's cache must never vouch for bytes it did not see: a
/// checkout over such a file would destroy unrecorded work.
@Suite struct WorkfileFingerprint {
    /// Overwrites `path` in place (same inode, same size) and puts its
    /// modification time back, as `cp -p` or a tool that restores times does.
    static func rewriteKeepingTimes(_ path: String, with bytes: Data) throws {
        guard let before = fileStatus(path) else { throw CocoaError(.fileNoSuchFile) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: bytes)
        try handle.close()
        var times = [before.st_atim, before.st_mtim]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw POSIXError(.EPERM) }
        let after = fileStatus(path)
        #expect(after?.st_ino == before.st_ino && after?.st_size == before.st_size)
        #expect(after?.st_mtim.tv_sec == before.st_mtim.tv_sec && after?.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
    }

    @Test("an in-place rewrite that keeps size, inode and mtime is still seen, right after checkout and later")
    func inPlaceRewriteIsSeen() async throws {
        let ws = try await GraphCheckoutWorkspace.make("workfile-fingerprint")
        let checkedOut = try await ws.run(["checkout", "HEAD~1"])
        #expect(checkedOut.succeeded, "\(checkedOut)")
        let path = try await ws.workfile().path
        #expect(try await SHA256Sum.hash(path) == ws.aOutput)
        let original = try #require(fileBytes(path))

        // Right after the checkout: the fingerprint was taken in the same
        // moment the file was written, so it must not be trusted yet.
        let first = WAV.data(seed: 811, sampleCount: 300)
        #expect(first.count == original.count && first != original)
        try Self.rewriteKeepingTimes(path, with: first)
        #expect(try await ws.workfile().state == "modified, not recorded")
        let refused = try await ws.run(["checkout", "main"])
        #expect(refused.exitCode == 1 && refused.stderr.contains("--force"), "\(refused)")
        #expect(fileBytes(path) == first, "a refused checkout leaves the working file alone")

        // Put the checked-out bytes back and let the file settle: status then
        // trusts (and refreshes) the fingerprint, and only the inode change
        // time can tell that the bytes changed under the same mtime.
        try Self.rewriteKeepingTimes(path, with: original)
        try await Task.sleep(for: .milliseconds(2_200))
        #expect(try await ws.workfile().state == "matches HEAD")
        #expect(try await ws.workfile().state == "matches HEAD")
        let second = WAV.data(seed: 812, sampleCount: 300)
        try Self.rewriteKeepingTimes(path, with: second)
        let state = try await ws.workfile()
        #expect(state.state == "modified, not recorded")
        #expect(state.sha256 == (try await SHA256Sum.hash(path)))
        let refusedAgain = try await ws.run(["checkout", "main"])
        #expect(refusedAgain.exitCode == 1, "\(refusedAgain)")
        #expect(fileBytes(path) == second, "unrecorded bytes survive")
    }
}
