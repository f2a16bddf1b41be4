import Foundation
import TestSupport
import Testing

/// When the server has forgotten a parent's state, the stored clip is sent
/// instead and the turn is marked `rehydrated`.
@Suite struct GenerationRehydrate {
    /// Checks that a create re-sends `parentOutput` as its source: no
    /// previous_interaction_id, a first video part whose inline bytes are the
    /// parent's clip, task edit, and the instruction last.
    private func expectRehydratedCreate(
        _ create: FakeAPI.Request, parentOutput: String, instruction: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(create.jsonObject["previous_interaction_id"] == nil, "\(create)", sourceLocation: sourceLocation)
        let parts = createInputParts(create)
        #expect(parts.count == 2, "\(parts.map { $0["type"] ?? "?" })", sourceLocation: sourceLocation)
        let source = parts.first ?? [:]
        #expect(source["type"] as? String == "video", sourceLocation: sourceLocation)
        #expect(source["mime_type"] as? String == "video/mp4", sourceLocation: sourceLocation)
        #expect(source["uri"] == nil, sourceLocation: sourceLocation)
        let data = Data(base64Encoded: source["data"] as? String ?? "")
        #expect(data != nil, "the source part carries no inline base64", sourceLocation: sourceLocation)
        if let data { #expect(try await sha256Digest(of: data) == parentOutput, sourceLocation: sourceLocation) }
        #expect(parts.last?["text"] as? String == instruction, sourceLocation: sourceLocation)
        let config = create.jsonObject["generation_config"] as? [String: Any] ?? [:]
        #expect(
            (config["video_config"] as? [String: Any])?["task"] as? String == "edit", "\(create.jsonObject.keys)",
            sourceLocation: sourceLocation)
    }

