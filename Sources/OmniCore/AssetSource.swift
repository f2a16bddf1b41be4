import Foundation

/// A clip or reference named on the command line: a file to add, or an asset
/// already in the store, optionally with a name (`PATH|ASSET[:NAME]`).
public struct AssetSource: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        case file(String)
        case asset(String)
    }

    public var origin: Origin
    /// The name the turn records for it; defaults to the file name or the id prefix.
    public var name: String?

    public init(_ origin: Origin, name: String? = nil) {
        self.origin = origin
        self.name = name
    }

    /// Parses `PATH`, `ASSET`, `PATH:NAME` or `ASSET:NAME`. An existing file
    /// wins over every other reading, so paths containing ':' still work.
    public static func parse(_ spec: String) -> AssetSource {
        if FileManager.default.fileExists(atPath: spec) { return AssetSource(.file(spec)) }
        var base = spec
        var name: String? = nil
        if let colon = spec.lastIndex(of: ":"), colon != spec.startIndex {
            base = String(spec[..<colon])
            name = String(spec[spec.index(after: colon)...])
        }
        if FileManager.default.fileExists(atPath: base) { return AssetSource(.file(base), name: name) }
        if AssetID.validPrefix(base) != nil { return AssetSource(.asset(base), name: name) }
        return AssetSource(.file(base), name: name)
    }
}
