import OmniBasics

/// Which library assets a clone brings with pull (and brought at clone
/// time): chosen when cloning, kept as the `library_filter` setting.
/// Turns always bring the assets they use; the filter only limits the
/// assets that are in the library without a turn needing them.
public struct LibraryFilter: Sendable, Equatable {
    /// Only the assets that turns use: no library-only asset.
    public var onlyUsed: Bool
    /// Library assets larger than this many bytes stay on the remote.
    public var maxSize: Int64?
    /// Only library assets with one of these tags (or a tag below one: `brand` takes `brand/logo`).
    public var tags: [String]

    public init(onlyUsed: Bool = false, maxSize: Int64? = nil, tags: [String] = []) {
        self.onlyUsed = onlyUsed
        self.maxSize = maxSize
        self.tags = tags
    }

    /// Whether it lets every library asset through.
    public var isEmpty: Bool { !onlyUsed && maxSize == nil && tags.isEmpty }

    /// The setting's value: canonical JSON.
    public var settingText: String {
        var fields: [String: JSONValue] = [:]
        if onlyUsed { fields["only_used"] = .bool(true) }
        if let maxSize { fields["max_size"] = .int(maxSize) }
        if !tags.isEmpty { fields["tags"] = .array(tags.map(JSONValue.string)) }
        return CanonicalJSON.text(.object(fields))
    }

    /// Reads the setting's value; nil when it is not one.
    public init?(settingText text: String) {
        guard case .object(let fields)? = try? JSONParser.parse(text) else { return nil }
        onlyUsed = fields["only_used"]?.boolValue ?? false
        maxSize = fields["max_size"]?.int64Value
        let tags = fields["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if let maxSize, maxSize < 0 { return nil }
        if tags.contains(where: { Store.tagProblem($0) != nil }) { return nil }
        self.tags = tags
    }

    /// Whether a library asset of `size` bytes with `assetTags` comes in.
    public func admits(size: Int64?, tags assetTags: [String]) -> Bool {
        if onlyUsed { return false }
        if let maxSize, let size, size > maxSize { return false }
        if !tags.isEmpty {
            return assetTags.contains { tag in tags.contains { tag == $0 || tag.hasPrefix($0 + "/") } }
        }
        return true
    }
}

extension Store {
    /// This store's library filter (see ``LibraryFilter``); empty when unset.
    public func libraryFilter() throws -> LibraryFilter {
        guard let text = try config("library_filter") else { return LibraryFilter() }
        return LibraryFilter(settingText: text) ?? LibraryFilter()
    }

    /// Sets the library filter; an empty one removes the setting.
    public func setLibraryFilter(_ filter: LibraryFilter) throws {
        try setConfig("library_filter", filter.isEmpty ? nil : filter.settingText)
    }
}
