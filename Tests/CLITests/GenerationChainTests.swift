import Foundation
import TestSupport
import Testing

/// Conversational editing end to end: the chain of server states the API
/// received, the graph omnistore recorded, the clips, and what they cost.
@Suite struct GenerationChain {
    @Test(
        "generate, edit, edit, edit --from the first -b alt, edit: previous_interaction_id chain, graph, clips, costs")
    func conversation() async throws {
        let world = try await GenerationWorld.make("gen-chain")
        let first = try await world.object(
            [
                "generate", "a paper lantern drifting over a night harbor", "-b", "lantern", "--resolution", "360p",
                "--duration", "3",
            ])
        let second = try await world.object(["edit", "make the light warm"])
        let third = try await world.object(["edit", "add drifting fog"])
        let firstID = try #require(first["id"] as? String)
        let fourth = try await world.object([
            "edit", "make it cool blue", "--from", String(firstID.prefix(12)), "-b", "alt",
        ])
        let fifth = try await world.object(["edit", "add falling snow"])
        let turns = [first, second, third, fourth, fifth]
        let ids = turns.map { $0["id"] as? String ?? "<none>" }
        let interactions = turns.map { turnInteractionID($0) ?? "<none>" }
        #expect(Set(ids).count == 5 && Set(interactions).count == 5, "\(ids) \(interactions)")
        #expect(first["branch"] as? String == "lantern")
        #expect(third["branch"] as? String == "lantern")
        #expect(fourth["branch"] as? String == "alt")
        #expect(fifth["branch"] as? String == "alt")
        for turn in turns { #expect(turn["side_branch"] is NSNull, "\(turn)") }

        // What the server received: five creates, each continuing the right state.
        let creates = try await world.fake.creates()
        try #require(creates.count == 5, "\(creates)")
        #expect(
            creates.map(createPreviousID) == [nil, interactions[0], interactions[1], interactions[0], interactions[3]])
        let instructions = [
            "a paper lantern drifting over a night harbor", "make the light warm", "add drifting fog",
            "make it cool blue",
            "add falling snow",
        ]
        for (index, create) in creates.enumerated() {
            let body = create.jsonObject
            let parts = createInputParts(create)
            #expect(create.path == "/v1/interactions")
            #expect(create.status == 200)
            // The state lives on the server: no clip is re-sent, only the instruction.
            #expect(parts.count == 1, "\(parts)")
            #expect(parts.last?["type"] as? String == "text")
            #expect(parts.last?["text"] as? String == instructions[index])
            #expect(body["model"] as? String == "gemini-omni-1.1-flash")
            #expect(body["background"] as? Bool == true)
            #expect(body["store"] as? Bool == true)
            // Edits keep the source's format without being told.
            let format = body["response_format"] as? [String: Any] ?? [:]
            #expect(format["type"] as? String == "video")
            #expect(format["resolution"] as? String == "360p", "\(format)")
            #expect(format["duration"] as? String == "3s", "\(format)")
            #expect(format["aspect_ratio"] as? String == "16:9")
            #expect(format["delivery"] as? String == "inline")
        }
        // Each turn records the interaction that made it and the one it continued.
        let serverIDs = Set(try await world.fake.interactions().compactMap { $0["id"] as? String })
        #expect(serverIDs == Set(interactions))
        for (index, turn) in turns.enumerated() {
            let interaction = turn["interaction"] as? [String: Any] ?? [:]
            #expect(interaction["status"] as? String == "completed")
            let expectedPrevious = createPreviousID(creates[index])
            #expect((interaction["previous_id"] as? String) == expectedPrevious, "turn \(index): \(interaction)")
            #expect(interaction["rehydrated"] == nil, "turn \(index) was not rehydrated: \(interaction)")
            #expect(turn["kind"] as? String == (index == 0 ? "generate" : "edit"))
            #expect(turn["instruction"] as? String == instructions[index])
        }

        // The graph.
        let logged = try await world.allTurns()
        #expect(logged.count == 5)
        let parents = Dictionary(
            uniqueKeysWithValues: logged.map { ($0["id"] as? String ?? "", $0["parents"] as? [String] ?? []) })
        #expect(parents[ids[0]] == [])
        #expect(parents[ids[1]] == [ids[0]])
        #expect(parents[ids[2]] == [ids[1]])
        #expect(parents[ids[3]] == [ids[0]])
        #expect(parents[ids[4]] == [ids[3]])
        let branches = try await world.array(["branch"])
        let tips = Dictionary(
            uniqueKeysWithValues: branches.map { ($0["name"] as? String ?? "", $0["turn"] as? String ?? "") })
        #expect(tips["lantern"] == ids[2])
        #expect(tips["alt"] == ids[4])
        #expect(branches.first { $0["current"] as? Bool == true }?["name"] as? String == "alt")
        let head = try await world.object(["show", "HEAD"])
        #expect(head["id"] as? String == ids[4])
        #expect(try await world.object(["show", "alt~2"])["id"] as? String == ids[0])
        #expect(try await world.object(["show", "lantern^"])["id"] as? String == ids[1])

        // Every output is a real MP4 named by its sha256, and the bytes are the server's.
        for (index, turn) in turns.enumerated() {
            let output = try #require(turn["output"] as? String)
            try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
            let (status, body) = try await world.fake.api("GET", "/v1/interactions/\(interactions[index])")
            #expect(status == 200)
            let served = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
            let steps = served["steps"] as? [[String: Any]] ?? []
            let video = (steps.last?["content"] as? [[String: Any]])?.first { $0["type"] as? String == "video" }
            let data = try #require(
                Data(base64Encoded: video?["data"] as? String ?? ""), "no inline video in \(served.keys)")
            #expect(try await sha256Digest(of: data) == output, "turn \(index)")
        }
        // The working file holds HEAD's clip.
        let fifthOutput = try #require(fifth["output"] as? String)
        #expect(try await SHA256Sum.hash(world.ws.file("clip.mp4")) == fifthOutput)

