import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Configuration from the environment, references, the Files API, and an installed binary.
@Suite struct GenerationConfiguration {
    @Test("GOOGLE_API_KEY wins over GEMINI_API_KEY; either alone works; neither refuses before sending")
    func keyPrecedence() async throws {
        let key = FakeAPI.distinctiveKey()
        let wrong = FakeAPI.distinctiveKey()
        let world = try await GenerationWorld.make("gen-keys", apiKey: key)
        let base = ["--resolution", "360p", "--duration", "3"]

        let googleWins = try await world.run(
            ["generate", "one"] + base, extra: ["GOOGLE_API_KEY": key, "GEMINI_API_KEY": wrong])
        #expect(googleWins.succeeded, "\(googleWins)")
        let geminiIgnored = try await world.run(
            ["generate", "two", "-b", "two"] + base, extra: ["GOOGLE_API_KEY": wrong, "GEMINI_API_KEY": key])
        #expect(geminiIgnored.failedCleanly, "GEMINI_API_KEY was used although GOOGLE_API_KEY is set: \(geminiIgnored)")
        #expect(errorLinesOf(geminiIgnored).count == 1, "\(geminiIgnored)")
        #expect(geminiIgnored.stderr.contains("API key not valid"), "\(geminiIgnored)")
        let geminiAlone = try await world.run(
            ["generate", "three", "-b", "three"] + base, extra: ["GOOGLE_API_KEY": "", "GEMINI_API_KEY": key])
        #expect(geminiAlone.succeeded, "\(geminiAlone)")
        let statuses = try await world.fake.creates().map(\.status)
        #expect(statuses == [200, 401, 200], "\(statuses)")

        let before = try await world.fake.requests().count
        let none = try await world.run(
            ["generate", "four", "-b", "four"] + base, extra: ["GOOGLE_API_KEY": "", "GEMINI_API_KEY": ""])
        #expect(none.failedCleanly, "\(none)")
        #expect(errorLinesOf(none).count == 1 && none.stderr.contains("GOOGLE_API_KEY"), "\(none)")
        #expect(try await world.fake.requests().count == before)
        #expect(try await world.allTurns().count == 2)
    }

    @Test("GOOGLE_GENAI_API_VERSION=beta sends /v1beta/…, the default /v1/…")
    func apiVersion() async throws {
        let world = try await GenerationWorld.make("gen-version")
        _ = try await world.object(["generate", "one", "--resolution", "360p", "--duration", "3"])
        let v1 = try await world.fake.requests()
        #expect(!v1.isEmpty && v1.allSatisfy { $0.path.hasPrefix("/v1/interactions") }, "\(v1)")
        try await world.fake.clearRequests()

        let beta = ["GOOGLE_GENAI_API_VERSION": "beta"]
        let dry = try await world.check(["edit", "two", "--dry-run"], extra: beta)
        #expect(dry.stdoutLines.first == "POST /v1beta/interactions", "\(dry)")
        _ = try await world.object(["edit", "two"], extra: beta)
        _ = try await world.object(
            ["generate", "three", "-b", "big", "--resolution", "1080p", "--duration", "3"], extra: beta)
        let requests = try await world.fake.requests()
        #expect(requests.count >= 6)
        for request in requests {
            #expect(request.path.hasPrefix("/v1beta/"), "\(request)")
            #expect(request.status == 200 || request.status == 206, "\(request)")
        }
        #expect(requests.contains { $0.path.hasPrefix("/v1beta/files/") && $0.path.hasSuffix(":download") })
    }

