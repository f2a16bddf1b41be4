import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// "Nothing paid for is lost": a generation stopped while it polls can be
/// finished (exactly once) or cancelled.
@Suite struct GenerationInterrupt {
    /// Starts a generate that keeps polling (the fake holds it queued), and
    /// returns it with the interaction id once it has polled twice.
    private func startPolling(_ world: GenerationWorld, _ arguments: [String]) async throws -> (RunningProcess, String)
    {
        let process = try world.start(arguments)
        let gets = try await world.waitForRequests(count: 2) {
            $0.method == "GET" && $0.path.hasPrefix("/v1/interactions/")
        }
        let id = String(gets[0].path.dropFirst("/v1/interactions/".count))
        #expect(!process.hasFinished, "the command ended before it was interrupted")
        return (process, id)
    }

    @Test("SIGKILL while polling, then resume: the turn lands exactly once and resume has nothing left")
    func killThenResume() async throws {
        let world = try await GenerationWorld.make("gen-kill", fakeOptions: ["--polls-per-status", "100000"])
        let (process, id) = try await startPolling(
            world, ["generate", "a red kite over dunes", "-b", "kite", "--resolution", "360p", "--duration", "3"])
        process.send(SIGKILL)
        let killed = await process.wait()
        #expect(killed.signaled && killed.exitCode == SIGKILL, "\(killed)")
        #expect(killed.stderr.contains(id), "the id is on screen before polling starts: \(killed)")

        let pending = try await world.pending()
        #expect(pending.map { $0["interaction"] as? String } == [id])
        #expect(pending.first?["kind"] as? String == "generate")
        #expect(try await world.allTurns().isEmpty)

        // The server finishes; resume picks the interaction up without creating another.
        try await world.fake.configure(["polls_per_status": 1])
        let resumed = try await world.check(["resume", "--json"])
        let landed = try JSONText.object(resumed.stdout)
        #expect(turnInteractionID(landed) == id, "\(resumed)")
        let turns = try await world.allTurns()
        #expect(turns.filter { turnInteractionID($0) == id }.count == 1, "\(turns)")
        #expect(turns.count == 1)
        #expect(turns.first?["kind"] as? String == "generate")
        #expect(turns.first?["instruction"] as? String == "a red kite over dunes")
        let output = try #require(turns.first?["output"] as? String)
        try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
        #expect(try await world.pending().isEmpty)
        #expect(try await world.fake.creates().count == 1)
        let status = try await world.object(["status"])
        #expect(status["head"] as? String == turns.first?["id"] as? String, "\(status)")
        #expect(status["branch"] as? String == "kite", "the branch the killed command asked for: \(status)")
        #expect((status["workfile"] as? [String: Any])?["sha256"] as? String == output, "\(status)")

        // Resume again: nothing to do, nothing asked of the server, no second turn.
        let before = try await world.fake.requests().last?.seq ?? 0
        let again = try await world.check(["resume"])
        #expect(again.stdout.contains("nothing to resume"), "\(again)")
        #expect(try await world.fake.requests(since: before).isEmpty)
        let againJSON = try await world.json(["resume"])
        #expect((againJSON as? [Any])?.isEmpty == true, "\(againJSON)")
        #expect(try await world.allTurns().count == 1)
        // Resuming that id by name now says it is not pending.
        let named = try await world.run(["resume", id])
        #expect(named.failedCleanly, "\(named)")
        #expect(try await world.allTurns().count == 1)
    }

