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

    @Test("log, status, show and a cached thumbnail load neither FFmpeg nor libcurl; record, a new thumbnail and generate load what they use")
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
        let generate = try await ws.run(["generate", "a lantern", "-b", "lantern", "--duration", "3"], environment: offline)
        #expect(!generate.succeeded, "\(generate.stdout)")
        #expect(Self.initialises("libcurl.so", generate), "generate talks to the API through libcurl")
        #expect(!generate.stderr.contains("test-key-not-real"), "the key never appears in errors")
    }
}
