import GRDB

/// What a listing line shows of an asset, read from indexed columns alone:
/// listing 10,000 assets this way decodes no probe.
public struct AssetSummary: Sendable, Equatable {
    public let id: AssetID
    public let kind: MediaKind
    /// `WIDTHxHEIGHT` as a player shows it (rotation and aspect applied), or nil for audio.
    public let dimensions: String?
    public let duration: Double?
    /// The path it was first added from, if any.
    public let firstPath: String?
}

extension Store {
    /// The summaries of the assets a query matches, in its order (see ``assets(matching:)``).
    public func assetSummaries(matching query: AssetQuery) throws -> [AssetSummary] {
        try checkBranch(of: query)
        return try read("cannot list assets") { db in
            let (whereClause, arguments) = query.sql()
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.kind, a.duration, coalesce(a.display_width, a.width) AS w,
                        coalesce(a.display_height, a.height) AS h,
                        (SELECT p.path FROM asset_path p WHERE p.asset_id = a.id ORDER BY p.added_at, p.rowid LIMIT 1)
                            AS first_path
                    FROM asset a WHERE \(whereClause) ORDER BY \(query.orderBy)
                    """, arguments: arguments)
            return rows.map { row in
                let width: Int? = row["w"]
                let height: Int? = row["h"]
                return AssetSummary(
                    id: AssetID(validatedHex: row["id"]), kind: MediaKind(rawValue: row["kind"]) ?? .video,
                    dimensions: width.flatMap { w in height.map { "\(w)x\($0)" } }, duration: row["duration"],
                    firstPath: row["first_path"])
            }
        }
    }
}
