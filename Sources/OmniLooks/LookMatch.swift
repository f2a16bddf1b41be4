import OmniCore

/// An asset that looks like what was asked, and how far it is.
public struct LookMatch: Sendable, Equatable {
    public let asset: Asset
    /// The distance between the looks (see ``Look/distance(to:)``).
    public let distance: Int

    public init(asset: Asset, distance: Int) {
        self.asset = asset
        self.distance = distance
    }
}
