import Foundation
import TestSupport
import Testing

/// A hostile (or compromised) API server: video links omnistore must refuse,
/// downloads it must cap, origins the key must not reach, and error texts
/// that echo the key.
@Suite struct GenerationHostileServer {
    /// 1080p is delivered by uri, so the video is downloaded.
    private static let generate = ["generate", "a red kite", "--resolution", "1080p", "--duration", "3"]

    /// Files left in the store's scratch folder (downloads, responses).
    private func scratch(_ world: GenerationWorld) -> [String] {
        listTree(world.ws.files.storeDirectory + "/tmp")
    }

    /// Runs a generation whose video the server hands out as `uri`, expects a
    /// clean refusal that names it, and that nothing was stored or left behind.
    private func expectRefused(uri: String, naming words: [String], extra: [String: String] = [:]) async throws {
        let world = try await GenerationWorld.make("gen-hostile-uri")
        try await world.fake.configure(["video_uri": uri])
        let result = try await world.run(Self.generate, extra: extra)
        #expect(result.failedCleanly, "\(result)")
        for word in words {
            #expect(result.stderr.contains(word), "the error does not name '\(word)': \(result)")
        }
        #expect(!result.stderr.contains("the generation failed on the server"), "\(result)")
        #expect(!result.stderr.contains("root:"), "the file was read: \(result)")
        #expect(result.stderr.contains("omnistore resume"), "\(result)")
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
        #expect(try await world.allTurns().isEmpty)
        // The interaction stays pending, to resume from a server that behaves.
        #expect(try await world.pending().count == 1)
    }

    @Test("a file:///etc/passwd video uri is refused before anything is read")
    func fileURIRefused() async throws {
        try await expectRefused(uri: "file:///etc/passwd", naming: ["refused", "file"])
    }

    @Test("a file:///dev/zero video uri is refused (it used to fill the disk)")
    func devZeroRefused() async throws {
        try await expectRefused(uri: "file:///dev/zero", naming: ["refused", "file"])
    }

    @Test("a gopher:// video uri is refused")
    func gopherRefused() async throws {
        try await expectRefused(uri: "gopher://127.0.0.1:1/_x", naming: ["refused", "gopher"])
    }

    @Test("an http video uri to a host that is not loopback is refused (http is for local test servers only)")
    func plainHTTPElsewhereRefused() async throws {
        try await expectRefused(
            uri: "http://video.example.invalid/clip.mp4", naming: ["refused", "http", "video.example.invalid"])
    }

    @Test("an endless video stops at the ceiling set by OMNISTORE_MAX_DOWNLOAD_BYTES, with an error naming the size")
    func endlessStopsAtCeiling() async throws {
        try await expectRefused(
            uri: "{base}/_fake_endless", naming: ["larger than 5000000 bytes"],
            extra: ["OMNISTORE_MAX_DOWNLOAD_BYTES": "5000000"])
    }

    @Test("an endless video stops at what a 3 s 1080p clip can be, without any setting")
    func endlessStopsAtClipLimit() async throws {
        try await expectRefused(uri: "{base}/_fake_endless", naming: ["larger than", "more than this clip can be"])
    }

    @Test("a video that declares 8 GiB is refused at once")
    func declaredHugeRefused() async throws {
        try await expectRefused(uri: "{base}/_fake_endless?declared=1", naming: ["larger than", "bytes"])
    }

    @Test("a normal 1080p download still works under the cap")
    func normalDownloadFits() async throws {
        let world = try await GenerationWorld.make("gen-hostile-normal")
        let turn = try await world.object(Self.generate)
        #expect(turn["output"] is String)
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
    }

    // MARK: - The key and other origins

    /// A second server on another loopback port, with the same key, that logs
    /// whether `x-goog-api-key` reached it.
    private func keyReached(_ other: FakeAPI) async throws -> [FakeAPI.Request] {
        let requests = try await other.requests()
        #expect(!requests.isEmpty, "the other server saw no request")
        return requests.filter { $0.header("x-goog-api-key") != nil }
    }

