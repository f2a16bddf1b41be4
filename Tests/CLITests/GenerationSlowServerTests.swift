import Foundation
import TestSupport
import Testing

/// A server that answers too slowly or too much: every exchange has a
/// deadline and a low-speed limit, a reply has a size cap, and Ctrl-C stops
/// a transfer within a second.
@Suite struct GenerationSlowServer {
    private static let generate = ["generate", "a lighthouse at dusk", "--resolution", "360p", "--duration", "3"]
    /// The GET of an interaction (the poll), not the create or a download.
    private static let pollPath = "^/v1/interactions/[^/]+$"

    private func scratch(_ world: GenerationWorld) -> [String] {
        listTree(world.ws.files.storeDirectory + "/tmp")
    }

    @Test(
        "a poll answered one byte every 0.5 s fails within the OMNISTORE_HTTP_MAX_TIME deadline; the interaction stays pending"
    )
    func tricklingPollHitsDeadline() async throws {
        let world = try await GenerationWorld.make("gen-slow-deadline")
        try await world.fake.fault(["kind": "trickle", "method": "GET", "path": Self.pollPath, "count": 50])
        let started = Date()
        let result = try await OmnistoreCLI.run(
            Self.generate, in: world.ws.path,
            environment: world.environment.merging(["OMNISTORE_HTTP_MAX_TIME": "2"]) { $1 }, timeout: 90)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("OMNISTORE_HTTP_MAX_TIME"), "the error says which limit to raise: \(result)")
        // Five tries of 2 s each, with their backoff (and a loaded machine):
        // far from the 100+ s a trickle used to hold.
        #expect(elapsed < 60, "took \(elapsed) s")
        #expect(try await world.pending().count == 1)
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
    }

    @Test("a poll slower than OMNISTORE_HTTP_SPEED_LIMIT for OMNISTORE_HTTP_SPEED_TIME is abandoned")
    func tricklingPollHitsSpeedLimit() async throws {
        let world = try await GenerationWorld.make("gen-slow-speed")
        try await world.fake.fault(["kind": "trickle", "method": "GET", "path": Self.pollPath, "count": 50])
        let started = Date()
        let result = try await OmnistoreCLI.run(
            Self.generate, in: world.ws.path,
            environment: world.environment.merging([
                "OMNISTORE_HTTP_SPEED_LIMIT": "100", "OMNISTORE_HTTP_SPEED_TIME": "1",
            ]) { $1 },
            timeout: 90)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.failedCleanly, "\(result)")
        #expect(elapsed < 60, "took \(elapsed) s")
        #expect(try await world.pending().count == 1)
    }

    @Test("an invalid OMNISTORE_HTTP_MAX_TIME is refused with one line before any request")
    func invalidLimitRefused() async throws {
        let world = try await GenerationWorld.make("gen-slow-invalid")
        let result = try await world.run(Self.generate, extra: ["OMNISTORE_HTTP_MAX_TIME": "soon"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.contains("OMNISTORE_HTTP_MAX_TIME"), "\(result)")
        #expect(try await world.fake.creates().isEmpty)
    }

    @Test("Ctrl-C during a trickling poll stops within a second, exits 130 and leaves the interaction pending")
    func interruptDuringSlowPoll() async throws {
        let world = try await GenerationWorld.make("gen-slow-sigint")
        try await world.fake.fault(["kind": "trickle", "method": "GET", "path": Self.pollPath, "count": 50])
        let process = try world.start(Self.generate, timeout: 120)
        try await world.waitForRequests(timeout: 30) { $0.method == "GET" && $0.fault == "trickle" }
        try await Task.sleep(for: .milliseconds(700))
        let signalled = Date()
        process.send(SIGINT)
        let result = await process.wait()
        let stopIn = (process.endedAt ?? Date()).timeIntervalSince(signalled)
        #expect(!result.signaled && result.exitCode == 130, "\(result)")
        #expect(stopIn < 1.5, "stopped \(stopIn) s after Ctrl-C")
        #expect(result.stderr.contains("omnistore resume"), "\(result)")
        #expect(try await world.pending().count == 1)
    }

    @Test(
        "Ctrl-C while the create waits for its reply stops within a second and keeps the request as 'sent, no reply: may be billed'"
    )
    func interruptDuringCreate() async throws {
        let world = try await GenerationWorld.make("gen-slow-sigint-create")
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        // No low-speed limit: on a loaded machine this test may only get to
        // send its Ctrl-C after the default limit would have ended the wait.
        let process = try world.start(Self.generate, extra: ["OMNISTORE_HTTP_SPEED_TIME": "600"], timeout: 120)
        try await world.waitForRequests(timeout: 30) { $0.isCreate }
        try await Task.sleep(for: .milliseconds(300))
        let signalled = Date()
        process.send(SIGINT)
        let result = await process.wait()
        let stopIn = (process.endedAt ?? Date()).timeIntervalSince(signalled)
        try await world.fake.release()
        #expect(!result.signaled && result.exitCode == 130, "\(result)")
        #expect(stopIn < 1.5, "stopped \(stopIn) s after Ctrl-C")
        #expect(result.stderr.contains("may") && result.stderr.contains("billed"), "\(result)")

        let attempts = try await world.attempts()
        #expect(attempts.count == 1 && attempts.first?["status"] as? String == "no_reply", "\(attempts)")
        #expect((attempts.first?["instruction"] as? String) == "a lighthouse at dusk", "\(attempts)")
        // The rebuild from files keeps it once: not lost, not doubled.
        try await world.check(["fsck", "--rebuild-index"])
        let rebuilt = try await world.attempts()
        #expect(rebuilt.filter { $0["status"] as? String == "no_reply" }.count == 1, "\(rebuilt)")
    }

    @Test("a create whose reply never comes fails at the low-speed limit, says it may be billed, and status lists it")
    func createWithoutReplyIsKept() async throws {
        let world = try await GenerationWorld.make("gen-slow-create-timeout")
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        let result = try await world.run(Self.generate, extra: ["OMNISTORE_HTTP_SPEED_TIME": "1"])
        try await world.fake.release()
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("may have started and be billed"), "\(result)")
        #expect(try await world.fake.creates().count == 1, "sent once, never again")
        let status = try await world.check(["status"])
        #expect(status.stdout.contains("sent, no reply: may be billed"), "\(status)")
    }

    @Test(
        "a poll reply padded to 1 GiB stops at the reply cap (JSON plus this clip inline), with nothing left in the scratch folder"
    )
    func bloatedReplyIsCapped() async throws {
        let world = try await GenerationWorld.make("gen-slow-bloat")
        try await world.fake.fault([
            "kind": "bloat", "method": "GET", "path": Self.pollPath, "count": 50, "bloat_bytes": 1 << 30,
        ])
        let result = try await world.run(Self.generate, extra: ["OMNISTORE_MAX_DOWNLOAD_BYTES": "3000000"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderr.contains("larger than"), "\(result)")
        #expect(try await world.pending().count == 1)
        #expect(scratch(world).isEmpty, "left behind: \(scratch(world))")
    }
}
