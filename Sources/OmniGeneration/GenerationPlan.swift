import OmniBasics
import OmniCore

/// What the user asked `generate`, `edit` or `translate` to do.
public struct GenerationOptions: Sendable {
    public var kind: TurnKind
    public var instruction: String
    public var references: [AssetSource] = []
    public var model: String? = nil
    public var resolution: String? = nil
    public var duration: Int? = nil
    public var aspectRatio: String? = nil
    public var task: String? = nil
    public var seed: Int? = nil
    /// The revision to continue from (edits); nil means HEAD.
    public var from: String? = nil
    /// Start this new branch at the new turn and switch to it.
    public var newBranch: String? = nil
    /// Refuse anything whose estimate is above this.
    public var maxCost: Double? = nil
    /// Extra settings recorded on the turn (`language` for translate).
    public var extraSettings: [String: JSONValue] = [:]

    public init(kind: TurnKind, instruction: String) {
        self.kind = kind
        self.instruction = instruction
    }

    /// A translation of the parent clip's speech into `language` ("German",
    /// "pt-BR"): an edit that asks for everything but the words to stay, with
    /// the language recorded in the turn's settings.
    public static func translation(into language: String) -> GenerationOptions {
        var options = GenerationOptions(
            kind: .translate,
            instruction:
                "Translate all speech in this video into \(language). Keep the same speaker, voice character, timing, lip movement, picture and everything else unchanged."
        )
        options.task = "edit"
        options.extraSettings["language"] = .string(language)
        return options
    }
}

/// A validated generation, ready to send: everything needed to build the
/// request and, later, to record the turn. It is stored with the pending
/// interaction so that `resume` can finish the work after a crash.
public struct GenerationPlan: Sendable, Equatable {
    /// A reference or source clip sent with the request.
    public struct Media: Sendable, Equatable {
        public var asset: AssetID
        public var name: String
        public var mime: String
        /// `image` or `video`.
        public var partType: String
        public var size: Int64
        /// Whether it is the parent's output, sent because the server state expired.
        public var isRehydratedSource: Bool
        /// The stored clip this is the MP4 view of, when its own container
        /// is one the API does not take.
        public var viewOf: AssetID? = nil
    }

    public var kind: TurnKind
    public var instruction: String
    public var model: String
    public var parent: TurnID?
    /// The parent's interaction, sent as `previous_interaction_id`.
    public var previousInteraction: String?
    /// True when the parent's server state is gone and its clip is sent instead.
    public var rehydrated: Bool
    public var media: [Media]
    public var resolution: String
    public var duration: Int
    public var aspectRatio: String
    public var task: String?
    public var seed: Int?
    public var delivery: String
    public var extraSettings: [String: JSONValue]
    /// The branch to create at the new turn, if any.
    public var newBranch: String?
    public var estimateUSD: Double
    public var estimateIsLabelled: Bool

    /// The settings recorded on the turn.
    public var settings: [String: JSONValue] {
        var settings = extraSettings
        settings["resolution"] = .string(resolution)
        settings["duration"] = .int(Int64(duration))
        settings["aspect_ratio"] = .string(aspectRatio)
        settings["delivery"] = .string(delivery)
        if let task { settings["task"] = .string(task) }
        if let seed { settings["seed"] = .int(Int64(seed)) }
        return settings
    }

    /// The inputs recorded on the turn: the references (not a rehydration source).
    public var inputs: [Turn.Input] {
        // A view sent in place of the parent's clip is named too: it is what the API saw.
        media.filter { !$0.isRehydratedSource || $0.viewOf != nil }.map {
            Turn.Input(asset: $0.asset, name: $0.isRehydratedSource ? "source-mp4-view" : $0.name)
        }
    }

    var json: JSONValue {
        .object([
            "kind": .string(kind.name), "instruction": .string(instruction), "model": .string(model),
            "parent": JSONValue(parent?.hex), "previous_interaction": JSONValue(previousInteraction),
            "rehydrated": .bool(rehydrated),
            "media": .array(
                media.map {
                    .object([
                        "asset": .string($0.asset.hex), "name": .string($0.name), "mime": .string($0.mime),
                        "part": .string($0.partType), "size": .int($0.size), "rehydrated": .bool($0.isRehydratedSource),
                        "view_of": JSONValue($0.viewOf?.hex),
                    ])
                }),
            "resolution": .string(resolution), "duration": .int(Int64(duration)), "aspect_ratio": .string(aspectRatio),
            "task": JSONValue(task), "seed": JSONValue(seed), "delivery": .string(delivery),
            "extra_settings": .object(extraSettings), "new_branch": JSONValue(newBranch),
            "estimate_usd": .double(estimateUSD), "estimate_labelled": .bool(estimateIsLabelled),
        ])
    }

    init(json: JSONValue) throws {
        func need<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else {
                throw StoreError(.database, "a pending interaction's plan lacks \(field)", hint: Hint("run {}", .check))
            }
            return value
        }
        kind = TurnKind(try need(json["kind"]?.stringValue, "kind"))
        instruction = try need(json["instruction"]?.stringValue, "instruction")
        model = try need(json["model"]?.stringValue, "model")
        parent = json["parent"]?.stringValue.flatMap(TurnID.init)
        previousInteraction = json["previous_interaction"]?.stringValue
        rehydrated = json["rehydrated"] == .bool(true)
        media = try (json["media"]?.arrayValue ?? []).map { item in
            Media(
                asset: try need(item["asset"]?.stringValue.flatMap(AssetID.init), "media asset"),
                name: item["name"]?.stringValue ?? "", mime: item["mime"]?.stringValue ?? "application/octet-stream",
                partType: item["part"]?.stringValue ?? "video", size: Int64(item["size"]?.doubleValue ?? 0),
                isRehydratedSource: item["rehydrated"] == .bool(true),
                viewOf: item["view_of"]?.stringValue.flatMap(AssetID.init))
        }
        resolution = try need(json["resolution"]?.stringValue, "resolution")
        duration = Int(try need(json["duration"]?.doubleValue, "duration"))
        aspectRatio = try need(json["aspect_ratio"]?.stringValue, "aspect_ratio")
        task = json["task"]?.stringValue
        seed = json["seed"]?.doubleValue.map { Int($0) }
        delivery = json["delivery"]?.stringValue ?? "inline"
        extraSettings = json["extra_settings"]?.objectValue ?? [:]
        newBranch = json["new_branch"]?.stringValue
        estimateUSD = json["estimate_usd"]?.doubleValue ?? 0
        estimateIsLabelled = json["estimate_labelled"] == .bool(true)
    }

    init(
        kind: TurnKind, instruction: String, model: String, parent: TurnID?, previousInteraction: String?,
        rehydrated: Bool, media: [Media], resolution: String, duration: Int, aspectRatio: String, task: String?,
        seed: Int?, delivery: String, extraSettings: [String: JSONValue], newBranch: String?, estimateUSD: Double,
        estimateIsLabelled: Bool
    ) {
        self.kind = kind
        self.instruction = instruction
        self.model = model
        self.parent = parent
        self.previousInteraction = previousInteraction
        self.rehydrated = rehydrated
        self.media = media
        self.resolution = resolution
        self.duration = duration
        self.aspectRatio = aspectRatio
        self.task = task
        self.seed = seed
        self.delivery = delivery
        self.extraSettings = extraSettings
        self.newBranch = newBranch
        self.estimateUSD = estimateUSD
        self.estimateIsLabelled = estimateIsLabelled
    }
}