        // Costs: from the usage tokens the server reported, at Resources/pricing.json's rates.
        let pricing = try PricingOracle()
        var expected: [String: Double] = [:]
        for (index, turn) in turns.enumerated() {
            let usage = try #require((turn["interaction"] as? [String: Any])?["usage"] as? [String: Any])
            let (_, body) = try await world.fake.api("GET", "/v1/interactions/\(interactions[index])")
            let served = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
            let servedUsage = try #require(served["usage"] as? [String: Any])
            #expect(
                JSONNumbers.int(usage["total_output_tokens"]) == JSONNumbers.int(servedUsage["total_output_tokens"]))
            #expect(JSONNumbers.int(usage["total_input_tokens"]) == JSONNumbers.int(servedUsage["total_input_tokens"]))
            expected[ids[index]] = pricing.usd(usage: servedUsage)
            let cost = turn["cost"] as? [String: Any] ?? [:]
            #expect(cost["basis"] as? String == "usage_tokens")
            #expect(
                JSONNumbers.double(cost["usd"]).map { abs($0 - pricing.usd(usage: servedUsage)) < 1e-9 } == true,
                "\(cost)")
            #expect(JSONNumbers.double(cost["seconds"]).map { abs($0 - 3) < 0.1 } == true, "\(cost)")
        }
        let report = try await world.object(["cost", "--all"])
        let lines = report["turns"] as? [[String: Any]] ?? []
        #expect(Set(lines.compactMap { $0["id"] as? String }) == Set(ids))
        for line in lines {
            let id = line["id"] as? String ?? ""
            #expect(line["basis"] as? String == "usage_tokens")
            #expect(JSONNumbers.double(line["usd"]).map { abs($0 - (expected[id] ?? -1)) < 1e-9 } == true, "\(line)")
        }
        let total = expected.values.reduce(0, +)
        #expect(JSONNumbers.double(report["total_usd"]).map { abs($0 - total) < 1e-6 } == true, "\(report)")
        #expect(JSONNumbers.int(report["uncounted"]) == 0)
        let byBranch = try await world.object(["cost", "--by-branch"])
        let branchTotals = Dictionary(
            uniqueKeysWithValues: (byBranch["branches"] as? [[String: Any]] ?? []).map {
                ($0["name"] as? String ?? "", $0)
            })
        let lanternUSD = [0, 1, 2].map { expected[ids[$0]] ?? 0 }.reduce(0, +)
        let altUSD = [0, 3, 4].map { expected[ids[$0]] ?? 0 }.reduce(0, +)
        #expect(JSONNumbers.int(branchTotals["lantern"]?["turns"]) == 3)
        #expect(JSONNumbers.int(branchTotals["alt"]?["turns"]) == 3)
        #expect(
            JSONNumbers.double(branchTotals["lantern"]?["usd"]).map { abs($0 - lanternUSD) < 1e-6 } == true,
            "\(byBranch)")
        #expect(JSONNumbers.double(branchTotals["alt"]?["usd"]).map { abs($0 - altUSD) < 1e-6 } == true, "\(byBranch)")
        // Without --all, the cost is HEAD's history: the alt line.
        let headCost = try await world.object(["cost"])
        #expect(
            Set((headCost["turns"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
                == Set([ids[0], ids[3], ids[4]]))
        #expect(JSONNumbers.double(headCost["total_usd"]).map { abs($0 - altUSD) < 1e-6 } == true)
        // The human table ends with the total.
        let human = try await world.check(["cost", "--all"])
        #expect(human.stdoutLines.last?.hasPrefix("total $") == true, "\(human)")
        #expect(human.stdoutLines.last?.contains("over 5 turns") == true, "\(human)")

        // Nothing is left pending or recorded as failed.
        #expect(try await world.pending().isEmpty)
        #expect(try await world.attempts().isEmpty)
    }

    @Test(
        "translate German sends an edit of HEAD's state with the translation instruction and records settings.language")
    func translate() async throws {
        let world = try await GenerationWorld.make("gen-translate")
        let first = try await world.object([
            "generate", "a presenter says hello", "--resolution", "360p", "--duration", "3",
        ])
        let turn = try await world.object(["translate", "German"])
        let creates = try await world.fake.creates()
        try #require(creates.count == 2)
        let create = creates[1]
        #expect(createPreviousID(create) == turnInteractionID(first))
        let text = createInputParts(create).last?["text"] as? String ?? ""
        #expect(text.contains("Translate all speech in this video into German"), "\(text)")
        #expect(text.contains("Keep the same speaker"), "\(text)")
        #expect(createInputParts(create).count == 1)
        let config = create.jsonObject["generation_config"] as? [String: Any] ?? [:]
        #expect((config["video_config"] as? [String: Any])?["task"] as? String == "edit", "\(create.jsonObject)")
        #expect(turn["kind"] as? String == "translate")
        #expect(turn["instruction"] as? String == text)
        #expect(turn["parents"] as? [String] == [first["id"] as? String ?? ""])
        let settings = turn["settings"] as? [String: Any] ?? [:]
        #expect(settings["language"] as? String == "German")
        #expect(settings["task"] as? String == "edit")
        #expect(settings["resolution"] as? String == "360p")
        let output = try #require(turn["output"] as? String)
        try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
        // The translation is a turn like any other: `show` gives the same record.
        let shown = try await world.object(["show", "HEAD"])
        #expect(shown["id"] as? String == turn["id"] as? String)
        #expect((shown["settings"] as? [String: Any])?["language"] as? String == "German")
    }
}
