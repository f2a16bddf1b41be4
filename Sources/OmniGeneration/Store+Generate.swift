import OmniBasics
import Foundation
import GRDB
import OmniHTTP
import OmniInteractions
import OmniMedia
import OmniCore

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// The model used when none is given: the `model` setting, else Gemini Omni Flash.
    public func defaultModel() throws -> String {
        try config("model") ?? "gemini-omni-1.1-flash"
    }

    /// Days the API keeps interaction state (55 on paid tiers); older parents are rehydrated.
    func retentionDays() throws -> Double {
        try config("retention_days").flatMap(Double.init) ?? 55
    }

    /// Checks a generation against the model's limits and prices it, without
    /// sending anything. Every rule the API would reject (and bill) is checked here.
    public func planGeneration(_ options: GenerationOptions) throws -> GenerationPlan {
        try lease.acquireShared()
        let instruction = options.instruction.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else {
            throw StoreError(.invalidArgument, "the instruction is empty: say what to generate or change")
        }
        let model = try options.model ?? defaultModel()
        guard let limits = ModelLimits.forModel(model) else {
            throw StoreError(.invalidArgument, "unknown model '\(model)': omnistore knows gemini-omni-1.1-flash")
        }
        // An edit keeps its source's format unless told otherwise.
        let source = try options.kind == .generate ? nil : turn(resolve(options.from ?? "HEAD"))
        let resolution = options.resolution ?? source?.settings["resolution"]?.stringValue ?? "720p"
        guard limits.resolutions.contains(resolution) else {
            throw StoreError(
                .invalidArgument,
                "resolution \(resolution) is not offered: use \(limits.resolutions.joined(separator: ", "))")
        }
        // An edit, extend or translate keeps its source's shape: the setting
        // of the turn that made it, else the nearer of 16:9 and 9:16 to how
        // the clip displays (a recorded portrait phone clip is 9:16).
        var sourceAspect = source?.settings["aspect_ratio"]?.stringValue
        if sourceAspect == nil, let source, let display = try asset(id: source.output).media.displaySize {
            sourceAspect = display.height > display.width ? "9:16" : "16:9"
        }
        let aspect = options.aspectRatio ?? sourceAspect ?? "16:9"
        guard limits.aspectRatios.contains(aspect) else {
            throw StoreError(
                .invalidArgument,
                "aspect ratio \(aspect) is not offered: use \(limits.aspectRatios.joined(separator: " or "))")
        }
        if let task = options.task, !limits.tasks.contains(task) {
            throw StoreError(.invalidArgument, "task \(task) is unknown: use \(limits.tasks.joined(separator: ", "))")
        }
        if let newBranch = options.newBranch {
            let branch = try BranchName(newBranch)
            if try branches().contains(where: { $0.name == branch }) {
                throw StoreError(.conflict, "a branch named '\(newBranch)' already exists: pick another name")
            }
        }

        var parent: TurnID? = nil
        var previousInteraction: String? = nil
        var media: [GenerationPlan.Media] = []
        var rehydrated = false
        var duration = options.duration
        if options.kind != .generate {
            let parentID = try resolve(options.from ?? "HEAD")
            let parentTurn = try turn(parentID)
            parent = parentID
            let parentOutput = try asset(id: parentTurn.output)
            if options.kind == .translate, !parentOutput.media.streams.contains(where: { $0.type == .audio }) {
                throw StoreError(
                    .invalidArgument,
                    "turn \(parentID.short)'s clip has no audio stream, so there is no speech to translate: nothing was sent"
                )
            }
            if duration == nil, let seconds = parentOutput.duration {
                duration = min(max(Int(seconds.rounded()), limits.minDuration), limits.maxDuration)
            }
            // The server's own creation time says how old its state is; the
            // turn's date can be set by the user and says less.
            let serverCreated = parentTurn.interaction?.extra["created"]?.stringValue.flatMap(Store.parseServerTime)
            let age =
                (serverCreated ?? Timestamp.parse(parentTurn.createdAt)).map { Date().timeIntervalSince($0) / 86_400 }
                ?? 0
            if let interaction = parentTurn.interaction, interaction.status == "completed", age < (try retentionDays())
            {
                previousInteraction = interaction.id
            } else {
                rehydrated = true
                media.append(try mediaPart(parentOutput, name: "source", limits: limits, rehydrated: true))
            }
        } else if options.from != nil {
            throw StoreError(
                .invalidArgument, "generate makes a new root turn",
                hint: Hint("use {} to continue a version", .editFrom))
        } else if options.newBranch == nil, case .branch(let branch, let tip?) = try head() {
            _ = tip
            throw StoreError(
                .conflict,
                "branch '\(branch.name)' already has turns and generate starts a new clip",
                hint: Hint("give {} to start it on a new branch", .option(.newBranch)))
        }
        let seconds = duration ?? 8
        guard (limits.minDuration...limits.maxDuration).contains(seconds) else {
            throw StoreError(
                .invalidArgument, "a clip lasts \(limits.minDuration) to \(limits.maxDuration) seconds, not \(seconds)")
        }
        for source in options.references {
            let (id, name) = try storeAsset(source, intoLibrary: true)
            media.append(try mediaPart(asset(id: id), name: name, limits: limits, rehydrated: false))
        }
        let references = media.filter { !$0.isRehydratedSource }
        if options.task == "reference_to_video" {
            let clips = try references.filter { $0.partType == "video" }.map { try asset(id: $0.asset) }
            if clips.count > limits.referenceModeMaxClips {
                throw StoreError(
                    .invalidArgument,
                    "reference mode takes at most \(limits.referenceModeMaxClips) clips, not \(clips.count)")
            }
            if let long = clips.first(where: { ($0.duration ?? 0) > limits.referenceModeClipMaxSeconds + 0.05 }) {
                throw StoreError(
                    .invalidArgument,
                    "reference clips last at most \(Int(limits.referenceModeClipMaxSeconds)) s; \(long.id.short) lasts \(String(format: "%.1f", long.duration ?? 0)) s: trim it first"
                )
            }
        }
        let inlineBytes = media.filter { $0.size <= limits.inlinePartMaxBytes }.reduce(Int64(0)) {
            $0 + ($1.size + 2) / 3 * 4
        }
        if inlineBytes > limits.inlinePayloadMaxBytes {
            throw StoreError(
                .invalidArgument,
                "the inline media add up to \(inlineBytes) bytes, over the \(limits.inlinePayloadMaxBytes) limit")
        }
        let pricing = try PricingTable.load(for: layout)
        let rate = pricing.rate(model: model, resolution: resolution) ?? (0.10, true)
        // Bills above their estimates raise later estimates by the same
        // ratio, so that --max-cost compares with what is actually billed.
        let calibration = try billedOverEstimated(model: model, resolution: resolution)
        let estimate = (rate.usd * Double(seconds) * max(1, calibration) * 1_000_000).rounded() / 1_000_000
        if let maxCost = options.maxCost, estimate > maxCost + 1e-9 {
            throw StoreError(
                .invalidArgument,
                String(format: "this would cost about $%.2f (%d s at %@)", estimate, seconds, resolution),
                hint: Hint("more than {} " + String(format: "$%.2f", maxCost), .option(.maxCost), separator: ", "))
        }
        let order = ["360p", "720p", "1080p", "4k"]
        let delivery =
            (order.firstIndex(of: resolution) ?? 0) > (order.firstIndex(of: limits.uriDeliveryAbove) ?? 1)
            ? "uri" : "inline"
        return GenerationPlan(
            kind: options.kind, instruction: instruction, model: model, parent: parent,
            previousInteraction: previousInteraction, rehydrated: rehydrated, media: media, resolution: resolution,
            duration: seconds, aspectRatio: aspect, task: rehydrated ? (options.task ?? "edit") : options.task,
            seed: options.seed, delivery: delivery, extraSettings: options.extraSettings, newBranch: options.newBranch,
            estimateUSD: estimate, estimateIsLabelled: rate.estimated)
    }

    private func mediaPart(_ asset: Asset, name: String, limits: ModelLimits, rehydrated: Bool) throws
        -> GenerationPlan.Media
    {
        // Checked before anything is sent: the API bills a request it then refuses.
        let wireType = APIMediaType.wire(for: asset.mime)
        if asset.kind == .video, wireType == nil {
            // A container the API takes under no name (MPEG-TS, Matroska) is
            // sent as its MP4 view: a stored object of its own, remuxed
            // without re-encoding, named in the turn instead of the original.
            let view = try remuxedView(of: asset, name: name)
            var part = try mediaPart(view, name: name, limits: limits, rehydrated: rehydrated)
            part.viewOf = asset.id
            return part
        }
        if asset.kind != .audio, wireType == nil {
            let file = asset.paths.first.map { ($0 as NSString).lastPathComponent } ?? "out"
            throw StoreError(
                .invalidArgument,
                "'\(name)' is \(APIMediaType.containerName(asset.mime)), which the API does not accept: remux it to MP4 (ffmpeg -i '\(file)' -c copy '\(file).mp4'), add that and use it"
            )
        }
        let mime = wireType ?? asset.mime
        switch asset.kind {
        case .audio:
            throw StoreError(
                .invalidArgument,
                "'\(name)' is audio, and the API does not accept audio references (photo + voice lip-sync is blocked by policy)",
                hint: Hint("to localize speech, use {}", .translate))
        case .video:
            // The reference: input videos for edit or extend last at most 10 s, as do video references.
            if let seconds = asset.duration, seconds > limits.referenceVideoMaxSeconds + 0.05 {
                let what = rehydrated ? "the clip to continue (\(name))" : "reference video '\(name)'"
                throw StoreError(
                    .invalidArgument,
                    "\(what) lasts \(String(format: "%.1f", seconds)) s; the API takes input videos of at most \(Int(limits.referenceVideoMaxSeconds)) s: trim it first, record the trimmed clip, and edit that"
                )
            }
            return .init(
                asset: asset.id, name: name, mime: mime, partType: "video", size: asset.size,
                isRehydratedSource: rehydrated)
        case .image:
            return .init(
                asset: asset.id, name: name, mime: mime, partType: "image", size: asset.size,
                isRehydratedSource: rehydrated)
        }
    }

    /// The MP4 view of a clip in a container the API does not take: its
    /// streams copied packet for packet (bit-exact, so the same clip always
    /// gives the same object), stored like any asset, with the path
    /// `remux-of:<id>` saying where it came from.
    func remuxedView(of asset: Asset, name: String) throws -> Asset {
        try fetchIfLazy(asset.id)
        let temporary =
            try temporaryDirectory() + "/remux-\(asset.id.hex.prefix(16))-\(UUID().uuidString.prefix(8)).mp4"
        defer { unlink(temporary) }
        do {
            try Remuxer.remuxToMP4(from: layout.objectPath(asset.id), to: temporary)
        } catch let error as MediaError {
            let file = asset.paths.first.map { ($0 as NSString).lastPathComponent } ?? "clip"
            throw StoreError(
                .invalidArgument,
                "'\(name)' is \(APIMediaType.containerName(asset.mime)), which the API does not accept, and its streams cannot go into an MP4 as they are (\(error.message)): re-encode it (ffmpeg -i '\(file)' -c:v libx264 -c:a aac '\(file).mp4'), add that and use it"
            )
        }
        return try add(file: temporary, recordedPath: "remux-of:\(asset.id.hex)").asset
    }

    /// The JSON request for a plan. Media small enough go inline as base64,
    /// streamed from the object file; larger ones are uploaded with the
    /// Files API (only when `client` is given; a dry run shows a placeholder).
    ///
    /// - Returns: the body to send, and the request as shown by `--dry-run`
    ///   (base64 replaced by a placeholder; the key is never part of it).
    func requestBody(
        _ plan: GenerationPlan, client: InteractionsClient?, events: (GenerationEvent) -> Void
    ) throws -> (body: [BodySegment], shown: JSONValue) {
        guard let limits = ModelLimits.forModel(plan.model) else {
            throw StoreError(.invalidArgument, "unknown model '\(plan.model)'")
        }
        let token = "omnistore-inline-\(UUID().uuidString)"
        var parts: [JSONValue] = []
        var shownParts: [JSONValue] = []
        var inlineFiles: [String] = []
        for item in plan.media {
            if client != nil { try fetchIfLazy(item.asset) }
            let path = layout.objectPath(item.asset)
            var part: [String: JSONValue] = ["type": .string(item.partType), "mime_type": .string(item.mime)]
            var shown = part
            if item.size <= limits.inlinePartMaxBytes {
                part["data"] = .string("\(token)-\(inlineFiles.count)")
                shown["data"] = .string("<base64 of \(item.name), \(item.size) bytes>")
                inlineFiles.append(path)
            } else if let client {
                events(.uploading(name: item.name, bytes: item.size))
                let uri: String
                do {
                    uri = try client.upload(path: path, mimeType: item.mime, displayName: item.name, size: item.size)
                } catch let error as InteractionsError {
                    throw StoreError(.io, "cannot upload '\(item.name)': \(error)")
                }
                part["uri"] = .string(uri)
                shown["uri"] = .string(uri)
            } else {
                shown["uri"] = .string("<Files API upload of \(item.name), \(item.size) bytes>")
            }
            parts.append(.object(part))
            shownParts.append(.object(shown))
        }
        parts.append(.object(["type": .string("text"), "text": .string(plan.instruction)]))
        shownParts.append(.object(["type": .string("text"), "text": .string(plan.instruction)]))
        func request(_ input: [JSONValue]) -> JSONValue {
            var body: [String: JSONValue] = [
                "model": .string(plan.model),
                "input": .array(input),
                "response_format": .object([
                    "type": .string("video"), "resolution": .string(plan.resolution),
                    "aspect_ratio": .string(plan.aspectRatio), "duration": .string("\(plan.duration)s"),
                    "delivery": .string(plan.delivery),
                ]),
                "background": .bool(true),
                "store": .bool(true),
            ]
            var generation: [String: JSONValue] = [:]
            if let task = plan.task { generation["video_config"] = .object(["task": .string(task)]) }
            if let seed = plan.seed { generation["seed"] = .int(Int64(seed)) }
            if !generation.isEmpty { body["generation_config"] = .object(generation) }
            if let previous = plan.previousInteraction { body["previous_interaction_id"] = .string(previous) }
            return .object(body)
        }
        let text = request(parts).compactText
        var segments: [BodySegment] = []
        var rest = Substring(text)
        for (index, path) in inlineFiles.enumerated() {
            let marker = "\(token)-\(index)"
            guard let range = rest.range(of: marker) else { continue }
            segments.append(.bytes(Array(rest[..<range.lowerBound].utf8)))
            let size = Int64((try? FileDescriptor.openForReading(path).status().st_size) ?? 0)
            segments.append(.base64File(path: path, length: size))
            rest = rest[range.upperBound...]
        }
        segments.append(.bytes(Array(rest.utf8)))
        return (segments, request(shownParts))
    }

    /// Runs a generation end to end: validate, send, save as pending, poll,
    /// download, add the clip, record the turn.
    ///
    /// - Parameters:
    ///   - options: what to make: the kind, instruction, references and settings.
    ///   - client: the Interactions API client.
    ///   - events: progress, called on this thread.
    ///   - shouldStop: polled while waiting; returning true leaves the
    ///   interaction pending and throws ``GenerationInterrupted``.
    public func generate(
        _ options: GenerationOptions, client: InteractionsClient,
        events: @escaping (GenerationEvent) -> Void = { _ in },
        shouldStop: @escaping () -> Bool = { false }
    ) throws -> GenerationResult {
        var plan = try planGeneration(options)
        let interaction: Interaction
        do {
            interaction = try create(plan, client: client, events: events)
        } catch let error as InteractionsError
            where error.kind == .notFound && plan.previousInteraction != nil && error.apiCode != "model_not_found"
        {
            events(.rehydrating(reason: "the server no longer has interaction \(plan.previousInteraction ?? "")"))
            plan = try rehydrated(plan)
            interaction = try create(plan, client: client, events: events)
        }
        return try finish(interaction.id, plan: plan, client: client, events: events, shouldStop: shouldStop)
    }

    /// The same edit, sending the parent's clip instead of its expired server state.
    func rehydrated(_ plan: GenerationPlan) throws -> GenerationPlan {
        guard let parent = plan.parent, let limits = ModelLimits.forModel(plan.model) else { return plan }
        var next = plan
        next.previousInteraction = nil
        next.rehydrated = true
        next.task = plan.task ?? "edit"
        next.media.insert(
            try mediaPart(asset(id: turn(parent).output), name: "source", limits: limits, rehydrated: true), at: 0)
        return next
    }

    private func create(_ plan: GenerationPlan, client: InteractionsClient, events: (GenerationEvent) -> Void) throws
        -> Interaction
    {
        let (body, _) = try requestBody(plan, client: client, events: events)
        // Journaled before it is sent: a kill before the reply leaves a
        // record that this request may be billed, whatever becomes of the index.
        let attempt = UUID().uuidString.lowercased()
        try write("cannot journal the request before sending it") { _ in
            RefJournal.sending(attempt: attempt, plan: plan.json, at: Store.now())
        }
        let interaction: Interaction
        do {
            interaction = try client.create(
                body: body, spillDirectory: try temporaryDirectory(), maxVideoBytes: Store.downloadLimit(plan))
        } catch let error as InteractionsError where error.unanswered {
            // Sent, and no usable answer: the API may have started it. It is
            // kept as an attempt that says so, never forgotten, never re-sent.
            try recordUnanswered(plan: plan, error: error, attempt: attempt)
            if error.kind == .interrupted { throw GenerationInterrupted(interaction: nil) }
            var told = InteractionsError(
                error.kind, status: error.status, apiCode: error.apiCode, message: error.message)
            told.unanswered = true
            told.aside = Hint(
                "the request may have started and be billed: it is kept as an attempt ({})", .listAttempts,
                separator: "; ")
            throw told
        } catch {
            try? write("cannot journal the refused request") { _ in RefJournal.sendFailed(attempt: attempt) }
            throw error
        }
        for file in interaction.spillFiles { unlink(file) }
        let now = Store.now()
        try write("cannot save pending interaction \(interaction.id)") { db in
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO pending (interaction_id, status, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [interaction.id, interaction.status, plan.json.compactText, now, now])
            RefJournal.pending(
                attempt: attempt, interaction: interaction.id, status: interaction.status, plan: plan.json.compactText,
                at: now)
        }
        events(.created(interaction: interaction.id))
        return interaction
    }

    /// Polls a pending interaction to its end and records the result.
    func finish(
        _ id: String, plan: GenerationPlan, client: InteractionsClient, events: @escaping (GenerationEvent) -> Void,
        shouldStop: @escaping () -> Bool
    ) throws -> GenerationResult {
        let started = Date()
        var delay = Store.initialPollDelay
        var interaction: Interaction
        while true {
            do {
                interaction = try client.get(
                    id, spillDirectory: try temporaryDirectory(), maxVideoBytes: Store.downloadLimit(plan))
            } catch let error as InteractionsError where error.kind == .interrupted {
                throw GenerationInterrupted(interaction: id)
            }
            if interaction.isTerminal { break }
            for file in interaction.spillFiles { unlink(file) }
            events(.polling(interaction: id, status: interaction.status, elapsed: Date().timeIntervalSince(started)))
            let wakeAt = Date().addingTimeInterval(delay)
            while Date() < wakeAt {
                if shouldStop() { throw GenerationInterrupted(interaction: id) }
                Thread.sleep(forTimeInterval: min(0.05, max(0, wakeAt.timeIntervalSinceNow)))
            }
            if shouldStop() { throw GenerationInterrupted(interaction: id) }
            delay = min(delay * 1.5, Store.maxPollDelay)
        }
        defer { for file in interaction.spillFiles { unlink(file) } }
        if let failure = interaction.failure {
            try recordFailure(id, plan: plan, status: interaction.status, error: failure)
            throw failure
        }
        guard let video = interaction.video else { throw InteractionsError(.noVideo, message: "no video") }
        // A name of its own: another process may be finishing the same interaction.
        let clip = try temporaryDirectory() + "/\(Store.safeFileName(id))-\(UUID().uuidString.prefix(8)).mp4"
        let fd = Glibc.open(clip, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileDescriptor.posixError(errno, "cannot write '\(clip)'") }
        defer { unlink(clip) }
        do {
            defer { close(fd) }
            switch video {
            case .uri(let uri):
                do {
                    _ = try client.download(uri, to: fd, maxBytes: Store.downloadLimit(plan)) {
                        events(.downloading(interaction: id, bytes: $0))
                    }
                } catch let error as InteractionsError where error.kind == .interrupted {
                    throw GenerationInterrupted(interaction: id)
                } catch let error as InteractionsError where error.kind == .failed {
                    // The server says the file failed (state FAILED): a real failure, not a retry.
                    try recordFailure(id, plan: plan, status: "failed", error: error)
                    throw error
                }
            default:
                _ = try InteractionsClient.writeInlineVideo(video, to: fd)
            }
            guard fsync(fd) == 0 else { throw FileDescriptor.posixError(errno, "cannot flush '\(clip)'") }
        }
        let output: Asset
        do {
            output = try add(file: clip, recordedPath: "interaction:\(id)").asset
        } catch let error as StoreError where error.code == .media {
            let failure = InteractionsError(
                .noVideo, message: "the API returned a video omnistore cannot read (\(error.message))")
            try recordFailure(id, plan: plan, status: "unreadable", error: failure)
            throw failure
        }
        let usage = try interaction.usageJSON.map(JSONParser.parse)
        var extra: [String: JSONValue] = [:]
        if let created = interaction.created { extra["created"] = .string(created) }
        if let usage { extra["usage"] = usage }
        if plan.rehydrated { extra["rehydrated"] = .bool(true) }
        let seconds = output.duration.map { ($0 * 1000).rounded() / 1000 } ?? Double(plan.duration)
        let pricing = try PricingTable.load(for: layout)
        var request = RecordRequest(output: AssetSource(.asset(output.id.hex)), instruction: plan.instruction)
        request.inputs = plan.inputs.map { AssetSource(.asset($0.asset.hex), name: $0.name) }
        request.parents = plan.parent.map { [$0.hex] } ?? []
        request.kind = plan.kind
        request.model = plan.model
        request.interaction = Turn.Interaction(
            id: id, previousID: plan.previousInteraction, status: interaction.status, extra: extra)
        request.settings = plan.settings
        request.cost = pricing.cost(model: plan.model, resolution: plan.resolution, seconds: seconds, usage: usage)
        request.cost?.estimateUSD = plan.estimateUSD
        request.newBranch = plan.newBranch
        request.pendingInteraction = id
        do {
            return GenerationResult(record: try record(request), interaction: id)
        } catch let error as StoreError where error.code == .conflict {
            if let existing = try recordedTurn(interaction: id) { return existing }
            throw error
        }
    }

    /// The result for an interaction another process already recorded, so
    /// both finish successfully and the turn exists once.
    func recordedTurn(interaction id: String) throws -> GenerationResult? {
        let found = try read("cannot look up interaction \(id)") { db in
            try String.fetchOne(
                db, sql: "SELECT id FROM turn WHERE interaction_id = ? ORDER BY seq LIMIT 1", arguments: [id])
        }
        guard let hex = found, let turnID = TurnID(hex) else { return nil }
        let turn = try self.turn(turnID)
        let branch = try branchLabels()[turnID]?.first
        return GenerationResult(
            record: RecordResult(turn: turn, branch: branch, sideBranch: nil, branchTip: nil, workfileUpdated: false),
            interaction: id, alreadyRecorded: true)
    }

    static func parseServerTime(_ text: String) -> Date? {
        Timestamp.parse(text) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    static var initialPollDelay: Double {
        ProcessInfo.processInfo.environment["OMNISTORE_POLL_INTERVAL"].flatMap(Double.init) ?? 2
    }

    static var maxPollDelay: Double {
        max(initialPollDelay, ProcessInfo.processInfo.environment["OMNISTORE_POLL_INTERVAL"].flatMap(Double.init) ?? 10)
    }

    /// The most bytes a generated clip of `plan` can be: its longest possible
    /// length at a generous bitrate for its resolution (at least 16 MiB), and
    /// never more than `OMNISTORE_MAX_DOWNLOAD_BYTES` (default 2 GiB).
    static func downloadLimit(
        _ plan: GenerationPlan, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Int64 {
        let ceiling =
            environment["OMNISTORE_MAX_DOWNLOAD_BYTES"].flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil } ?? (2 << 30)
        // Bytes per second: about 10x what the service sends at each size.
        let rates: [String: Int64] = ["360p": 2 << 20, "720p": 6 << 20, "1080p": 12 << 20, "4k": 48 << 20]
        let rate = rates[plan.resolution] ?? (48 << 20)
        // An extend returns the source plus the new part (at most 40 s in all).
        let extends = plan.task == "extend" || plan.kind == .extend
        let seconds = Int64(max(plan.duration, 10)) + (extends ? 40 : 0) + 2
        return min(ceiling, max(16 << 20, seconds * rate))
    }

    static func safeFileName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" }.prefix(100))
    }

    private func recordFailure(_ id: String, plan: GenerationPlan, status: String, error: InteractionsError) throws {
        try write("cannot record the failed attempt") { db in
            // Only the process that clears the pending entry records the outcome.
            try db.execute(sql: "DELETE FROM pending WHERE interaction_id = ?", arguments: [id])
            guard db.changesCount == 1 else { return }
            RefJournal.pendingDone(interaction: id)
            try Store.recordAttempt(
                db, interaction: id, plan: plan, status: status, code: error.apiCode ?? error.kind.rawValue,
                message: error.message, at: Store.now())
        }
    }

    /// Billed over estimated, summed over the turns of `model` at
    /// `resolution` that recorded both; 1 when there are none.
    func billedOverEstimated(model: String, resolution: String) throws -> Double {
        try read("cannot read past costs") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT total(cost_usd) AS billed, total(json_extract(record, '$.cost.estimate_usd')) AS estimated
                    FROM turn
                    WHERE model = ? AND interaction_id IS NOT NULL
                      AND json_extract(record, '$.settings.resolution') = ?
                      AND json_extract(record, '$.cost.estimate_usd') > 0
                    """, arguments: [model, resolution])
            let billed: Double = row?["billed"] ?? 0
            let estimated: Double = row?["estimated"] ?? 0
            return estimated > 0 ? billed / estimated : 1
        }
    }

    /// A create that may have reached the API but got no answer to keep.
    private func recordUnanswered(plan: GenerationPlan, error: InteractionsError, attempt: String) throws {
        try write("cannot record the unanswered request") { db in
            try Store.recordAttempt(
                db, interaction: nil, plan: plan, status: "no_reply", code: "no_reply",
                message: "sent, no reply: may be billed (\(error.message)); check the API's usage page", at: Store.now()
            )
            RefJournal.sendFailed(attempt: attempt)
        }
    }

    /// A private scratch folder inside the store, on the same filesystem as the objects.
    func temporaryDirectory() throws -> String {
        let path = layout.storeDirectory + "/tmp"
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw FileDescriptor.posixError(errno, "cannot create '\(path)'")
        }
        return path
    }

    /// Interactions started but not yet recorded, oldest first.
    public func pendingInteractions() throws -> [PendingInteraction] {
        try read("cannot read pending interactions") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pending ORDER BY created_at").map { row in
                PendingInteraction(
                    id: row["interaction_id"], status: row["status"],
                    plan: try GenerationPlan(json: JSONParser.parse(row["plan"])), createdAt: row["created_at"])
            }
        }
    }

    /// Finishes pending interactions: one by id, or all of them.
    ///
    /// - Returns: one result per interaction, in order.
    public func resume(
        _ id: String? = nil, client: InteractionsClient, events: @escaping (GenerationEvent) -> Void = { _ in },
        shouldStop: @escaping () -> Bool = { false }
    ) throws -> [Result<GenerationResult, any Error>] {
        try lease.acquireShared()
        var pending = try pendingInteractions()
        if let id {
            pending = pending.filter { $0.id == id }
            if pending.isEmpty {
                throw StoreError(
                    .notFound, "no pending interaction \(id)",
                    hint: Hint("run {} to list and finish all of them", .resume(nil)))
            }
        }
        var results: [Result<GenerationResult, any Error>] = []
        for item in pending {
            do {
                results.append(
                    .success(
                        try finish(item.id, plan: item.plan, client: client, events: events, shouldStop: shouldStop)))
            } catch let error as GenerationInterrupted {
                throw error
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// Cancels a running interaction on the server and marks it cancelled here.
    public func cancel(_ id: String, client: InteractionsClient) throws {
        guard let item = try pendingInteractions().first(where: { $0.id == id }) else {
            throw StoreError(
                .notFound, "no pending interaction \(id)", hint: Hint("{} lists what is pending", .resume(nil)))
        }
        do {
            try client.cancel(id)
        } catch let error as InteractionsError where error.kind == .notFound || error.kind == .invalidRequest {
            // Already finished or gone on the server: nothing left to stop.
        }
        try recordFailure(
            id, plan: item.plan, status: "cancelled",
            error: InteractionsError(.cancelled, message: "cancelled by the user"))
    }

    /// Generations that ended without a turn, newest first.
    public func failedAttempts() throws -> [FailedAttempt] {
        try attempts(sql: "SELECT * FROM attempt ORDER BY seq DESC")
    }

    /// Creates that were sent and got no reply, oldest first: the API may
    /// have started and billed them. They stay listed until dismissed.
    public func unansweredRequests() throws -> [FailedAttempt] {
        try attempts(sql: "SELECT * FROM attempt WHERE status = 'no_reply' ORDER BY seq")
    }

    /// Dismisses every unanswered request (after checking the API's usage
    /// page); they stay in the attempts, as `no_reply_dismissed`.
    ///
    /// - Returns: how many were dismissed.
    @discardableResult
    public func dismissUnansweredRequests() throws -> Int {
        try write("cannot dismiss the unanswered requests") { db in
            try db.execute(sql: "UPDATE attempt SET status = 'no_reply_dismissed' WHERE status = 'no_reply'")
            let count = db.changesCount
            if count > 0 { RefJournal.dismissUnanswered(at: Store.now()) }
            return count
        }
    }

    private func attempts(sql: String) throws -> [FailedAttempt] {
        try read("cannot read attempts") { db in
            try Row.fetchAll(db, sql: sql).map { row in
                FailedAttempt(
                    interaction: row["interaction_id"], kind: TurnKind(row["kind"] as String),
                    instruction: row["instruction"],
                    parent: (row["parent"] as String?).flatMap(TurnID.init), status: row["status"],
                    errorCode: row["error_code"], message: row["message"], createdAt: row["created_at"])
            }
        }
    }
}

extension Store {
    /// Validates and prices a generation and shows the exact request it would
    /// send (base64 replaced by placeholders; the key is never part of it).
    public func previewGeneration(_ options: GenerationOptions) throws -> (plan: GenerationPlan, request: JSONValue) {
        let plan = try planGeneration(options)
        return (plan, try requestBody(plan, client: nil, events: { _ in }).shown)
    }
}

extension Store {
    /// Records how a generation ended without a turn: the row and its journal line.
    static func recordAttempt(
        _ db: Database, interaction: String?, plan: GenerationPlan, status: String, code: String, message: String,
        at: String
    ) throws {
        let columns: [String: JSONValue] = [
            "interaction_id": JSONValue(interaction), "kind": .string(plan.kind.name),
            "instruction": .string(plan.instruction),
            "parent": JSONValue(plan.parent?.hex), "status": .string(status), "error_code": .string(code),
            "message": .string(message), "plan": .string(plan.json.compactText), "created_at": .string(at),
        ]
        try insertAttempt(.object(columns), db)
        RefJournal.attempt(columns)
    }
}
