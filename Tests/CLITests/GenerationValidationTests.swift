import Foundation
import TestSupport
import Testing

/// What is decided before anything is sent (the live API bills even a refused request).
@Suite struct GenerationValidation {
    /// The request JSON a human `--dry-run` prints: the lines between the
    /// `POST` line and the `estimated cost` line.
    private func shownRequest(_ result: ProcessResult) throws -> [String: Any] {
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let post = lines.firstIndex(where: { $0.hasPrefix("POST ") }),
            let cost = lines.firstIndex(where: { $0.hasPrefix("estimated cost:") }), post < cost
        else { throw TestSupportError("no request in:\n\(result)") }
        return try JSONText.object(lines[(post + 1)..<cost].joined(separator: "\n"))
    }

    @Test("--dry-run prints the exact request and the estimate, and sends nothing")
    func dryRun() async throws {
        let world = try await GenerationWorld.make("gen-dry-run")
        let pricing = try PricingOracle()
        let first = try await world.object([
            "generate", "a lantern over a harbor", "--resolution", "360p", "--duration", "3", "--seed", "42",
        ])
        let seedSent = try await world.fake.creates().first?.jsonObject["generation_config"] as? [String: Any]
        #expect(JSONNumbers.int(seedSent?["seed"]) == 42, "\(String(describing: seedSent))")
        #expect(JSONNumbers.int((first["settings"] as? [String: Any])?["seed"]) == 42)
        // That one was sent; start counting from here.
        try await world.fake.clearRequests()

        let shown = try await world.check([
            "generate", "a kite over dunes", "-b", "kite", "--resolution", "360p", "--duration", "3", "--dry-run",
        ])
        #expect(shown.stdoutLines.first == "POST /v1/interactions", "\(shown)")
        let request = try shownRequest(shown)
        #expect(request["model"] as? String == "gemini-omni-1.1-flash")
        #expect(request["background"] as? Bool == true)
        #expect(request["previous_interaction_id"] == nil)
        let parts = request["input"] as? [[String: Any]] ?? []
        #expect(parts.count == 1 && parts.first?["text"] as? String == "a kite over dunes", "\(parts)")
        let format = request["response_format"] as? [String: Any] ?? [:]
        #expect(
            format["resolution"] as? String == "360p" && format["duration"] as? String == "3s"
                && format["delivery"] as? String == "inline", "\(format)")
        let usd = pricing.estimate("360p", seconds: 3)
        #expect(shown.stdoutLines.last == String(format: "estimated cost: $%.2f (3 s at 360p)", usd), "\(shown)")

