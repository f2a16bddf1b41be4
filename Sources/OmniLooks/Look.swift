/// What a picture or a clip looks like: its PDQ hash, or for a clip the bag
/// of PDQ hashes of frames sampled about once a second (Meta's vPDQ).
///
/// Two looks are compared by ``distance(to:)``: for two still images, the
/// Hamming distance of their hashes; for two clips, the smallest distance
/// at which both clips match by vPDQ's rule. A still and a clip never match.
///
/// ## Topics
/// - ``distance(to:)``
/// - ``matchingPercent``
/// - ``minimumDurationRatio``
public struct Look: Sendable, Equatable {
    /// The percentage of a clip's frames that must each have a match on the
    /// other side (Meta's vPDQ default).
    public static let matchingPercent = 80
    /// Clips whose durations differ more than this ratio (shorter / longer)
    /// never match: sharing a few frames, such as a black opening, is not
    /// being the same clip.
    public static let minimumDurationRatio = 0.8

    /// The hashed pictures, in time order; none when nothing could be hashed.
    public let frames: [LookFrame]
    /// Seconds of video; nil for a still image.
    public let duration: Double?

    public init(frames: [LookFrame], duration: Double?) {
        self.frames = frames
        self.duration = duration
    }

    /// Whether this is the look of a still image.
    public var isStill: Bool { duration == nil }

    /// The frames good enough to compare (quality ≥ 50).
    public var usableFrames: [LookFrame] { frames.filter(\.isUsable) }

    /// The smallest Hamming distance at which the two looks match, or nil
    /// when they cannot match at all (a still against a clip, durations too
    /// far apart, or no frame of quality ≥ 50 on a side).
    ///
    /// For clips this is vPDQ's rule turned into a distance: at distance `d`,
    /// a frame matches when some frame of the other clip is within `d`, and
    /// the clips match when at least 80% of one clip's frames match (Meta's
    /// defaults, c% ≥ 80 and q% ≥ 0, with either clip as the candidate). So
    /// `distance(to:) <= 31` is Meta's default match, and the distance is
    /// symmetric, as grouping duplicates needs. Either clip may be the
    /// candidate because the samples follow each file's keyframes: a
    /// re-encode with keyframes further apart has fewer samples, each close
    /// to one of the original's, while some of the original's samples fall
    /// between its keyframes. Frame order is not used.
    public func distance(to other: Look) -> Int? {
        guard isStill == other.isStill else { return nil }
        let mine = usableFrames.map(\.hash)
        let theirs = other.usableFrames.map(\.hash)
        guard !mine.isEmpty, !theirs.isEmpty else { return nil }
        if let duration, let otherDuration = other.duration {
            let longer = max(duration, otherDuration)
            if longer > 0, min(duration, otherDuration) / longer < Self.minimumDurationRatio { return nil }
        }
        return min(Self.coverDistance(of: theirs, by: mine), Self.coverDistance(of: mine, by: theirs))
    }

    /// The smallest `d` such that 80% of `frames` are each within `d` of some hash in `by`.
    static func coverDistance(of frames: [PDQHash], by others: [PDQHash]) -> Int {
        var nearest = frames.map { frame in others.reduce(256) { min($0, frame.distance(to: $1)) } }
        nearest.sort()
        // Rounded up, in integers: 80% of 5 frames is 4, not 4.000000000000001.
        let needed = (nearest.count * matchingPercent + 99) / 100
        return nearest[max(0, needed - 1)]
    }
}
