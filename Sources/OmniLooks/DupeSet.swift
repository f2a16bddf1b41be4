import OmniCore

/// Assets that look alike: each is joined to the others by a chain of matches.
public struct DupeSet: Sendable, Equatable {
    /// One asset of the set.
    public struct Member: Sendable, Equatable {
        public let asset: Asset
        /// The distance to the nearest other member.
        public let nearest: Int
    }

    /// Oldest first, as the store lists assets.
    public let members: [Member]

    /// The sets the matching `pairs` (hex ids, distance) join `assets` into:
    /// only sets of two or more, in the order of their oldest member.
    static func group(_ assets: [Asset], pairs: [(String, String, Int)]) -> [DupeSet] {
        let position = Dictionary(uniqueKeysWithValues: assets.enumerated().map { ($0.element.id.hex, $0.offset) })
        var parent = Array(assets.indices)
        func root(_ index: Int) -> Int {
            var index = index
            while parent[index] != index {
                parent[index] = parent[parent[index]]
                index = parent[index]
            }
            return index
        }
        var nearest: [Int: Int] = [:]
        for (a, b, distance) in pairs {
            // A pair whose asset is gone (or is not listed) joins nothing.
            guard let first = position[a], let second = position[b] else { continue }
            nearest[first] = min(nearest[first] ?? distance, distance)
            nearest[second] = min(nearest[second] ?? distance, distance)
            let (x, y) = (root(first), root(second))
            // The older asset stays the root, so sets come out oldest first.
            if x != y { parent[max(x, y)] = min(x, y) }
        }
        var byRoot: [Int: [Int]] = [:]
        for index in assets.indices where nearest[index] != nil { byRoot[root(index), default: []].append(index) }
        return byRoot.keys.sorted().compactMap { key in
            guard let indices = byRoot[key], indices.count >= 2 else { return nil }
            return DupeSet(
                members: indices.sorted().map { Member(asset: assets[$0], nearest: nearest[$0] ?? 0) })
        }
    }
}

/// What `Store.dupes(within:)` found.
public struct DupesReport: Sendable, Equatable {
    /// The distance asked for.
    public let distance: Int
    /// How many assets were searched this time (the others had been, at this distance or more).
    public let searched: Int
    /// The sets of near-duplicates, in the order of their oldest member.
    public let sets: [DupeSet]
}