    @Test(
        "the parent's interaction expired on the server (404): edit re-sends the stored clip and marks the turn rehydrated"
    )
    func expiredOnServer() async throws {
        let world = try await GenerationWorld.make("gen-rehydrate-404")
        let first = try await world.object([
            "generate", "a lighthouse at dusk", "--resolution", "360p", "--duration", "3",
        ])
        let firstInteraction = try #require(turnInteractionID(first))
        let firstOutput = try #require(first["output"] as? String)
        try await world.fake.expire(interaction: firstInteraction)

        let edit = try await world.run(["edit", "make the sky cool blue", "--json"])
        #expect(edit.succeeded, "\(edit)")
        #expect(edit.stderr.contains("rehydrat"), "the user is told the clip is re-sent: \(edit)")
        let creates = try await world.fake.creates()
        // The first try continues the expired state and gets 404; the one that succeeds re-sends the clip.
        #expect(creates.count == 3, "\(creates)")
        if creates.count >= 2 {
            #expect(createPreviousID(creates[1]) == firstInteraction)
            #expect(creates[1].status == 404)
        }
        let succeeded = creates.filter { $0.status == 200 }
        #expect(succeeded.count == 2, "\(creates)")
        guard edit.succeeded, succeeded.count == 2, let turn = try? JSONText.object(edit.stdout) else { return }
        try await expectRehydratedCreate(succeeded[1], parentOutput: firstOutput, instruction: "make the sky cool blue")
        let interaction = turn["interaction"] as? [String: Any] ?? [:]
        #expect(interaction["rehydrated"] as? Bool == true, "\(interaction)")
        #expect(interaction["previous_id"] is NSNull || interaction["previous_id"] == nil, "\(interaction)")
        #expect(turn["parents"] as? [String] == [first["id"] as? String ?? ""])
        // The parent's clip is the source, not a reference input.
        #expect((turn["inputs"] as? [Any])?.isEmpty == true, "\(turn)")
        let output = try #require(turn["output"] as? String)
        try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)
        #expect(try await world.pending().isEmpty)
        #expect(try await world.attempts().isEmpty)
        // The new turn's own state is live: the next edit continues it directly.
        let next = try await world.object(["edit", "add a seagull"])
        #expect(try await world.fake.creates().last.map(createPreviousID) == turnInteractionID(turn))
        #expect((next["interaction"] as? [String: Any])?["rehydrated"] == nil)
    }

    @Test(
        "the state's age is the interaction's: a turn stamped 60 days ago (OMNISTORE_DATE) whose interaction is fresh is continued"
    )
    func ageFromInteraction() async throws {
        let world = try await GenerationWorld.make("gen-rehydrate-age")
        let sixtyDaysAgo = Int(Date().timeIntervalSince1970) - 60 * 86_400
        let first = try await world.object(
            ["generate", "a lighthouse at dawn", "--resolution", "360p", "--duration", "3"],
            extra: ["OMNISTORE_DATE": "@\(sixtyDaysAgo)"])
        let created = (first["interaction"] as? [String: Any])?["created"] as? String
        #expect(created != nil, "the server's creation time is recorded: \(first)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let stamped = (first["created_at"] as? String).flatMap { formatter.date(from: $0) }
        #expect(
            stamped.map { abs($0.timeIntervalSince1970 - Double(sixtyDaysAgo)) < 5 } == true, "the premise: \(first)")
        let preview = try await world.object(["edit", "make it warm", "--dry-run"])
        #expect(preview["rehydrated"] as? Bool == false, "the server created this state seconds ago: \(preview)")
        let turn = try await world.object(["edit", "make it warm"])
        #expect(try await world.fake.creates().last.map(createPreviousID) == turnInteractionID(first))
        #expect((turn["interaction"] as? [String: Any])?["rehydrated"] == nil, "\(turn)")
        // Nothing was refused along the way.
        #expect(try await world.fake.creates().allSatisfy { $0.status == 200 })
    }

    @Test("retention_days 0: edit rehydrates up front, with no 404 round trip; --dry-run says so")
    func retentionSetting() async throws {
        let world = try await GenerationWorld.make("gen-rehydrate-retention")
        let first = try await world.object([
            "generate", "a windmill in a field", "--resolution", "360p", "--duration", "3",
        ])
        let firstOutput = try #require(first["output"] as? String)
        try await world.check(["config", "retention_days", "0"])

        let preview = try await world.object(["edit", "make the light warm", "--dry-run"])
        #expect(preview["rehydrated"] as? Bool == true, "\(preview)")
        let previewRequest = preview["request"] as? [String: Any] ?? [:]
        #expect(previewRequest["previous_interaction_id"] == nil)
        let previewParts = previewRequest["input"] as? [[String: Any]] ?? []
        #expect(previewParts.first?["type"] as? String == "video", "\(previewParts)")
        #expect(try await world.fake.creates().count == 1, "--dry-run sent nothing")

        let turn = try await world.object(["edit", "make the light warm"])
        let creates = try await world.fake.creates()
        #expect(creates.count == 2, "\(creates)")
        #expect(creates.allSatisfy { $0.status == 200 })
        #expect(try await world.fake.requests().allSatisfy { $0.status != 404 })
        try #require(creates.count == 2)
        try await expectRehydratedCreate(creates[1], parentOutput: firstOutput, instruction: "make the light warm")
        let interaction = turn["interaction"] as? [String: Any] ?? [:]
        #expect(interaction["rehydrated"] as? Bool == true, "\(interaction)")
        #expect(turn["parents"] as? [String] == [first["id"] as? String ?? ""])
        let output = try #require(turn["output"] as? String)
        try await expectRealMP4(world.ws, asset: output, width: 640, height: 360, seconds: 3)

        // Back to the default: a fresh parent is continued through its server state.
        try await world.check(["config", "--unset", "retention_days"])
        _ = try await world.object(["edit", "add a flock of birds"])
        #expect(try await world.fake.creates().last.map(createPreviousID) == turnInteractionID(turn))
    }
}
