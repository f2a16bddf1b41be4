/// Where HEAD points: at a branch (which may not have a turn yet) or directly at a turn.
public enum Head: Sendable, Equatable {
    /// On a branch; `turn` is nil until the branch's first turn is recorded.
    case branch(BranchName, turn: TurnID?)
    /// Detached at a turn.
    case detached(TurnID)

    /// The turn HEAD resolves to, if any.
    public var turn: TurnID? {
        switch self {
        case .branch(_, let turn): return turn
        case .detached(let turn): return turn
        }
    }

    /// The current branch, nil when detached.
    public var branch: BranchName? {
        if case .branch(let name, _) = self { return name }
        return nil
    }
}

/// One move of a ref, as `reflog` shows it.
public struct ReflogEntry: Sendable, Equatable {
    /// `HEAD` or a full ref such as `refs/heads/main`.
    public let ref: String
    public let old: TurnID?
    public let new: TurnID?
    public let at: String
    public let author: String
    /// Why it moved: `record: …`, `checkout: moving from main to alt`, `branch: created from …`.
    public let reason: String

    public var json: JSONValue {
        .object([
            "ref": .string(ref), "old": JSONValue(old?.hex), "new": JSONValue(new?.hex), "at": .string(at),
            "author": .string(author), "reason": .string(reason),
        ])
    }
}
