import Foundation
import TestSupport
import Testing

/// Server and network faults, injected with the fake's admin API.
@Suite struct GenerationFaults {
    private static let generate = ["generate", "a lantern over a harbor", "--resolution", "360p", "--duration", "3"]

    /// The GETs of one interaction, in order.
    private func polls(_ world: GenerationWorld, _ id: String?) async throws -> [FakeAPI.Request] {
        try await world.fake.requests().filter { $0.method == "GET" && $0.path == "/v1/interactions/\(id ?? "-")" }
    }

    @Test("429 with Retry-After on a poll: the CLI waits as told, retries, and lands the turn")
    func rateLimitedPoll() async throws {
        let world = try await GenerationWorld.make("gen-fault-429-get")
        try await world.fake.fault([
            "kind": "rate_limit", "method": "GET", "path": "^/v1/interactions/", "retry_after": 1,
        ])
        let result = try await world.run(Self.generate + ["--json"])
        #expect(result.succeeded, "\(result)")
        let turn = try? JSONText.object(result.stdout)
        let gets = try await polls(world, turn.flatMap(turnInteractionID))
        let limited = try await world.fake.requests().filter { $0.fault == "rate_limit" }
        #expect(limited.count == 1 && limited.first?.status == 429, "\(limited)")
        if let hit = limited.first,
            let retry = try await world.fake.requests().first(where: { $0.seq > hit.seq && $0.method == "GET" })
        {
            #expect(retry.time - hit.time >= 0.9, "Retry-After: 1 was not honoured (\(retry.time - hit.time) s)")
        }
        #expect(gets.last?.status == 200, "\(gets)")
        #expect(try await world.fake.creates().count == 1)
        #expect(try await world.allTurns().count == 1)
        #expect(try await world.pending().isEmpty)
    }

    @Test("500 on polls: retried, and the turn lands")
    func serverErrorPoll() async throws {
        let world = try await GenerationWorld.make("gen-fault-500-get")
        try await world.fake.fault(["kind": "server_error", "method": "GET", "path": "^/v1/interactions/", "count": 2])
        let result = try await world.run(Self.generate + ["--json"])
        #expect(result.succeeded, "\(result)")
        let faulted = try await world.fake.requests().filter { $0.fault == "server_error" }
        #expect(faulted.count == 2 && faulted.allSatisfy { $0.status == 500 }, "\(faulted)")
        #expect(try await world.fake.creates().count == 1)
        let turns = try await world.allTurns()
        #expect(turns.count == 1)
        if let output = turns.first?["output"] as? String {
            try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
        }
        #expect(try await world.pending().isEmpty)
    }

