import Foundation
import TestSupport
import Testing

/// FFmpeg's libraries (and the ~140 they pull in) are loaded only by the
/// commands that decode or probe media, libcurl (and its ~35) only by those
/// that talk to a server. The dynamic loader itself is the oracle: with
/// `LD_DEBUG=libs` it reports every library it initialises.
@Suite struct LazyLibraries {
    static func initialises(_ library: String, _ result: ProcessResult) -> Bool {
        result.stderr.split(separator: "\n").contains { $0.contains("calling init") && $0.contains(library) }
    }

    @Test(
        "log, status, show and a cached thumbnail load neither FFmpeg nor libcurl; record, a new thumbnail and generate load what they use"
    )
    func onlyTheCommandsThatNeedThemLoadThem() async throws {
        let ws = try await CLIWorkspace.make("lazy-libraries")
        let clip = ws.file("clip.mp4")
        try FileManager.default.copyItem(atPath: try await FrameFixtures.path(.gop48), toPath: clip)
        let trace = ["LD_DEBUG": "libs"]

        let recorded = try await ws.run(["record", clip, "-m", "first"], environment: trace)
        #expect(recorded.succeeded, "\(recorded)")
        #expect(Self.initialises("libavcodec.so", recorded), "recording probes the clip with libavformat")
        #expect(!Self.initialises("libcurl.so", recorded))

        for arguments in [["log"], ["status"], ["show", "HEAD"], ["branch"], ["--version"]] {
            let result = try await ws.run(arguments, environment: trace)
            #expect(result.succeeded, "\(arguments): \(result.stdout)")
            #expect(result.stderr.contains("calling init"), "LD_DEBUG reports nothing: the check would prove nothing")
            #expect(!Self.initialises("libavcodec.so", result), "\(arguments) loads FFmpeg")
            #expect(!Self.initialises("libcurl.so", result), "\(arguments) loads libcurl")
        }

        let fresh = try await ws.run(["thumbnail", "HEAD", "--at", "1", "-o", ws.file("a.png")], environment: trace)
        #expect(fresh.succeeded, "\(fresh.stdout)")
        #expect(Self.initialises("libavcodec.so", fresh), "a new thumbnail decodes the clip")
        let cached = try await ws.run(["thumbnail", "HEAD", "--at", "1", "-o", ws.file("b.png")], environment: trace)
        #expect(cached.succeeded && cached.stdout.contains("(cached)"), "\(cached.stdout)")
        #expect(!Self.initialises("libavcodec.so", cached), "a cached thumbnail is served without FFmpeg")
        #expect(fileBytes(ws.file("a.png")) == fileBytes(ws.file("b.png")))

        // Nothing listens on port 9 of loopback: the request fails, after libcurl was loaded to make it.
        var offline = trace
        offline["GOOGLE_API_KEY"] = "test-key-not-real"
        offline["GOOGLE_GEMINI_BASE_URL"] = "http://127.0.0.1:9"
        let generate = try await ws.run(
            ["generate", "a lantern", "-b", "lantern", "--duration", "3"], environment: offline)
        #expect(!generate.succeeded, "\(generate.stdout)")
        #expect(Self.initialises("libcurl.so", generate), "generate talks to the API through libcurl")
        #expect(!generate.stderr.contains("test-key-not-real"), "the key never appears in errors")
    }

    /// Whether `unshare -m` works here (root with CAP_SYS_ADMIN), so a test
    /// can hide a library from one command without touching the machine.
    static let canHideLibraries: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-m", "true"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    /// Runs omnistore with `library` replaced by an empty file, in a mount
    /// namespace of its own.
    static func runWithout(_ library: String, _ arguments: [String], in directory: String) async throws -> ProcessResult
    {
        let binary = try OmnistoreCLI.binary()
        let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let script = "mount --bind /dev/null \(library) && exec \(quoted.joined(separator: " "))"
        return try await RunningProcess.run("/usr/bin/unshare", ["-m", "sh", "-c", script], in: directory)
    }

    @Test(
        "without FFmpeg a media command fails with one line naming what to install, and the rest still works",
        .enabled(if: canHideLibraries, "needs unshare -m (root) to hide a library from one command"))
    func missingFFmpeg() async throws {
        let ws = try await CLIWorkspace.make("lazy-missing-ffmpeg")
        let clip = ws.file("clip.mp4")
        try FileManager.default.copyItem(atPath: try await FrameFixtures.path(.gop48), toPath: clip)
        try await OmnistoreCLI.check(["record", clip, "-m", "first"], in: ws.path)
        let libavcodec = "/lib/x86_64-linux-gnu/libavcodec.so.\(try Self.libavcodecMajor())"

        let thumbnail = try await Self.runWithout(
            libavcodec, ["thumbnail", "HEAD", "-o", ws.file("t.png")], in: ws.path)
        #expect(thumbnail.exitCode == 1 && !thumbnail.signaled, "\(thumbnail)")
        #expect(thumbnail.stderrLines.count == 1, "\(thumbnail)")
        #expect(thumbnail.stderr.contains("libavcodec.so") && thumbnail.stderr.contains("install"), "\(thumbnail)")
        #expect(!FileManager.default.fileExists(atPath: ws.file("t.png")), "no half-written output")

        for arguments in [["log"], ["status"], ["show", "HEAD"]] {
            let result = try await Self.runWithout(libavcodec, arguments, in: ws.path)
            #expect(result.succeeded, "\(arguments) needs no FFmpeg: \(result)")
        }
    }

    /// libavcodec's major version, from the library the loader finds.
    static func libavcodecMajor() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/lib/x86_64-linux-gnu")
        guard let name = names.first(where: { $0.hasPrefix("libavcodec.so.") && $0.split(separator: ".").count == 3 })
        else {
            throw TestSupportError("no libavcodec.so.N in /lib/x86_64-linux-gnu")
        }
        return String(name.split(separator: ".")[2])
    }
}
