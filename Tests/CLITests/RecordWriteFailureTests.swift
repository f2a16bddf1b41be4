import Foundation
import Testing
import TestSupport

/// A write that the kernel refuses while `record` refreshes the working file.
/// RLIMIT_FSIZE gives a real EFBIG from write(2) without a special mount:
/// the command runs under `ulimit -f` with SIGXFSZ ignored, as a shell with
/// a quota-like limit would run it.
@Suite("record when the working file cannot be written")
struct RecordWriteFailureTests {
    /// Runs omnistore under a file size limit of `limitBytes`.
    static func runLimited(_ arguments: [String], limitBytes: Int, in directory: String) async throws -> ProcessResult {
        let binary = try OmnistoreCLI.binary()
        let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = "trap '' XFSZ; ulimit -f \(limitBytes / 512) && exec \(quoted.joined(separator: " "))"
        return try await RunningProcess.run("/bin/bash", ["-c", script], in: directory)
    }

    @Test(
        "EFBIG while writing the new working file fails record with one line; no turn, the old working file and fsck intact"
    )
    func fileSizeLimitDuringRecord() async throws {
        let ws = try await CLIWorkspace.make("record-efbig")
        let first = ws.file("first.wav")
        try writeSparseWAV(first, dataBytes: 64 << 10)
        try await OmnistoreCLI.check(["record", first, "-m", "first"], in: ws.path)
        let workfile = ws.file("clip.wav")
        let workfileHash = try await SHA256Sum.hash(workfile)

        // The second clip is stored already, so the only big write left to
        // record is the working file's copy, and the limit falls on it.
        let second = ws.file("second.wav")
        try writeSparseWAV(second, dataBytes: 6 << 20)
        // add keeps a file's fingerprint only once the file has settled (2 s),
        // so that record finds it stored without copying it again.
        try await Task.sleep(for: .milliseconds(2200))
        try await OmnistoreCLI.check(["add", second], in: ws.path)
        let limit = 2 << 20
        let largest =
            listTree(ws.path + "/.omnistore").compactMap { relative -> Int? in
                guard !relative.hasPrefix("objects/") else { return nil }
                return (try? FileManager.default.attributesOfItem(atPath: ws.path + "/.omnistore/" + relative))?[.size]
                    as? Int
            }.max() ?? 0
        try #require(largest < limit / 2, "the store's own files must stay under the limit: \(largest) bytes")

        let result = try await Self.runLimited(["record", second, "-m", "second"], limitBytes: limit, in: ws.path)
        #expect(result.exitCode == 1 && !result.signaled, "\(result)")
        #expect(result.stderrLines.count == 1, "one line: \(result.stderr.debugDescription)")
        #expect(result.stderr.contains("clip.wav") && result.stderr.contains("ulimit -f"), "\(result.stderr)")

        let count = try await OmnistoreCLI.check(["log", "--count"], in: ws.path)
        #expect(count.stdoutLines == ["1"], "no turn was recorded: \(count.stdout)")
        #expect(try await SHA256Sum.hash(workfile) == workfileHash, "the old working file is untouched")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: ws.path).filter {
            $0.hasPrefix(".omnistore-")
        }
        #expect(leftovers.isEmpty, "temp files left: \(leftovers)")
        try await OmnistoreCLI.check(["fsck"], in: ws.path)

        // With the limit gone the same record works and refreshes the file.
        try await OmnistoreCLI.check(["record", second, "-m", "second"], in: ws.path)
        #expect(try await SHA256Sum.hash(workfile) == (try await SHA256Sum.hash(second)))
    }
}
