/// Looks laid out for a linear scan: the stills' hashes as one contiguous
/// array of words (XOR and popcount, no allocation per comparison), the
/// clips apart, since a clip compares as a bag of frames.
///
/// A still has one hash, so two stills compare in four popcounts; at 100k
/// stills a scan is a few hundred microseconds, and a search of every still
/// against the ones before it (what `dupes` does) about n²/2 of them.
struct LookIndex {
    /// Where each entry sits: among the stills, or among the clips.
    enum Slot {
        case still(Int)
        case clip(Int)
        /// No usable frame: it matches nothing.
        case none
    }

    private(set) var stillWords: [UInt64] = []
    private(set) var stillEntries: [Int] = []
    private(set) var clips: [(entry: Int, look: Look)] = []
    private(set) var slots: [Slot] = []

    /// Indexes `looks` in order; entry `i` is `looks[i]`.
    init(_ looks: [Look]) {
        for (entry, look) in looks.enumerated() {
            if look.isStill {
                guard let frame = look.usableFrames.first else {
                    slots.append(.none)
                    continue
                }
                slots.append(.still(stillEntries.count))
                stillEntries.append(entry)
                let words = frame.hash.words
                stillWords += [words.0, words.1, words.2, words.3]
            } else if look.usableFrames.isEmpty {
                slots.append(.none)
            } else {
                slots.append(.clip(clips.count))
                clips.append((entry, look))
            }
        }
    }

    /// The entries within `distance` of `look`, with their distances.
    ///
    /// - Parameter slot: compare only with the stills or clips before this
    ///   one (all of them when nil): `dupes` compares each entry with those
    ///   before it, so each pair once.
    func matches(of look: Look, within distance: Int, before slot: Slot? = nil) -> [(entry: Int, distance: Int)] {
        var found: [(entry: Int, distance: Int)] = []
        if look.isStill {
            guard let hash = look.usableFrames.first?.hash else { return [] }
            var limit = stillEntries.count
            if case .still(let position) = slot { limit = position }
            let query = hash.words
            stillWords.withUnsafeBufferPointer { words in
                for position in 0..<limit {
                    let base = 4 * position
                    let d =
                        (words[base] ^ query.0).nonzeroBitCount + (words[base + 1] ^ query.1).nonzeroBitCount
                        + (words[base + 2] ^ query.2).nonzeroBitCount + (words[base + 3] ^ query.3).nonzeroBitCount
                    if d <= distance { found.append((stillEntries[position], d)) }
                }
            }
        } else {
            var limit = clips.count
            if case .clip(let position) = slot { limit = position }
            for (entry, other) in clips.prefix(limit) {
                if let d = look.distance(to: other), d <= distance { found.append((entry, d)) }
            }
        }
        return found
    }
}
