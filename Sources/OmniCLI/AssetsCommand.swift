import ArgumentParser
import Foundation
import OmniMedia
import OmniStore

extension MediaKind: ExpressibleByArgument {}
extension AssetQuery.Orientation: ExpressibleByArgument {}
extension AssetQuery.Sort: ExpressibleByArgument {}

struct AssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "List stored assets: id, kind, size in pixels, duration, first path.",
        discussion: """
            Filters combine with AND. Sizes are display sizes, with rotation applied (a portrait phone \
            clip is portrait). Examples: --orientation portrait --duration 3s..10s; --codec hevc \
            --added-since 7d; --path '*/logos/*.png' --unused.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only assets of this kind: image, video or audio.")
    var kind: MediaKind?

    @Option(
        help: ArgumentHelp(
            "Only assets added from a path matching this shell glob (relative to the current folder unless absolute).",
            valueName: "GLOB"))
    var path: String?

    @Option(help: "Only portrait, landscape or square pictures.")
    var orientation: AssetQuery.Orientation?

    @Option(help: ArgumentHelp("Only pictures at least this wide, in pixels.", valueName: "PIXELS"))
    var minWidth: Int?

    @Option(help: ArgumentHelp("Only pictures at least this tall, in pixels.", valueName: "PIXELS"))
    var minHeight: Int?

    @Option(
        help: ArgumentHelp(
            "Only clips whose duration is in this range: 3s..10s, ..10s, 2.5s.. (seconds; the s is optional).",
            valueName: "RANGE"))
    var duration: String?

    @Option(help: ArgumentHelp("Only assets with a stream in this codec (h264, hevc, aac, png…).", valueName: "NAME"))
    var codec: String?

    @Option(
        help: ArgumentHelp(
            "Only assets added since this age (30m, 12h, 7d, 2w) or date (2026-11-01, or RFC 3339).",
            valueName: "WHEN"))
    var addedSince: String?

    @Option(
        help: ArgumentHelp(
            "Only footage shot on or after this date (2026-11-01) or within this age (7d), by its QuickTime or container capture time.",
            valueName: "DATE|AGE"))
    var takenSince: String?

    @Flag(help: "Only assets a turn uses (as its output or an input).")
    var used = false

    @Flag(help: "Only assets no turn uses.")
    var unused = false

    @Option(
        help: ArgumentHelp(
            "Only assets with this tag, or a tag under it (brand matches brand/logo); repeat for all of several.",
            valueName: "TAG"))
    var tag: [String] = []

    @Option(help: ArgumentHelp("Only assets rated in this range: 4.. , ..2 or 3..5 (0 to 5).", valueName: "RANGE"))
    var rating: String?

    @Option(
        name: .customLong("on"),
        help: ArgumentHelp("Only assets the turns of this branch use (its whole history).", valueName: "BRANCH"))
    var branch: String?

    @Option(help: "Order: added (oldest first, the default), size, duration or width (largest first).")
    var sort: AssetQuery.Sort = .added

    @OptionGroup var looks: LikeOptions

    func validate() throws {
        for tag in tag {
            if let problem = Store.tagProblem(tag) { throw ValidationError(problem) }
        }
        if let rating, Self.ratingRange(rating) == nil {
            throw ValidationError("--rating takes a range of 0 to 5 such as 4.., ..2 or 3..5, not '\(rating)'")
        }
        if used && unused { throw ValidationError("give --used or --unused, not both") }
        if let duration, Self.durationRange(duration) == nil {
            throw ValidationError("--duration takes a range such as 3s..10s, ..10s or 2.5s.., not '\(duration)'")
        }
        if let takenSince, Self.moment(takenSince, now: Date()) == nil {
            throw ValidationError(
                "--taken-since takes an age such as 7d or 12h, or a date such as 2026-11-01, not '\(takenSince)'")
        }
        if let addedSince, Self.moment(addedSince, now: Date()) == nil {
            throw ValidationError(
                "--added-since takes an age such as 7d or 12h, or a date such as 2026-11-01, not '\(addedSince)'")
        }
        for (name, value) in [("--min-width", minWidth), ("--min-height", minHeight)] {
            if let value, value < 1 { throw ValidationError("\(name) takes a positive number of pixels") }
        }
    }

    func run() throws {
        var query = AssetQuery()
        query.kind = kind
        query.pathGlob = path.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        query.orientation = orientation
        query.minWidth = minWidth
        query.minHeight = minHeight
        if let range = duration.flatMap(Self.durationRange) { (query.minDuration, query.maxDuration) = range }
        query.codec = codec
        query.addedSince = addedSince.flatMap { Self.moment($0, now: Date()) }
        query.takenSince = takenSince.flatMap { Self.moment($0, now: Date()) }
        query.used = used ? true : unused ? false : nil
        query.tags = tag
        query.branch = branch
        if let range = rating.flatMap(Self.ratingRange) { (query.minRating, query.maxRating) = range }
        query.sort = sort
        let store = try global.openStore()
        if let like = looks.like {
            return try looks.list(like: like, matching: query, in: store, global)
        }
        if global.json {
            // The full records: the asset, its metadata, and whether it is in the library.
            let assets = try store.assets(matching: query)
            let listing = try store.listing(of: assets.map(\.id))
            Terminal.json(.array(assets.map { Self.json($0, listing[$0.id]) }))
        } else {
            // The lines need only indexed columns: no probe is decoded.
            Formatting.table(try store.assetSummaries(matching: query).map(Formatting.assetRow)).forEach(Terminal.out)
        }
    }

    static func json(_ asset: Asset, _ listed: (metadata: AssetMetadata, inLibrary: Bool)?) -> JSONValue {
        guard case .object(var fields) = asset.json else { return asset.json }
        // `tags` already holds the container's tags (creation_time, encoder).
        fields["meta"] = (listed?.metadata ?? AssetMetadata()).json
        fields["in_library"] = .bool(listed?.inLibrary ?? false)
        fields["taken_at"] = JSONValue(asset.media.capturedAt)
        return .object(fields)
    }

    /// `4..`, `..2`, `3..5` or `4`: inclusive bounds within 0–5; nil when malformed.
    static func ratingRange(_ text: String) -> (Int?, Int?)? {
        let parts = text.components(separatedBy: "..")
        if parts.count == 1, let value = Int(text), (0...5).contains(value) { return (value, value) }
        guard parts.count == 2 else { return nil }
        func bound(_ part: String) -> Int?? {
            if part.isEmpty { return .some(nil) }
            guard let value = Int(part), (0...5).contains(value) else { return nil }
            return .some(value)
        }
        guard let low = bound(parts[0]), let high = bound(parts[1]), low != nil || high != nil else { return nil }
        if let low, let high, low > high { return nil }
        return (low, high)
    }

    /// `3s..10s`, `..10`, `2.5s..`: inclusive bounds in seconds; nil when malformed.
    static func durationRange(_ text: String) -> (Double?, Double?)? {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2 else { return nil }
        func seconds(_ part: String) -> Double?? {
            let trimmed = part.hasSuffix("s") ? String(part.dropLast()) : part
            if trimmed.isEmpty { return .some(nil) }
            guard let value = Double(trimmed), value >= 0, value.isFinite else { return nil }
            return .some(value)
        }
        guard let low = seconds(parts[0]), let high = seconds(parts[1]), low != nil || high != nil else { return nil }
        if let low, let high, low > high { return nil }
        return (low, high)
    }

    /// An age before `now` (`30m`, `12h`, `7d`, `2w`) or a date, as RFC 3339 UTC; nil when malformed.
    static func moment(_ text: String, now: Date) -> String? {
        let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count >= 0 {
            return Timestamp.format(now.addingTimeInterval(-count * unit))
        }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Timestamp.format(date) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return Timestamp.format(date) }
        return nil
    }
}
