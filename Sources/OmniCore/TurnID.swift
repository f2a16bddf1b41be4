/// The id of a turn: the SHA-256 of its canonical record (see ``CanonicalJSON``).
public struct TurnID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Validates a full 64-digit hex id; returns nil for anything else.
    public init?(_ text: String) {
        guard let asset = AssetID(text) else { return nil }
        hex = asset.hex
    }

    package init(validatedHex: String) {
        hex = validatedHex
    }

    /// The first 12 digits, as listings show it.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (lhs: TurnID, rhs: TurnID) -> Bool { lhs.hex < rhs.hex }
}
