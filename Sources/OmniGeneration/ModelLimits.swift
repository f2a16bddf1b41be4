import OmniCore

/// What a model accepts, from `Resources/model-limits.json` (built in).
///
/// The live API has no dry run and bills even an empty request, so every
/// request is checked against these limits before it is sent.
public struct ModelLimits: Sendable {
    public let minDuration: Int
    public let maxDuration: Int
    public let resolutions: [String]
    public let aspectRatios: [String]
    public let tasks: [String]
    public let referenceVideoMaxSeconds: Double
    public let referenceModeMaxClips: Int
    public let referenceModeClipMaxSeconds: Double
    /// Total base64 bytes a request may carry inline; larger media go through the Files API.
    public let inlinePayloadMaxBytes: Int64
    /// A single file larger than this is uploaded rather than inlined.
    public let inlinePartMaxBytes: Int64
    /// Resolutions above this are delivered by `uri`.
    public let uriDeliveryAbove: String
    public let acceptsAudioReferences: Bool

    /// The limits for `model`, or nil when the table does not know it.
    public static func forModel(_ model: String) -> ModelLimits? {
        guard let table = try? JSONParser.parse(BuiltinTables.modelLimits), let entry = table[model] else { return nil }
        return ModelLimits(entry)
    }

    init?(_ entry: JSONValue) {
        guard let duration = entry["duration_seconds"], let min = duration["min"]?.doubleValue,
            let max = duration["max"]?.doubleValue
        else { return nil }
        minDuration = Int(min)
        maxDuration = Int(max)
        resolutions = (entry["resolutions"]?.arrayValue ?? []).compactMap(\.stringValue)
        aspectRatios = (entry["aspect_ratios"]?.arrayValue ?? []).compactMap(\.stringValue)
        tasks = (entry["tasks"]?.arrayValue ?? []).compactMap(\.stringValue)
        referenceVideoMaxSeconds = entry["reference_video_max_seconds"]?.doubleValue ?? 10
        referenceModeMaxClips = Int(entry["reference_mode_max_clips"]?.doubleValue ?? 3)
        referenceModeClipMaxSeconds = entry["reference_mode_clip_max_seconds"]?.doubleValue ?? 3
        inlinePayloadMaxBytes = Int64(entry["inline_payload_max_bytes"]?.doubleValue ?? 100_000_000)
        inlinePartMaxBytes = Int64(entry["inline_part_max_bytes"]?.doubleValue ?? 20_000_000)
        uriDeliveryAbove = entry["uri_delivery_above"]?.stringValue ?? "720p"
        acceptsAudioReferences = entry["audio_references"] == .bool(true)
    }
}
