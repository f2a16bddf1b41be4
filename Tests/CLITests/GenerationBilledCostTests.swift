import Foundation
import TestSupport
import Testing

/// The bill against the estimate: `cost` shows both, and a bill above its
/// estimate raises the next estimates, so that --max-cost holds.
@Suite struct GenerationBilledCost {
    @Test("a bill 20% over its estimate shows in cost, and later estimates and --max-cost use the billed rate")
    func billedAgainstEstimated() async throws {
        let world = try await GenerationWorld.make("gen-billed")
        // $0.05 per second estimated; billed from tokens. The fake reports
        // 1931 output tokens per second at 360p: 5793 for 3 s, which this rate
        // bills at $0.18, 20% over the $0.15 estimate.
        let pricing = try world.ws.write(
            #"""
            {"gemini-omni-1.1-flash": {"usd_per_second": {"360p": 0.05, "720p": 0.10},
              "usd_per_million_output_tokens": 31.0720, "usd_per_million_input_tokens": 0}}
            """#, to: "pricing.json")
        let env = ["OMNISTORE_PRICING": pricing]
        let generate = ["generate", "a lantern on a jetty", "--resolution", "360p", "--duration", "3"]

        let first = try await world.object(generate + ["--dry-run"], extra: env)
        #expect(abs((first["estimate_usd"] as? Double ?? 0) - 0.15) < 1e-6, "\(first)")
        try await world.check(generate, extra: env)

        let cost = try await world.object(["cost"], extra: env)
        let turn = try #require((cost["turns"] as? [[String: Any]])?.first)
        #expect(abs((turn["usd"] as? Double ?? 0) - 0.18) < 0.001, "\(turn)")
        #expect(abs((turn["estimate_usd"] as? Double ?? 0) - 0.15) < 1e-6, "\(turn)")
        #expect(abs((cost["billed_usd"] as? Double ?? 0) - 0.18) < 0.001, "\(cost)")
        #expect(abs((cost["estimated_usd"] as? Double ?? 0) - 0.15) < 1e-6, "\(cost)")
        let text = try await world.check(["cost"], extra: env)
        #expect(text.stdout.contains("billed $0.18 against $0.15 estimated (+20.0%)"), "\(text.stdout)")

        // The next estimate uses the billed rate: $0.18, not $0.15.
        let second = try await world.object(generate + ["-b", "second", "--dry-run"], extra: env)
        #expect(abs((second["estimate_usd"] as? Double ?? 0) - 0.18) < 0.001, "\(second)")
        // So a $0.16 cap, which the table's rate would pass, refuses it before any request.
        let creates = try await world.fake.creates().count
        let capped = try await world.run(generate + ["-b", "capped", "--max-cost", "0.16"], extra: env)
        #expect(capped.failedCleanly && capped.stderr.contains("more than --max-cost"), "\(capped)")
        #expect(try await world.fake.creates().count == creates, "nothing was sent")
    }
}