    @Test("an image --ref goes inline with its probed mime type and exact bytes, and is recorded as an input")
    func inlineImageReference() async throws {
        let world = try await GenerationWorld.make("gen-ref-image")
        let png = try await Fixtures.copy(.png, into: world.ws.path)
        let jpeg = try await Fixtures.copy(.jpeg, into: world.ws.path)
        let turn = try await world.object(
            [
                "generate", "animate the logo", "--ref", png + ":logo", "--ref", jpeg, "--resolution", "360p",
                "--duration", "3",
            ])
        let create = try #require(try await world.fake.creates().first)
        let parts = createInputParts(create)
        try #require(parts.count == 3, "\(parts.map { $0["type"] ?? "?" })")
        let pngID = try await SHA256Sum.hash(png)
        let jpegID = try await SHA256Sum.hash(jpeg)
        for (index, (path, id)) in [(png, pngID), (jpeg, jpegID)].enumerated() {
            let part = parts[index]
            #expect(part["type"] as? String == "image")
            let probed = try await world.ws.show(id)["mime"] as? String
            #expect(part["mime_type"] as? String == probed, "\(path)")
            let fixture: Fixture = index == 0 ? .png : .jpeg
            #expect(
                fixture.acceptableMimes.contains(part["mime_type"] as? String ?? ""), "\(part["mime_type"] ?? "none")")
            #expect(part["uri"] == nil)
            let data = try #require(Data(base64Encoded: part["data"] as? String ?? ""))
            #expect(data == fileBytes(path))
        }
        #expect(parts[2]["text"] as? String == "animate the logo")
        let inputs = turn["inputs"] as? [[String: Any]] ?? []
        #expect(inputs.map { $0["asset"] as? String } == [pngID, jpegID])
        #expect(inputs.map { $0["name"] as? String } == ["logo", "still.jpg"])
    }

    @Test("a reference over the inline limit is uploaded with the resumable protocol and referenced by uri")
    func filesAPIReference() async throws {
        // Strict about chunk sizes, and the upload stays PROCESSING for two looks.
        let world = try await GenerationWorld.make(
            "gen-ref-upload", fakeOptions: ["--enforce-chunk-granularity", "--file-processing-polls", "2"])
        let big = try await makeClipOverInlineLimit(world.ws.file("big.mp4"))
        let size = Int64(try #require(fileStatus(big)).st_size)
        let bigID = try await SHA256Sum.hash(big)

        // First the upload is refused with an RPC-shaped error (a number code and a status name).
        try await world.fake.fault([
            "kind": "error", "method": "POST", "path": "^/upload/v1/files$", "status": 403,
            "rpc_status": "PERMISSION_DENIED",
            "message": "Injected upload refusal 5190.",
        ])
        let refused = try await world.run([
            "generate", "restyle", "--ref", big + ":big", "--resolution", "360p", "--duration", "3",
        ])
        #expect(refused.failedCleanly, "\(refused)")
        #expect(errorLinesOf(refused).count == 1, "\(refused)")
        #expect(refused.stderr.contains("Injected upload refusal 5190."), "\(refused)")
        #expect(refused.stderr.contains("PERMISSION_DENIED"), "\(refused)")
        #expect(try await world.fake.creates().isEmpty)
        try await world.fake.clearRequests()

        // A 503 on the start is retried (a start is idempotent).
        try await world.fake.fault(["kind": "error", "method": "POST", "path": "^/upload/v1/files$", "status": 503])
        let turn = try await world.object([
            "generate", "restyle", "--ref", big + ":big", "--resolution", "360p", "--duration", "3",
        ])
        let requests = try await world.fake.requests()
        let starts = requests.filter { $0.path == "/upload/v1/files" && $0.query["upload_id"] == nil }
        #expect(starts.map(\.status) == [503, 200], "\(starts)")
        let uploads =
            Array(starts.suffix(1)) + requests.filter { $0.path == "/upload/v1/files" && $0.query["upload_id"] != nil }
        try #require(uploads.count >= 2, "\(requests)")
        let start = uploads[0]
        #expect(start.header("X-Goog-Upload-Protocol") == "resumable")
        #expect(start.header("X-Goog-Upload-Command") == "start")
        #expect(start.header("X-Goog-Upload-Header-Content-Length") == String(size))
        #expect(start.header("X-Goog-Upload-Header-Content-Type") == "video/mp4")
        #expect(((start.jsonObject["file"] as? [String: Any])?["display_name"] as? String) == "big")
        let chunks = Array(uploads.dropFirst())
        var offset: Int64 = 0
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.header("X-Goog-Upload-Offset") == String(offset), "\(chunk.headers)")
            let last = index == chunks.count - 1
            #expect(chunk.header("X-Goog-Upload-Command") == (last ? "upload, finalize" : "upload"), "\(chunk.headers)")
            #expect(chunk.status == 200)
            offset += Int64(chunk.bodyBytes)
        }
        #expect(offset == size, "chunks add up to \(offset) of \(size) bytes")

        let creates = requests.filter(\.isCreate)
        try #require(creates.count == 1)
        #expect(creates[0].status == 200, "the file was ACTIVE before it was referenced: \(creates[0])")
        // The client looked at the file until it was ACTIVE (two PROCESSING answers first), before the create.
        let looks = requests.filter { $0.method == "GET" && $0.path.hasPrefix("/v1/files/") && $0.seq < creates[0].seq }
        #expect(looks.count >= 3, "\(looks)")
        #expect(!requests.contains { $0.path == "/upload/v1/files" && $0.status == 400 }, "chunks obey the granularity")
        let part = try #require(createInputParts(creates[0]).first)
        #expect(part["type"] as? String == "video")
        #expect(part["mime_type"] as? String == "video/mp4")
        #expect(part["data"] == nil, "a large reference must not be inlined")
        let uri = try #require(part["uri"] as? String)
        // The server has that file, with the clip's bytes.
        let fileID = try #require(uri.split(separator: "/").last.map { String($0.split(separator: ":")[0]) })
        let (status, body) = try await world.fake.api("GET", "/v1/files/\(fileID)")
        #expect(status == 200)
        let file = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        #expect(file["uri"] as? String == uri.replacingOccurrences(of: ":download?alt=media", with: ""))
        #expect(file["source"] as? String == "UPLOADED")
        #expect(JSONNumbers.int64(file["sizeBytes"]) == size)
        let hash = Data(base64Encoded: file["sha256Hash"] as? String ?? "").map { String(decoding: $0, as: UTF8.self) }
        #expect(hash == bigID)
        #expect((turn["inputs"] as? [[String: Any]])?.first?["asset"] as? String == bigID)
        #expect((turn["inputs"] as? [[String: Any]])?.first?["name"] as? String == "big")
    }

    @Test("an installed copy of the binary, with nothing beside it, still prices and validates")
    func installedCopy() async throws {
        let dir = try TemporaryDirectory("gen-installed")
        let bin = try dir.makeDirectory("bin")
        let installed = bin + "/omnistore"
        try FileManager.default.copyItem(atPath: try OmnistoreCLI.binary(), toPath: installed)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bin) == ["omnistore"])
        let ws = try dir.makeDirectory("work")
        let env = [
            "GOOGLE_API_KEY": "", "GEMINI_API_KEY": "", "OMNISTORE_PRICING": "",
            "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:9",
        ]
        func run(_ arguments: [String]) async throws -> ProcessResult {
            try await RunningProcess.run(installed, arguments, in: ws, environment: env)
        }
        #expect(try await run(["init"]).succeeded)
        let pricing = try PricingOracle()
        for (resolution, seconds) in [("720p", 8), ("360p", 3), ("1080p", 4), ("4k", 10)] {
            let result = try await run([
                "generate", "x", "--resolution", resolution, "--duration", String(seconds), "--dry-run", "--json",
            ])
            #expect(result.succeeded, "\(result)")
            let json = try JSONText.object(result.stdout)
            #expect(
                JSONNumbers.double(json["estimate_usd"]).map {
                    abs($0 - pricing.estimate(resolution, seconds: seconds)) < 1e-9
                } == true, "\(resolution): \(json)")
            #expect(json["estimate_labelled"] as? Bool == pricing.estimated.contains(resolution), "\(resolution)")
        }
        let limits = try repoResourceJSON("model-limits.json")["gemini-omni-1.1-flash"] as? [String: Any] ?? [:]
        let maxSeconds = JSONNumbers.int((limits["duration_seconds"] as? [String: Any])?["max"]) ?? -1
        let tooLong = try await run(["generate", "x", "--duration", String(maxSeconds + 1), "--dry-run"])
        #expect(tooLong.failedCleanly && tooLong.stderr.contains("\(maxSeconds)"), "\(tooLong)")
        let overBudget = try await run(["generate", "x", "--max-cost", "0.5", "--dry-run"])
        #expect(overBudget.failedCleanly, "\(overBudget)")
        #expect(try await run(["generate", "x", "--model", "gemini-omni-1.1-flash", "--dry-run"]).succeeded)
    }

    @Test(
        "the tables compiled into the binary are Resources/pricing.json and Resources/model-limits.json, byte for byte")
    func embeddedTablesMatchResources() async throws {
        let binary = try #require(fileBytes(try OmnistoreCLI.binary()))
        for name in ["pricing.json", "model-limits.json"] {
            var source = try repoResourceBytes(name)
            while source.last == 0x0A { source.removeLast() }
            #expect(!source.isEmpty)
            #expect(binary.range(of: source) != nil, "the binary does not embed Resources/\(name) as it is")
        }
    }
}
