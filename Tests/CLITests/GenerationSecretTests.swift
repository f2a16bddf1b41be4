import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The API key is sent to the API and written nowhere else.
@Suite struct GenerationSecrets {
    /// Every file under `directory` (recursively) whose bytes contain `key`.
    private func filesContaining(_ key: String, under directory: String) -> [String] {
        listTree(directory).compactMap { relative in
            let path = directory + "/" + relative
            guard let info = fileStatus(path), (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            return fileBytes(path).map { dataContains($0, key) ? relative : nil } ?? nil
        }
    }

    @Test("the key is in no file of the store (db, WAL, objects, tmp) and in no output of any command, errors included")
    func keyNeverWritten() async throws {
        let key = FakeAPI.distinctiveKey()
        let world = try await GenerationWorld.make("gen-secret", apiKey: key)
        var outputs: [ProcessResult] = []
        func run(_ arguments: [String], extra: [String: String] = [:]) async throws -> ProcessResult {
            let result = try await world.run(arguments, extra: extra)
            outputs.append(result)
            return result
        }
        #expect(
            try await run(["generate", "a lantern", "-b", "lantern", "--resolution", "360p", "--duration", "3"])
                .succeeded)
        #expect(try await run(["edit", "make it warm", "--json"]).succeeded)
        #expect(try await run(["generate", "a kite", "-b", "kite", "--dry-run"]).succeeded)
        #expect(try await run(["generate", "a kite", "-b", "kite", "--dry-run", "--json"]).succeeded)
        #expect(try await run(["edit", "make it blue", "--dry-run", "--json"]).succeeded)
        let image = try await Fixtures.copy(.png, into: world.ws.path)
        #expect(try await run(["edit", "add the logo", "--ref", image, "--dry-run"]).succeeded)
        // Errors: refused locally, refused by the server, blocked, a failed poll, a wrong key, no server at all.
        #expect(try await run(["generate", "x", "--duration", "2", "-b", "x1"]).failedCleanly)
        #expect(try await run(["generate", "x", "--max-cost", "0.01", "-b", "x2"]).failedCleanly)
        try await world.fake.fault(["kind": "error", "method": "POST", "path": "^/v1/interactions$", "status": 400])
        #expect(try await run(["edit", "make it red"]).failedCleanly)
        try await world.fake.outcome("safety")
        #expect(try await run(["edit", "make it spooky", "--json"]).failedCleanly)
        try await world.fake.fault(["kind": "error", "method": "GET", "path": "^/v1/interactions/", "status": 403])
        #expect(try await run(["edit", "make it green"]).failedCleanly)
        // A different key the server refuses: its text must not be echoed either.
        let otherKey = FakeAPI.distinctiveKey()
        let refused = try await run(["edit", "make it purple"], extra: ["GOOGLE_API_KEY": otherKey])
        #expect(refused.failedCleanly)
        #expect(!(refused.stdout + refused.stderr).contains(otherKey), "\(refused)")

        // While a generation polls, the database is open (WAL and all): nothing holds the key.
        try await world.fake.configure(["polls_per_status": 100_000])
        let since = try await world.fake.requests().last?.seq ?? 0
        // (A generate: the fake's polls_per_status also holds finished parents back.)
        let polling = try world.start([
            "generate", "misty harbor", "-b", "misty", "--resolution", "360p", "--duration", "3",
        ])
        try await world.waitForRequests(count: 2) {
            $0.method == "GET" && $0.status == 200 && $0.path.hasPrefix("/v1/interactions/") && $0.seq > since
        }
        let live = filesContaining(key, under: world.ws.path)
        #expect(live.isEmpty, "the key is in \(live)")
        #expect(
            listTree(world.ws.files.storeDirectory).contains { $0.hasSuffix("-wal") },
            "no WAL while a command runs: \(listTree(world.ws.files.storeDirectory))")
        polling.send(SIGINT)
        let interrupted = await polling.wait()
        #expect(interrupted.exitCode == 130 && !interrupted.signaled, "\(interrupted)")
        outputs.append(interrupted)
        try await world.fake.configure(["polls_per_status": 1])
        #expect(try await run(["resume", "--json"]).succeeded)

        for arguments in [
            ["log", "--all", "--json"], ["log", "--all", "--attempts"], ["show", "HEAD", "--json"],
            ["cost", "--all", "--json"],
            ["resume", "--list", "--json"], ["config", "--list"], ["status", "--json"],
            ["diff", "lantern~1", "lantern"],
        ] {
            #expect(try await run(arguments).succeeded, "\(arguments)")
        }
        // No server at all: a transport error.
        await world.fake.stop()
        #expect(try await run(["edit", "make it gold"]).failedCleanly)

        for result in outputs {
            #expect(!result.stdout.contains(key) && !result.stderr.contains(key), "\(result)")
        }
        let stored = filesContaining(key, under: world.ws.path)
        #expect(stored.isEmpty, "the key is in \(stored)")
        // Not even as the SQLite text of a plan or a message, in any table.
        let dump = try await Tool.check("sqlite3", [world.ws.files.storeDirectory + "/omnistore.db", ".dump"])
        #expect(!dump.stdout.contains(key))
        #expect(dump.stdout.contains("misty harbor"), "the dump is the real database")
    }

    @Test("the key travels only in the x-goog-api-key header, never in a URL")
    func keyOnlyInHeader() async throws {
        let world = try await GenerationWorld.make("gen-secret-header")
        _ = try await world.object(["generate", "a lantern", "--resolution", "360p", "--duration", "3"])
        _ = try await world.object(["edit", "make it warm"])
        let requests = try await world.fake.requests()
        #expect(requests.count >= 6)
        for request in requests {
            // The fake writes REDACTED where the key was; it was sent as a header on every call.
            #expect(request.header("x-goog-api-key") == "REDACTED", "\(request)")
            #expect(request.query["key"] == nil, "\(request)")
            #expect(request.status == 200, "\(request)")
        }
    }
}