    @Test("a connection dropped mid-download (1080p, uri delivery) is resumed with Range and the bytes are right")
    func droppedDownload() async throws {
        let world = try await GenerationWorld.make("gen-fault-drop")
        try await world.fake.fault(["kind": "drop", "method": "GET", "path": ":download$", "after_bytes": 50_000])
        let turn = try await world.object(["generate", "a red kite", "--resolution", "1080p", "--duration", "3"])
        let create = try #require(try await world.fake.creates().first)
        #expect((create.jsonObject["response_format"] as? [String: Any])?["delivery"] as? String == "uri")
        #expect((turn["settings"] as? [String: Any])?["delivery"] as? String == "uri")
        let downloads = try await world.fake.requests().filter { $0.path.hasSuffix(":download") }
        try #require(downloads.count == 2, "\(downloads)")
        #expect(downloads[0].fault == "drop")
        #expect(downloads[0].header("Range") == nil)
        #expect(downloads[1].header("Range") == "bytes=50000-", "\(downloads[1].headers)")
        #expect(downloads[1].status == 206)
        #expect(downloads.allSatisfy { $0.header("x-goog-api-key") == "REDACTED" })
        // The bytes: what the server holds for that file, what was stored, and the id agree.
        let output = try #require(turn["output"] as? String)
        let fileID = String(downloads[0].path.split(separator: "/").last?.split(separator: ":").first ?? "")
        let (status, body) = try await world.fake.api("GET", "/v1/files/\(fileID)")
        #expect(status == 200)
        let file = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        let served = Data(base64Encoded: file["sha256Hash"] as? String ?? "").map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(served == output, "server's sha256 \(String(describing: served)) vs stored \(output)")
        #expect(
            JSONNumbers.int64(file["sizeBytes"]) == Int64(fileBytes(world.ws.files.objectPath(output))?.count ?? -1))
        try await expectRealMP4(world.ws, asset: output, width: 1920, height: 1080, seconds: 3)
    }

    @Test("slow responses (a delayed create and delayed polls) still end in one turn")
    func slowResponses() async throws {
        let world = try await GenerationWorld.make("gen-fault-slow")
        try await world.fake.fault([
            "kind": "delay", "method": "POST", "path": "^/v1/interactions$", "delay_seconds": 1.5,
        ])
        try await world.fake.fault([
            "kind": "delay", "method": "GET", "path": "^/v1/interactions/", "delay_seconds": 1.0, "count": 2,
        ])
        let started = Date()
        let result = try await world.run(Self.generate + ["--json"])
        #expect(result.succeeded, "\(result)")
        #expect(Date().timeIntervalSince(started) >= 3.4)
        let delayed = try await world.fake.requests().filter { $0.fault == "delay" }
        #expect(delayed.count == 3 && delayed.allSatisfy { $0.status == 200 }, "\(delayed)")
        #expect(try await world.fake.creates().count == 1)
        #expect(try await world.fake.interactions().count == 1)
        #expect(try await world.allTurns().count == 1)
    }

    @Test("429 on the create: sent again after Retry-After, and exactly one interaction exists")
    func rateLimitedCreate() async throws {
        let world = try await GenerationWorld.make("gen-fault-429-create")
        try await world.fake.fault([
            "kind": "rate_limit", "method": "POST", "path": "^/v1/interactions$", "retry_after": 1,
        ])
        let turn = try await world.object(Self.generate)
        let creates = try await world.fake.creates()
        try #require(creates.count == 2, "\(creates)")
        #expect(creates[0].status == 429 && creates[0].fault == "rate_limit")
        #expect(creates[1].status == 200)
        #expect(creates[1].time - creates[0].time >= 0.9, "Retry-After: 1 was not honoured")
        let server = try await world.fake.interactions()
        #expect(server.count == 1)
        #expect(server.first?["id"] as? String == turnInteractionID(turn))
        #expect(try await world.allTurns().count == 1)
    }

    @Test("a create that fails (not 429) is never re-sent blindly")
    func serverErrorCreate() async throws {
        let world = try await GenerationWorld.make("gen-fault-500-create")
        try await world.fake.fault(["kind": "server_error", "method": "POST", "path": "^/v1/interactions$"])
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        #expect(errorLinesOf(result).count == 1, "\(result)")
        #expect(result.stderr.contains("An internal error has occurred"), "\(result)")
        #expect(try await world.fake.creates().count == 1)
        #expect(try await world.allTurns().isEmpty)
        #expect(try await world.pending().isEmpty)
    }

    @Test(
        "a safety block: non-zero exit, one error line with the server's text, a failed attempt, no turn, working file untouched"
    )
    func safetyBlock() async throws {
        let world = try await GenerationWorld.make("gen-fault-safety")
        let first = try await world.object(Self.generate)
        let clip = world.ws.file("clip.mp4")
        let before = try await SHA256Sum.hash(clip)
        #expect(before == first["output"] as? String)
        try await world.fake.outcome("safety")

        let result = try await world.run(["edit", "make it spooky"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        let errors = errorLinesOf(result)
        #expect(errors.count == 1, "\(result)")
        #expect(
            errors.first?.contains("The generation was blocked because the request may violate the safety policy")
                == true,
            "\(result)")
        let creates = try await world.fake.creates()
        #expect(creates.count == 2)
        let blockedID =
            try await world.fake.interactions().map { $0["id"] as? String }.first { $0 != turnInteractionID(first) }
            ?? nil

        let attempts = try await world.attempts()
        #expect(attempts.count == 1, "\(attempts)")
        #expect(attempts.first?["interaction"] as? String == blockedID)
        #expect(attempts.first?["status"] as? String == "failed")
        #expect(attempts.first?["error_code"] as? String == "safety")
        #expect(attempts.first?["parent"] as? String == first["id"] as? String)
        #expect((attempts.first?["message"] as? String)?.contains("blocked") == true)
        #expect(try await world.allTurns().map { $0["id"] as? String } == [first["id"] as? String])
        #expect(try await world.pending().isEmpty)
        #expect(try await SHA256Sum.hash(clip) == before)
        #expect(try await world.object(["status"])["head"] as? String == first["id"] as? String)
    }

    @Test("completed without a video: reported as a failure with the model's text, no turn")
    func completedWithoutVideo() async throws {
        let world = try await GenerationWorld.make("gen-fault-novideo")
        try await world.fake.outcome("novideo")
        let result = try await world.run(Self.generate)
        #expect(result.failedCleanly, "\(result)")
        let errors = errorLinesOf(result)
        #expect(errors.count == 1, "\(result)")
        #expect(errors.first?.contains("I can't generate or edit this video in your region") == true, "\(result)")
        #expect(try await world.allTurns().isEmpty)
        #expect(try await world.pending().isEmpty)
        let attempts = try await world.attempts()
        #expect(attempts.count == 1)
        #expect(attempts.first?["status"] as? String == "completed")
        #expect(world.ws.files.objectIDs().isEmpty, "no clip was stored")
        #expect(!fileExists(world.ws.file("clip.mp4")))
    }

    @Test("error bodies decode whether code is a string or a number, and say which HTTP status it was")
    func errorShapes() async throws {
        let world = try await GenerationWorld.make("gen-fault-shapes")
        try await world.fake.fault([
            "kind": "error", "method": "POST", "path": "^/v1/interactions$", "status": 400, "code": "invalid_request",
            "message": "Injected string-code failure 7731.",
        ])
        let stringCode = try await world.run(Self.generate)
        #expect(stringCode.failedCleanly, "\(stringCode)")
        #expect(errorLinesOf(stringCode).count == 1, "\(stringCode)")
        #expect(stringCode.stderr.contains("Injected string-code failure 7731."), "\(stringCode)")
        #expect(stringCode.stderr.contains("invalid_request"), "\(stringCode)")
        #expect(stringCode.stderr.contains("HTTP 400"), "the status the server sent: \(stringCode)")

        try await world.fake.fault([
            "kind": "error", "method": "POST", "path": "^/v1/interactions$", "status": 403, "code": 403,
            "message": "Injected number-code failure 4412.",
        ])
        let numberCode = try await world.run(Self.generate)
        #expect(numberCode.failedCleanly, "\(numberCode)")
        #expect(errorLinesOf(numberCode).count == 1, "\(numberCode)")
        #expect(numberCode.stderr.contains("Injected number-code failure 4412."), "\(numberCode)")
        #expect(numberCode.stderr.contains("403"), "\(numberCode)")
        #expect(try await world.allTurns().isEmpty)
        #expect(try await world.pending().isEmpty)
    }
}