        // The JSON form: the same request, the estimate as a number.
        let json = try await world.object(["generate", "a kite over dunes", "-b", "kite", "--dry-run"])
        #expect(
            JSONNumbers.double(json["estimate_usd"]).map { abs($0 - pricing.estimate("720p", seconds: 8)) < 1e-9 }
                == true, "\(json)")
        #expect(json["estimate_labelled"] as? Bool == false)
        #expect(json["rehydrated"] as? Bool == false)
        let defaults = (json["request"] as? [String: Any])?["response_format"] as? [String: Any] ?? [:]
        #expect(defaults["resolution"] as? String == "720p" && defaults["duration"] as? String == "8s", "\(defaults)")
        let labelled = try await world.object([
            "generate", "a kite", "-b", "kite", "--resolution", "1080p", "--duration", "4", "--dry-run",
        ])
        #expect(
            JSONNumbers.double(labelled["estimate_usd"]).map { abs($0 - pricing.estimate("1080p", seconds: 4)) < 1e-9 }
                == true)
        #expect(labelled["estimate_labelled"] as? Bool == pricing.estimated.contains("1080p"))
        #expect(
            ((labelled["request"] as? [String: Any])?["response_format"] as? [String: Any])?["delivery"] as? String
                == "uri")
        let labelledText = try await world.check([
            "generate", "a kite", "-b", "kite", "--resolution", "4k", "--duration", "3", "--dry-run",
        ])
        #expect(labelledText.stdoutLines.last?.contains("an estimate") == true, "\(labelledText)")

        // An edit's dry run shows the state it continues and keeps the source's format.
        let head = try await world.object(["show", "HEAD"])
        let edit = try await world.object(["edit", "make it warm", "--dry-run"])
        let editRequest = edit["request"] as? [String: Any] ?? [:]
        #expect(editRequest["previous_interaction_id"] as? String == turnInteractionID(head), "\(editRequest)")
        #expect((editRequest["response_format"] as? [String: Any])?["duration"] as? String == "3s")
        // A reference is shown as a placeholder, not as base64.
        let image = try await Fixtures.copy(.png, into: world.ws.path)
        let withRef = try await world.check(["edit", "add the logo", "--ref", image + ":logo", "--dry-run"])
        let size = fileBytes(image)?.count ?? -1
        #expect(withRef.stdout.contains("<base64 of logo, \(size) bytes>"), "\(withRef)")

        #expect(try await world.fake.requests().isEmpty, "a dry run sent something")
        #expect(try await world.allTurns().count == 1)
        #expect(try await world.pending().isEmpty)
        #expect(try await world.array(["branch"]).allSatisfy { $0["name"] as? String != "kite" })
    }

    @Test("--max-cost below the estimate refuses before sending; at or above it goes ahead")
    func maxCost() async throws {
        let world = try await GenerationWorld.make("gen-max-cost")
        let refused = try await world.run(["generate", "a lantern", "--max-cost", "0.5"])
        #expect(refused.failedCleanly, "\(refused)")
        #expect(errorLinesOf(refused).count == 1 && refused.stderr.contains("--max-cost"), "\(refused)")
        #expect(refused.stderr.contains("$0.80"), "the estimate is named: \(refused)")
        let dry = try await world.run(["generate", "a lantern", "--max-cost", "0.5", "--dry-run"])
        #expect(dry.failedCleanly, "\(dry)")
        #expect(try await world.fake.requests().isEmpty)

        let accepted = try await world.run([
            "generate", "a lantern", "--max-cost", "0.102", "--resolution", "360p", "--duration", "3",
        ])
        #expect(accepted.succeeded, "\(accepted)")
        #expect(try await world.fake.creates().count == 1)

        // An edit is priced at the length and resolution it inherits (3 s at 360p), not the defaults.
        let edit = try await world.object(["edit", "make it warm", "--max-cost", "0.11", "--dry-run"])
        let inherited = try PricingOracle().estimate("360p", seconds: 3)
        #expect(JSONNumbers.double(edit["estimate_usd"]).map { abs($0 - inherited) < 1e-9 } == true, "\(edit)")
        let longer = try await world.run(["edit", "make it warm", "--max-cost", "0.11", "--duration", "4"])
        #expect(longer.failedCleanly && longer.stderr.contains("--max-cost"), "\(longer)")
        #expect(try await world.fake.creates().count == 1)
    }

    @Test("each invalid request is refused with one error line and nothing sent")
    func refusedBeforeSending() async throws {
        let world = try await GenerationWorld.make("gen-validate")
        let dir = world.ws.path
        let audio = try await Fixtures.copy(.wav, into: dir)
        async let long = makeTestClip(dir + "/long.mp4", seconds: 11)
        async let fourSeconds = makeTestClip(dir + "/four.mp4", seconds: 4, size: "80x60")
        var clips: [String] = []
        for index in 0..<4 {
            clips.append(try await makeTestClip(dir + "/clip\(index).mp4", seconds: 1, size: "\(64 + 16 * index)x48"))
        }
        let (longClip, fourClip) = try await (long, fourSeconds)

        let cases: [(arguments: [String], mentions: [String])] = [
            (["generate", "   "], ["empty"]),
            (["generate", "x", "--duration", "2"], ["3", "10"]),
            (["generate", "x", "--duration", "11"], ["3", "10", "11"]),
            (["generate", "x", "--resolution", "480p"], ["480p", "720p"]),
            (["generate", "x", "--aspect", "4:3"], ["4:3", "16:9"]),
            (["generate", "x", "--task", "upscale"], ["upscale"]),
            (["generate", "x", "--model", "gemini-omni-flash-preview"], ["gemini-omni-flash-preview"]),
            (["generate", "x", "--ref", audio], ["audio", "translate"]),
            (["generate", "x", "--ref", longClip], ["10"]),
            (["generate", "x", "--task", "reference_to_video"] + clips.flatMap { ["--ref", $0] }, ["3", "4"]),
            (["generate", "x", "--task", "reference_to_video", "--ref", fourClip], ["3"]),
            (["edit", "x"], []),
        ]
        for (arguments, mentions) in cases {
            let result = try await world.run(arguments)
            #expect(result.failedCleanly, "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
            let errors = errorLinesOf(result)
            #expect(errors.count == 1, "\(result)")
            for word in mentions { #expect(errors.first?.contains(word) == true, "'\(word)' missing: \(result)") }
        }
        #expect(try await world.fake.requests().isEmpty, "a refused request was sent")
        #expect(try await world.allTurns().isEmpty)
        #expect(try await world.pending().isEmpty)
        #expect(try await world.attempts().isEmpty)

        // The limits are the edges: 3 and 10 s, 3 clips of 3 s, a 10 s reference are fine.
        let three = try await makeTestClip(dir + "/three.mp4", seconds: 3, size: "96x48")
        let ten = try await makeTestClip(dir + "/ten.mp4", seconds: 10, size: "112x48")
        for arguments in [
            ["generate", "x", "--duration", "3", "--dry-run"], ["generate", "x", "--duration", "10", "--dry-run"],
            ["generate", "x", "--aspect", "9:16", "--dry-run"],
            [
                "generate", "x", "--task", "reference_to_video", "--ref", clips[0], "--ref", clips[1], "--ref", three,
                "--dry-run",
            ],
            ["generate", "x", "--ref", ten, "--dry-run"],
        ] {
            let result = try await world.run(arguments)
            #expect(result.succeeded, "\(result)")
        }
        #expect(try await world.fake.requests().isEmpty)
    }
}
