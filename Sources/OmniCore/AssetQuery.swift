import GRDB
import OmniMedia

/// What ``Store/assets(matching:)`` lists: every filter that is set must
/// hold (AND). Sizes are display sizes (rotation applied), as `show` reports
/// them.
public struct AssetQuery: Sendable, Equatable {
    public enum Orientation: String, Sendable, CaseIterable {
        /// Taller than wide.
        case portrait
        /// Wider than tall.
        case landscape
        case square
    }

    public enum Sort: String, Sendable, CaseIterable {
        /// Oldest first, as added (the default).
        case added
        /// Largest first.
        case size
        /// Longest first.
        case duration
        /// Widest first.
        case width
    }

    public var kind: MediaKind? = nil
    /// A shell glob (`*`, `?`, `[…]`) that some path the asset was added
    /// from matches, whole; absolute, as paths are recorded.
    public var pathGlob: String? = nil
    public var orientation: Orientation? = nil
    public var minWidth: Int? = nil
    public var minHeight: Int? = nil
    /// Seconds, inclusive.
    public var minDuration: Double? = nil
    public var maxDuration: Double? = nil
    /// A stream's codec, as ffprobe names it (`h264`, `hevc`, `aac`, `png`).
    public var codec: String? = nil
    /// RFC 3339 UTC: added (or re-added) at or after this moment.
    public var addedSince: String? = nil
    /// RFC 3339 UTC: shot at or after this moment (`MediaInfo.capturedAt`);
    /// an asset whose file does not say when it was shot does not match.
    public var takenSince: String? = nil
    /// Used by a turn (as its output or an input), or by none.
    public var used: Bool? = nil
    /// In the library, or out of it (kept only by turns).
    public var inLibrary: Bool? = nil
    /// Used (as output or input) by the turns of this branch: its tip and
    /// every turn it descends from.
    public var branch: String? = nil
    /// Tags the asset must all have; a tag also matches the tags under it
    /// (`brand` matches `brand/logo/dark`).
    public var tags: [String] = []
    /// Inclusive bounds of the rating (0–5); an unrated asset matches neither.
    public var minRating: Int? = nil
    public var maxRating: Int? = nil
    public var sort: Sort = .added

    public init() {}
}

extension AssetQuery {
    /// The WHERE clause and its arguments, over `asset a`.
    func sql() -> (whereClause: String, arguments: StatementArguments) {
        var clauses: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let kind {
            clauses.append("a.kind = ?")
            arguments.append(kind.rawValue)
        }
        if let pathGlob {
            // A glob's literal prefix is a range of asset_path_by_path.
            clauses.append("a.id IN (SELECT p.asset_id FROM asset_path p WHERE p.path GLOB ?)")
            arguments.append(pathGlob)
        }
        switch orientation {
        case .portrait?: clauses.append("a.display_height > a.display_width")
        case .landscape?: clauses.append("a.display_width > a.display_height")
        case .square?: clauses.append("a.display_width = a.display_height")
        case nil: break
        }
        if let minWidth {
            clauses.append("a.display_width >= ?")
            arguments.append(minWidth)
        }
        if let minHeight {
            clauses.append("a.display_height >= ?")
            arguments.append(minHeight)
        }
        if let minDuration {
            clauses.append("a.duration >= ?")
            arguments.append(minDuration)
        }
        if let maxDuration {
            clauses.append("a.duration <= ?")
            arguments.append(maxDuration)
        }
        if let codec {
            clauses.append(
                "EXISTS (SELECT 1 FROM json_each(a.probe, '$.streams') s WHERE json_extract(s.value, '$.codec') = ?)")
            arguments.append(codec)
        }
        if let addedSince {
            clauses.append(
                """
                coalesce((SELECT max(coalesce(p.touched_at, p.added_at)) FROM asset_path p WHERE p.asset_id = a.id),
                         a.added_at) >= ?
                """)
            arguments.append(addedSince)
        }
        if let takenSince {
            clauses.append("a.taken_at >= ?")
            arguments.append(takenSince)
        }
        if let used {
            let exists = """
                (EXISTS (SELECT 1 FROM turn t WHERE t.output = a.id)
                 OR EXISTS (SELECT 1 FROM turn_input i WHERE i.asset = a.id))
                """
            clauses.append(used ? exists : "NOT " + exists)
        }
        for tag in tags {
            // Two index ranges of asset_tag_by_tag: the tag itself, and the tags under it.
            clauses.append(
                "a.id IN (SELECT t.asset FROM asset_tag t WHERE t.tag = ? OR (t.tag > ? AND t.tag < ?))")
            arguments.append(tag)
            arguments.append(tag + "/")
            arguments.append(tag + "0")  // '0' follows '/' in byte order
        }
        if minRating != nil || maxRating != nil {
            clauses.append(
                "a.id IN (SELECT r.asset FROM asset_rating r WHERE r.rating BETWEEN ? AND ?)")
            arguments.append(minRating ?? 0)
            arguments.append(maxRating ?? 5)
        }
        if let branch {
            // The branch's history, walked once through turn_parent's primary key.
            clauses.append(
                """
                a.id IN (
                    WITH RECURSIVE history(seq) AS (
                        SELECT t.seq FROM ref r JOIN turn t ON t.id = r.target WHERE r.name = ?
                        UNION SELECT p.parent FROM turn_parent p JOIN history h ON p.child = h.seq)
                    SELECT t.output FROM turn t WHERE t.seq IN history
                    UNION SELECT i.asset FROM turn_input i WHERE i.turn IN history)
                """)
            arguments.append("refs/heads/" + branch)
        }
        if let inLibrary {
            clauses.append((inLibrary ? "" : "NOT ") + "EXISTS (SELECT 1 FROM library l WHERE l.asset = a.id)")
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), StatementArguments(arguments))
    }

    var orderBy: String {
        switch sort {
        case .added: "a.added_at, a.id"
        case .size: "a.size DESC, a.id"
        case .duration: "a.duration DESC, a.id"
        case .width: "a.display_width DESC, a.id"
        }
    }
}
