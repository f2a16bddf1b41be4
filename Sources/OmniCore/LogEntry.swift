/// One line of `log`: a turn's summary without parsing its full record.
public struct LogEntry: Sendable, Equatable {
    public let id: TurnID
    public let parents: [TurnID]
    public let kind: TurnKind
    public let instruction: String
    public let output: AssetID
    public let model: String?
    public let costUSD: Double?
    public let createdAt: String
    /// The output's duration, and its size as a player shows it (rotation and
    /// sample aspect ratio applied), from its probe.
    public let duration: Double?
    public let width: Int?
    public let height: Int?
}
