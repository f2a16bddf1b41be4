import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Generations that outlive their command's view of the world: a lost
/// network, a branch that moved, a parent with no server state.
@Suite struct GenerationRecovery {
    @Test("the network goes away while polling: the command fails pointing at resume, and resume lands the turn once")
    func lostNetworkThenResume() async throws {
        let world = try await GenerationWorld.make("gen-lost-network")
        // Every poll gets its connection closed, more times than the client retries.
        try await world.fake.fault(["kind": "close", "method": "GET", "path": "^/v1/interactions/", "count": 100])
        let failed = try await world.run([
            "generate", "a harbor at night", "-b", "night", "--resolution", "360p", "--duration", "3",
        ])
        #expect(failed.failedCleanly, "\(failed)")
        #expect(errorLinesOf(failed).count == 1, "\(failed)")
        #expect(failed.stderr.contains("omnistore resume"), "the error says how to pick the work up: \(failed)")
        let closed = try await world.fake.requests().filter { $0.fault == "close" }
        #expect(closed.count >= 2, "polls are retried after a dropped connection: \(closed)")
        #expect(closed.count < 100, "the client gives up: \(closed.count)")
        try await world.fake.clearFaults()
        let pending = try await world.pending()
        #expect(pending.count == 1, "\(pending)")
        let id = pending.first?["interaction"] as? String
        #expect(try await world.allTurns().isEmpty)

        let resumed = try await world.check(["resume"])
        #expect(resumed.stdout.contains("night"), "the turn lands on the branch the command asked for: \(resumed)")
        let turns = try await world.allTurns()
        #expect(turns.count == 1)
        #expect(turns.first.flatMap(turnInteractionID) == id)
        let branches = try await world.array(["branch"])
        #expect(
            branches.first { $0["name"] as? String == "night" }?["turn"] as? String == turns.first?["id"] as? String,
            "\(branches)")
        #expect(branches.first { $0["current"] as? Bool == true }?["name"] as? String == "night")
        #expect(try await world.fake.creates().count == 1)
        #expect(try await world.pending().isEmpty)
        if let output = turns.first?["output"] as? String {
            try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
        }
    }

    @Test("the branch moves while an edit runs: the edit lands on a side branch and says so; nothing is lost")
    func branchMovedMeanwhile() async throws {
        let world = try await GenerationWorld.make("gen-moved")
        let first = try await world.object(["generate", "a lighthouse", "--resolution", "360p", "--duration", "3"])
        let firstID = try #require(first["id"] as? String)
        // The server holds the edit's create until a recorded clip has moved main.
        try await world.fake.fault(["kind": "hold", "method": "POST", "path": "^/v1/interactions$"])
        let before = try await world.fake.requests().last?.seq ?? 0
        // The hold sends nothing until the record below is done, which on a loaded
        // machine can outlast the default 60 s low-speed window.
        let editing = try world.start(["edit", "make the light warm"], extra: ["OMNISTORE_HTTP_SPEED_TIME": "600"])
        try await world.waitForRequests { $0.isCreate && $0.seq > before }
        let manual = try await Fixtures.copy(.mp4H264AAC, into: world.ws.path, as: "manual.mp4")
        let recorded = try await world.object(["record", manual, "-m", "a hand-made cut"])
        let recordedID = try #require(recorded["id"] as? String)
        #expect(recorded["branch"] as? String == "main")
        try await world.fake.release()

        let result = await editing.wait()
        #expect(result.succeeded, "\(result)")
        // "[main-abcdef1 0123456789ab] edit: $0.10 make the light warm", and a note on stderr.
        let line = result.stdoutLines.first ?? ""
        let side = String(line.dropFirst().prefix { $0 != " " })
        #expect(side.hasPrefix("main-"), "\(result)")
        #expect(result.stderr.contains("note: main moved"), "\(result)")
        #expect(result.stderr.contains("'\(side)'"), "\(result)")
        let edit = try await world.object(["show", side])
        #expect(edit["parents"] as? [String] == [firstID])
        let tips = Dictionary(
            uniqueKeysWithValues: try await world.array(["branch"]).map {
                ($0["name"] as? String ?? "", $0["turn"] as? String ?? "")
            })
        #expect(tips["main"] == recordedID, "main stays where the record put it: \(tips)")
        #expect(tips[side] == edit["id"] as? String)
        #expect(try await world.allTurns().count == 3)
        #expect(try await world.pending().isEmpty)
        // The hand-made clip in the working file was not overwritten by the side turn.
        #expect(try await SHA256Sum.hash(world.ws.file("clip.mp4")) == recorded["output"] as? String)
    }

    @Test("editing a recorded clip (no server state) sends the clip itself, with task edit")
    func editRecordedClip() async throws {
        let world = try await GenerationWorld.make("gen-edit-recorded")
        let shot = try await makeTestClip(world.ws.file("shot.mp4"), seconds: 4, size: "320x180", rate: 24, tone: 440)
        let shotID = try await SHA256Sum.hash(shot)
        let recorded = try await world.object(["record", shot, "-m", "first cut", "--set", "resolution=360p"])
        let turn = try await world.object(["edit", "make it warm"])
        let create = try #require(try await world.fake.creates().first)
        #expect(create.jsonObject["previous_interaction_id"] == nil)
        let parts = createInputParts(create)
        #expect(parts.first?["type"] as? String == "video")
        let data = try #require(Data(base64Encoded: parts.first?["data"] as? String ?? ""))
        #expect(try await sha256Digest(of: data) == shotID)
        let config = create.jsonObject["generation_config"] as? [String: Any] ?? [:]
        #expect((config["video_config"] as? [String: Any])?["task"] as? String == "edit")
        // The edit keeps the source's length (4 s) and the recorded resolution.
        let format = create.jsonObject["response_format"] as? [String: Any] ?? [:]
        #expect(format["duration"] as? String == "4s", "\(format)")
        #expect(format["resolution"] as? String == "360p", "\(format)")
        #expect((turn["interaction"] as? [String: Any])?["rehydrated"] as? Bool == true)
        #expect(turn["parents"] as? [String] == [recorded["id"] as? String ?? ""])
        let output = try #require(turn["output"] as? String)
        try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 4)
    }

    @Test("an edit keeps the source's aspect and length unless told; flags override them")
    func editInheritsFormat() async throws {
        let world = try await GenerationWorld.make("gen-inherit")
        _ = try await world.object([
            "generate", "a tall waterfall", "--aspect", "9:16", "--resolution", "360p", "--duration", "4",
        ])
        let kept = try await world.object(["edit", "add mist"])
        let changed = try await world.object(["edit", "add a rainbow", "--duration", "3", "--aspect", "16:9"])
        let creates = try await world.fake.creates()
        try #require(creates.count == 3)
        let formats = creates.map { $0.jsonObject["response_format"] as? [String: Any] ?? [:] }
        #expect(
            formats[1]["aspect_ratio"] as? String == "9:16" && formats[1]["duration"] as? String == "4s",
            "\(formats[1])")
        #expect(
            formats[2]["aspect_ratio"] as? String == "16:9" && formats[2]["duration"] as? String == "3s",
            "\(formats[2])")
        #expect(formats.allSatisfy { $0["resolution"] as? String == "360p" })
        try await expectRealMP4(world.ws, asset: kept["output"] as? String ?? "", width: 360, height: 640, seconds: 4)
        try await expectRealMP4(
            world.ws, asset: changed["output"] as? String ?? "", width: 640, height: 360, seconds: 3)
        #expect((kept["settings"] as? [String: Any])?["aspect_ratio"] as? String == "9:16")
        #expect(JSONNumbers.int((changed["settings"] as? [String: Any])?["duration"]) == 3)
    }

    @Test("uri delivery follows the download's redirect to a signed URL and stores the right bytes")
    func downloadRedirect() async throws {
        let world = try await GenerationWorld.make("gen-redirect", fakeOptions: ["--download-redirect"])
        let turn = try await world.object(["generate", "a red kite", "--resolution", "1080p", "--duration", "3"])
        let requests = try await world.fake.requests()
        let download = try #require(requests.first { $0.path.hasSuffix(":download") })
        #expect(download.status == 302)
        let media = try #require(requests.first { $0.path.hasPrefix("/_fake_media/") })
        #expect(media.status == 200)
        let output = try #require(turn["output"] as? String)
        let fileID = String(download.path.split(separator: "/").last?.split(separator: ":").first ?? "")
        let (_, body) = try await world.fake.api("GET", "/v1/files/\(fileID)")
        let file = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        #expect(
            Data(base64Encoded: file["sha256Hash"] as? String ?? "").map { String(decoding: $0, as: UTF8.self) }
                == output)
        try await expectRealMP4(world.ws, asset: output, width: 1920, height: 1080, seconds: 3)
    }
}
