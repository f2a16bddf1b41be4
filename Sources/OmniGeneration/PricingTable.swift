import Foundation
import OmniCore

/// USD rates per model and resolution, from `Resources/pricing.json` (built
/// in) or a user's override: `OMNISTORE_PRICING=FILE`, or
/// `.omnistore/pricing.json` in the store.
public struct PricingTable: Sendable {
    struct ModelRates: Sendable {
        var perSecond: [String: Double]
        var estimated: Set<String>
        var perMillionOutputTokens: Double?
        var perMillionInputTokens: Double?
    }

    let models: [String: ModelRates]
    /// Where the table came from: `built-in` or a file path.
    public let source: String

    /// The built-in table.
    public static var builtin: PricingTable {
        // The built-in text is part of the binary and covered by a test.
        (try? PricingTable(text: BuiltinTables.pricing, source: "built-in"))
            ?? PricingTable(models: [:], source: "empty")
    }

    init(models: [String: ModelRates], source: String) {
        self.models = models
        self.source = source
    }

    init(text: String, source: String) throws {
        guard case .object(let root) = try JSONParser.parse(text) else {
            throw StoreError(.invalidArgument, "pricing table \(source) must be a JSON object of models")
        }
        var models: [String: ModelRates] = [:]
        for (model, value) in root {
            guard let rates = value["usd_per_second"]?.objectValue else {
                throw StoreError(.invalidArgument, "pricing table \(source): model \(model) needs usd_per_second")
            }
            models[model] = ModelRates(
                perSecond: rates.compactMapValues(\.doubleValue),
                estimated: Set((value["estimated_resolutions"]?.arrayValue ?? []).compactMap(\.stringValue)),
                perMillionOutputTokens: value["usd_per_million_output_tokens"]?.doubleValue,
                perMillionInputTokens: value["usd_per_million_input_tokens"]?.doubleValue)
        }
        self.models = models
        self.source = source
    }

    /// The table in force for a store.
    static func load(for layout: StoreLayout) throws -> PricingTable {
        let candidates = [
            ProcessInfo.processInfo.environment["OMNISTORE_PRICING"], layout.storeDirectory + "/pricing.json",
        ]
        for case let path? in candidates where !path.isEmpty && FileManager.default.fileExists(atPath: path) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw StoreError(.io, "cannot read pricing table '\(path)'")
            }
            return try PricingTable(text: text, source: path)
        }
        return builtin
    }

    /// USD per output second, and whether that rate is only an estimate.
    public func rate(model: String, resolution: String) -> (usd: Double, estimated: Bool)? {
        guard let rates = models[model], let usd = rates.perSecond[resolution] else { return nil }
        return (usd, rates.estimated.contains(resolution))
    }

    /// The cost of a finished generation: from usage tokens when the API
    /// reported them, else from seconds at the resolution's rate. A response
    /// without usage is never counted as free.
    public func cost(model: String, resolution: String, seconds: Double, usage: JSONValue?) -> Turn.Cost {
        if let usage, let rates = models[model], let outputRate = rates.perMillionOutputTokens,
            let output = usage["total_output_tokens"]?.doubleValue, output > 0
        {
            let input = usage["total_input_tokens"]?.doubleValue ?? 0
            let usd = output * outputRate / 1_000_000 + input * (rates.perMillionInputTokens ?? 0) / 1_000_000
            return Turn.Cost(usd: (usd * 1_000_000).rounded() / 1_000_000, seconds: seconds, basis: "usage_tokens")
        }
        let perSecond = rate(model: model, resolution: resolution)?.usd ?? 0.10
        return Turn.Cost(
            usd: (perSecond * seconds * 1_000_000).rounded() / 1_000_000, seconds: seconds, basis: "seconds_x_rate")
    }
}