    @Test("a 307 from :download to another port of the same host does not carry the key")
    func redirectToOtherPortDropsKey() async throws {
        let world = try await GenerationWorld.make("gen-hostile-redirect-port")
        let other = try await FakeAPI(apiKey: world.fake.apiKey)
        try await world.fake.configure([
            "download_location": "http://127.0.0.1:\(other.port)/v1/files/{fid}:download?alt=media"
        ])
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        #expect(!result.stderr.contains("the generation failed on the server"), "\(result)")
        let leaked = try await keyReached(other)
        #expect(leaked.isEmpty, "the key went to another port: \(leaked)")
        // The API's own download request did carry it.
        let own = try await world.fake.requests().filter { $0.path.hasSuffix(":download") }
        #expect(!own.isEmpty && own.allSatisfy { $0.header("x-goog-api-key") == "REDACTED" }, "\(own)")
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
    }

    @Test("a video uri on another port of the same host gets no key")
    func videoURIOnOtherPortGetsNoKey() async throws {
        let world = try await GenerationWorld.make("gen-hostile-uri-port")
        let other = try await FakeAPI(apiKey: world.fake.apiKey)
        try await world.fake.configure([
            "video_uri": "http://127.0.0.1:\(other.port)/{v}/files/{fid}:download?alt=media"
        ])
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        let leaked = try await keyReached(other)
        #expect(leaked.isEmpty, "the key went to another port: \(leaked)")
    }

    @Test("a video uri on localhost (another host name for the API's 127.0.0.1) gets no key")
    func videoURIOnOtherHostNameGetsNoKey() async throws {
        let world = try await GenerationWorld.make("gen-hostile-uri-host")
        let other = try await FakeAPI(apiKey: world.fake.apiKey)
        try await world.fake.configure([
            "video_uri": "http://localhost:\(other.port)/{v}/files/{fid}:download?alt=media"
        ])
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        let leaked = try await keyReached(other)
        #expect(leaked.isEmpty, "the key went to another host name: \(leaked)")
    }

    @Test("an upload url on another port gets the file's chunks but not the key")
    func uploadURLOnOtherPortGetsNoKey() async throws {
        let other = try await FakeAPI()
        let world = try await GenerationWorld.make(
            "gen-hostile-upload-port", fakeOptions: ["--public-base-url", "http://127.0.0.1:\(other.port)"])
        let big = try await makeClipOverInlineLimit(world.ws.file("big.mp4"))
        let result = try await world.run([
            "generate", "restyle", "--ref", big + ":big", "--resolution", "360p", "--duration", "3",
        ])
        #expect(result.failedCleanly, "\(result)")
        let chunks = try await other.requests().filter { $0.path.hasPrefix("/upload/") }
        #expect(!chunks.isEmpty, "the upload url was not used")
        #expect(chunks.allSatisfy { $0.header("x-goog-api-key") == nil }, "the key went to another port: \(chunks)")
    }

    // MARK: - Server texts that echo the key

    @Test("an error message that echoes the key is shown, logged and stored with the key redacted")
    func echoedKeyRedacted() async throws {
        let key = FakeAPI.distinctiveKey()
        let world = try await GenerationWorld.make("gen-hostile-echo", apiKey: key)
        var outputs: [ProcessResult] = []
        try await world.fake.fault([
            "kind": "error", "method": "POST", "path": "^/v1/interactions$", "status": 400,
            "message": "API key \(key) is not valid for this project",
        ])
        let create = try await world.run(["generate", "a lantern", "--resolution", "360p", "--duration", "3"])
        outputs.append(create)
        #expect(create.failedCleanly, "\(create)")
        #expect(create.stderr.contains("[REDACTED]"), "\(create)")
        try await world.fake.fault([
            "kind": "error", "method": "POST", "path": "^/v1/interactions$", "status": 403,
            "message": "denied for key=\(key)",
        ])
        let json = try await world.run(["generate", "a lantern", "--resolution", "360p", "--duration", "3", "--json"])
        outputs.append(json)
        #expect(json.failedCleanly, "\(json)")
        // A poll answered with the key in its message, then a download refused with it.
        try await world.fake.fault([
            "kind": "error", "method": "GET", "path": "^/v1/interactions/", "status": 400, "message": "bad poll \(key)",
        ])
        let poll = try await world.run(["generate", "a kite", "--resolution", "360p", "--duration", "3"])
        outputs.append(poll)
        #expect(poll.failedCleanly, "\(poll)")
        #expect(poll.stderr.contains("[REDACTED]"), "\(poll)")
        try await world.fake.fault([
            "kind": "error", "method": "GET", "path": ":download$", "status": 404, "message": "no file for \(key)",
        ])
        let download = try await world.run(Self.generate)
        outputs.append(download)
        #expect(download.failedCleanly, "\(download)")
        outputs.append(try await world.run(["resume", "--list", "--json"]))
        outputs.append(try await world.run(["log", "--all", "--attempts", "--json"]))
        for result in outputs {
            #expect(!result.stdout.contains(key) && !result.stderr.contains(key), "\(result)")
        }
        let dump = try await Tool.check("sqlite3", [world.ws.files.storeDirectory + "/omnistore.db", ".dump"])
        #expect(!dump.stdout.contains(key))
    }

