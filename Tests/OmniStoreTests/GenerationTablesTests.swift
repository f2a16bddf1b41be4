import Foundation
import OmniStore
import TestSupport
import Testing

/// The built-in pricing and model-limit tables, seen through the library's
/// public API, against `Resources/*.json` read with JSONSerialization.
@Suite struct GenerationTables {
    private static let model = "gemini-omni-1.1-flash"

    private func resource(_ name: String) throws -> [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path
        guard let data = fileBytes(path), let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw TestSupportError("cannot read \(path)")
        }
        return object
    }

    @Test("PricingTable.builtin has exactly Resources/pricing.json's rates, estimate labels and token prices")
    func pricing() throws {
        let table = try resource("pricing.json")
        #expect(Array(table.keys) == [Self.model])
        let entry = try #require(table[Self.model] as? [String: Any])
        let rates = try #require(entry["usd_per_second"] as? [String: Any])
        let estimated = Set(entry["estimated_resolutions"] as? [String] ?? [])
        let builtin = PricingTable.builtin
        #expect(builtin.source == "built-in")
        for (resolution, value) in rates {
            let rate = builtin.rate(model: Self.model, resolution: resolution)
            #expect(rate?.usd == JSONNumbers.double(value), "\(resolution)")
            #expect(rate?.estimated == estimated.contains(resolution), "\(resolution)")
        }
        #expect(builtin.rate(model: Self.model, resolution: "480p") == nil)
        #expect(builtin.rate(model: "gemini-omni-flash-preview", resolution: "720p") == nil)

        // Token prices, isolated one at a time through cost().
        let outputRate = try #require(JSONNumbers.double(entry["usd_per_million_output_tokens"]))
        let inputRate = try #require(JSONNumbers.double(entry["usd_per_million_input_tokens"]))
        let outputOnly = builtin.cost(
            model: Self.model, resolution: "720p", seconds: 8,
            usage: .object(["total_output_tokens": .int(1_000_000), "total_input_tokens": .int(0)]))
        #expect(outputOnly.basis == "usage_tokens")
        #expect(abs(outputOnly.usd - outputRate) < 1e-9)
        let both = builtin.cost(
            model: Self.model, resolution: "720p", seconds: 8,
            usage: .object(["total_output_tokens": .int(1_000_000), "total_input_tokens": .int(2_000_000)]))
        #expect(abs(both.usd - (outputRate + 2 * inputRate)) < 1e-9)
        // No usage: seconds at the resolution's rate, never free.
        let bySeconds = builtin.cost(model: Self.model, resolution: "360p", seconds: 3, usage: nil)
        #expect(bySeconds.basis == "seconds_x_rate")
        #expect(abs(bySeconds.usd - (JSONNumbers.double(rates["360p"]) ?? .nan) * 3) < 1e-9)
        let zeroTokens = builtin.cost(
            model: Self.model, resolution: "720p", seconds: 4, usage: .object(["total_output_tokens": .int(0)]))
        #expect(zeroTokens.basis == "seconds_x_rate" && zeroTokens.usd > 0)
    }

    @Test("ModelLimits.forModel has exactly Resources/model-limits.json's values")
    func limits() throws {
        let table = try resource("model-limits.json")
        #expect(Array(table.keys) == [Self.model])
        let entry = try #require(table[Self.model] as? [String: Any])
        let limits = try #require(ModelLimits.forModel(Self.model))
        let duration = entry["duration_seconds"] as? [String: Any] ?? [:]
        #expect(limits.minDuration == JSONNumbers.int(duration["min"]))
        #expect(limits.maxDuration == JSONNumbers.int(duration["max"]))
        #expect(limits.resolutions == entry["resolutions"] as? [String])
        #expect(limits.aspectRatios == entry["aspect_ratios"] as? [String])
        #expect(limits.tasks == entry["tasks"] as? [String])
        #expect(limits.referenceVideoMaxSeconds == JSONNumbers.double(entry["reference_video_max_seconds"]))
        #expect(limits.referenceModeMaxClips == JSONNumbers.int(entry["reference_mode_max_clips"]))
        #expect(limits.referenceModeClipMaxSeconds == JSONNumbers.double(entry["reference_mode_clip_max_seconds"]))
        #expect(limits.inlinePayloadMaxBytes == JSONNumbers.int64(entry["inline_payload_max_bytes"]))
        #expect(limits.inlinePartMaxBytes == JSONNumbers.int64(entry["inline_part_max_bytes"]))
        #expect(limits.uriDeliveryAbove == entry["uri_delivery_above"] as? String)
        #expect(limits.acceptsAudioReferences == entry["audio_references"] as? Bool)
        #expect(ModelLimits.forModel("gemini-omni-flash-preview") == nil)
    }

    @Test("previewGeneration prices like the README: 720p 8 s = 0.80, 360p 8 s = 0.272, 1080p labelled")
    func previewEstimates() throws {
        let dir = try TemporaryDirectory("lib-preview")
        let (store, _) = try Store.create(at: dir.path)
        let rates = try #require(
            (try resource("pricing.json")[Self.model] as? [String: Any])?["usd_per_second"] as? [String: Any])

        var options = GenerationOptions(kind: "generate", instruction: "a lantern over a harbor")
        let defaults = try store.previewGeneration(options)
        #expect(abs(defaults.plan.estimateUSD - 0.80) < 1e-9)
        #expect(abs(defaults.plan.estimateUSD - (JSONNumbers.double(rates["720p"]) ?? .nan) * 8) < 1e-9)
        #expect(defaults.plan.resolution == "720p" && defaults.plan.duration == 8)
        #expect(!defaults.plan.estimateIsLabelled)
        #expect(defaults.plan.delivery == "inline")

        options.resolution = "360p"
        let small = try store.previewGeneration(options)
        #expect(abs(small.plan.estimateUSD - 0.272) < 1e-9)
        #expect(abs(small.plan.estimateUSD - (JSONNumbers.double(rates["360p"]) ?? .nan) * 8) < 1e-9)

        options.resolution = "1080p"
        options.duration = 4
        let large = try store.previewGeneration(options)
        #expect(large.plan.estimateIsLabelled)
        #expect(large.plan.delivery == "uri")
        #expect(abs(large.plan.estimateUSD - (JSONNumbers.double(rates["1080p"]) ?? .nan) * 4) < 1e-9)

        // The shown request is the body that would be sent.
        let request = large.request
        #expect(request["model"]?.stringValue == Self.model)
        #expect(request["response_format"]?["duration"]?.stringValue == "4s")
        #expect(request["response_format"]?["resolution"]?.stringValue == "1080p")
        #expect(request["previous_interaction_id"] == nil)

        options.maxCost = 0.1
        #expect(throws: (any Error).self) { try store.previewGeneration(options) }
        options.maxCost = nil
        options.duration = 11
        #expect(throws: (any Error).self) { try store.previewGeneration(options) }
    }
}
