import ArgumentParser
import OmniStore

/// `assets --like ASSET|PATH [--distance N]`: the assets that look like a
/// picture or clip, nearest first (the work is `Store.assets(_:like:within:)`).
struct LikeOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Only assets that look like this image or clip, nearest first: a file (hashed, not added), or an asset or revision (left out of its own list).",
            valueName: "ASSET|PATH"))
    var like: String?

    @Option(
        help: ArgumentHelp(
            "With --like, the largest distance listed, in bits of 256: 0 the same picture, 8 and 16 near copies, 31 (the default) re-encodes, resizes and small edits.",
            valueName: "N"))
    var distance: Int?

    func validate() throws {
        if distance != nil && like == nil { throw ValidationError("--distance needs --like") }
        if let distance, !(0...256).contains(distance) {
            throw ValidationError("--distance takes 0 to 256 bits, not \(distance)")
        }
    }

    /// The distance asked for, or Meta's match.
    var within: Int { distance ?? PDQ.matchDistance }

    /// Prints the assets `query` matches that look like `like`, as `assets`
    /// prints assets, each with its distance.
    func list(like: String, matching query: AssetQuery, in store: Store, _ global: GlobalOptions) throws {
        let line = ProgressLine()
        let matches = try store.assets(
            matching: query, like: like, within: within, progress: LooksText.progress(line))
        line.finish()
        if global.json {
            Terminal.json(.array(matches.map { LooksText.json($0.asset, distance: $0.distance) }))
        } else {
            Formatting.table(matches.map { [String($0.distance)] + Formatting.assetRow($0.asset) }).forEach(
                Terminal.out)
        }
    }
}

/// The JSON and text of looks, shared by `assets --like` and `dupes`.
enum LooksText {
    /// Shows how many looks are made, when there are enough to wait for.
    static func progress(_ line: ProgressLine) -> Store.LookProgress {
        { done, total in
            guard total >= 20 else { return }
            line.show("making looks \(done)/\(total)")
        }
    }

    /// An asset's record (the `asset` schema) with its `distance`.
    static func json(_ asset: Asset, distance: Int) -> JSONValue {
        var fields = asset.json.objectValue ?? [:]
        fields["distance"] = .int(Int64(distance))
        return .object(fields)
    }
}