    // MARK: - Generated files that are not ACTIVE yet (delivery "uri")

    /// The file GETs and downloads of the one generated file, in order.
    private func fileTraffic(_ world: GenerationWorld) async throws -> [FakeAPI.Request] {
        try await world.fake.requests().filter { $0.path.contains("/files/") }
    }

    @Test("a generated file still PROCESSING is polled until ACTIVE before it is downloaded (no early download)")
    func waitsForActive() async throws {
        let world = try await GenerationWorld.make(
            "gen-file-processing", fakeOptions: ["--generated-processing-polls", "2"])
        let turn = try await world.object(Self.generate)
        #expect(turn["output"] is String)
        let traffic = try await fileTraffic(world)
        let downloads = traffic.filter { $0.path.hasSuffix(":download") }
        let gets = traffic.filter { !$0.path.hasSuffix(":download") }
        #expect(downloads.count == 1 && downloads.first?.status == 200, "\(traffic)")
        #expect(gets.count == 3, "two PROCESSING answers, then ACTIVE: \(traffic)")
        if let download = downloads.first { #expect(gets.allSatisfy { $0.seq < download.seq }, "\(traffic)") }
        #expect(traffic.allSatisfy { $0.header("x-goog-api-key") == "REDACTED" })
    }

    @Test("a 400 FAILED_PRECONDITION on :download means not ready: the file is polled and the download tried again")
    func failedPreconditionIsNotReady() async throws {
        let world = try await GenerationWorld.make("gen-file-precondition")
        // The file GET says ACTIVE, but the first download is refused as the real API may do.
        try await world.fake.fault([
            "kind": "error", "method": "GET", "path": ":download$", "status": 400, "rpc_status": "FAILED_PRECONDITION",
            "message": "File is not in an ACTIVE state and usage is not allowed.",
        ])
        let result = try await world.run(Self.generate + ["--json"])
        #expect(result.succeeded, "\(result)")
        let downloads = try await fileTraffic(world).filter { $0.path.hasSuffix(":download") }
        #expect(downloads.map(\.status) == [400, 200], "\(downloads)")
    }

    @Test("a generated file that ends FAILED is a real failure: recorded, not pending, and said so")
    func failedFile() async throws {
        let world = try await GenerationWorld.make("gen-file-failed", fakeOptions: ["--generated-file-fails"])
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("FAILED"), "\(result)")
        #expect(try await fileTraffic(world).filter { $0.path.hasSuffix(":download") }.isEmpty)
        #expect(try await world.pending().isEmpty)
        #expect(try await world.attempts().count == 1)
    }

    @Test("a file that stays PROCESSING leaves the interaction pending with a hint to resume, and resume lands it")
    func staysProcessingThenResume() async throws {
        let world = try await GenerationWorld.make(
            "gen-file-slow", fakeOptions: ["--generated-processing-polls", "100000"])
        let result = try await world.run(Self.generate, extra: ["OMNISTORE_FILE_WAIT_SECONDS": "2"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("PROCESSING") && result.stderr.contains("omnistore resume"), "\(result)")
        #expect(!result.stderr.contains("the generation failed on the server"), "\(result)")
        #expect(try await fileTraffic(world).filter { $0.path.hasSuffix(":download") }.isEmpty)
        #expect(try await world.pending().count == 1)
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
        // The file becomes ACTIVE: resume downloads it.
        let interactions = try await world.fake.interactions()
        let fid = try #require(interactions.first?["file_id"] as? String)
        try await world.fake.configure(["generated_processing_polls": 0])
        _ = try await world.fake.admin("POST", "/_admin/files/\(fid)/activate")
        let resumed = try await world.run(["resume", "--json"])
        #expect(resumed.succeeded, "\(resumed)")
        #expect(try await world.allTurns().count == 1)
    }
}