    @Test(
        "resume in another terminal while generate is still downloading: one turn, and generate notes it was already recorded"
    )
    func resumeWhileDownloading() async throws {
        let world = try await GenerationWorld.make("gen-resume-overlap")
        // The server holds generate's download (uri delivery) until resume is done.
        try await world.fake.fault(["kind": "hold", "method": "GET", "path": ":download$"])
        // Resume runs while generate waits: on a loaded machine that can take
        // longer than start()'s default timeout of 60 s.
        let generating = try world.start(
            ["generate", "a kite at noon", "--resolution", "1080p", "--duration", "3"], timeout: 300)
        try await world.waitForRequests { $0.path.hasSuffix(":download") }
        let resumed = try await world.run(["resume"])
        #expect(resumed.succeeded, "\(resumed)")
        try await world.fake.release()
        let generated = await generating.wait()
        let id = try await world.fake.creates().count == 1 ? world.fake.interactions().first?["id"] as? String : nil

        // generate still succeeds: its paid clip is in the store, recorded once, and it says so.
        #expect(generated.succeeded, "\(generated)")
        #expect(generated.stderr.contains("already recorded"), "\(generated)")
        let turns = try await world.allTurns()
        #expect(turns.count == 1 && turns.first.flatMap(turnInteractionID) == id, "\(turns.count) turns")
        #expect(try await world.attempts().isEmpty)
        #expect(try await world.pending().isEmpty)
        if let output = turns.first?["output"] as? String {
            try await expectRealMP4(world.ws, asset: output, width: 1920, height: 1080, seconds: 3)
        }
        #expect(
            listTree(world.ws.files.storeDirectory + "/tmp").isEmpty,
            "\(listTree(world.ws.files.storeDirectory + "/tmp"))")
    }

    @Test(
        "four resumes at once: the turn lands exactly once, no failure is recorded, the others say it was already recorded"
    )
    func concurrentResumes() async throws {
        let world = try await GenerationWorld.make("gen-resume-race", fakeOptions: ["--polls-per-status", "100000"])
        // The race is in the download-and-store window, so it is tried several times.
        for round in 0..<8 {
            try await world.fake.configure(["polls_per_status": 100_000])
            let (process, id) = try await startPolling(
                world, ["generate", "round \(round)", "-b", "round\(round)", "--resolution", "360p", "--duration", "3"])
            process.send(SIGKILL)
            _ = await process.wait()
            try await world.fake.configure(["polls_per_status": 1])
            let resumes = try (0..<4).map { _ in
                try OmnistoreCLI.start(["resume"], in: world.ws.path, environment: world.environment, timeout: 60)
            }
            var results: [ProcessResult] = []
            for resume in resumes { results.append(await resume.wait()) }

            let landed = try await world.allTurns().filter { turnInteractionID($0) == id }
            let attempts = try await world.attempts().filter { $0["interaction"] as? String == id }
            let succeeded = results.filter(\.succeeded)
            let unexpected = results.filter { !$0.succeeded }.filter { result in
                !errorLinesOf(result).allSatisfy {
                    $0.contains("already recorded") || $0.contains("no pending interaction")
                }
                    || !result.failedCleanly
            }
            #expect(landed.count == 1, "round \(round): \(landed.count) turns for \(id)\n\(results)")
            #expect(attempts.isEmpty, "round \(round): a landed generation was also recorded as failed: \(attempts)")
            #expect(succeeded.count >= 1, "round \(round): \(results)")
            #expect(unexpected.isEmpty, "round \(round): \(unexpected)")
            #expect(try await world.pending().isEmpty)
            if landed.count != 1 || !attempts.isEmpty || !unexpected.isEmpty { break }
        }
        #expect(try await world.fake.creates().count <= 5, "resume never creates")
    }

    @Test(
        "Ctrl-C while polling exits 130 and says how to resume or cancel; cancel stops it on the server and records it")
    func interruptThenCancel() async throws {
        let world = try await GenerationWorld.make("gen-sigint", fakeOptions: ["--polls-per-status", "100000"])
        let (process, id) = try await startPolling(
            world, ["generate", "a paper boat in the rain", "--resolution", "360p", "--duration", "3"])
        process.send(SIGINT)
        let interrupted = await process.wait()
        #expect(!interrupted.signaled && interrupted.exitCode == 130, "\(interrupted)")
        #expect(interrupted.stderr.contains("omnistore resume \(id)"), "\(interrupted)")
        #expect(interrupted.stderr.contains("omnistore cancel \(id)"), "\(interrupted)")
        #expect(interrupted.stdout.isEmpty, "\(interrupted)")

        let pending = try await world.pending()
        #expect(pending.map { $0["interaction"] as? String } == [id], "\(pending)")
        #expect(try await world.allTurns().isEmpty)

        let cancelled = try await world.check(["cancel", id])
        #expect(cancelled.stdout.contains(id), "\(cancelled)")
        let cancels = try await world.fake.requests().filter {
            $0.method == "POST" && $0.path == "/v1/interactions/\(id)/cancel"
        }
        #expect(cancels.count == 1, "\(cancels)")
        #expect(cancels.first?.status == 200)
        let serverSide = try await world.fake.interactions().first { $0["id"] as? String == id }
        #expect(serverSide?["cancelled"] as? Bool == true, "\(String(describing: serverSide))")

        let log = try await world.object(["log", "--all", "--attempts"])
        #expect((log["turns"] as? [Any])?.isEmpty == true)
        let attempts = log["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.count == 1, "\(attempts)")
        #expect(attempts.first?["interaction"] as? String == id)
        #expect(attempts.first?["status"] as? String == "cancelled")
        #expect(attempts.first?["kind"] as? String == "generate")
        #expect(attempts.first?["instruction"] as? String == "a paper boat in the rain")
        #expect(try await world.pending().isEmpty)
        let human = try await world.check(["log", "--attempts"])
        #expect(human.stdout.contains(id) && human.stdout.contains("cancelled"), "\(human)")
        // Nothing left to resume, and cancelling twice is refused.
        #expect(try await world.check(["resume"]).stdout.contains("nothing to resume"))
        let twice = try await world.run(["cancel", id])
        #expect(twice.failedCleanly && errorLinesOf(twice).count == 1, "\(twice)")
    }
}
