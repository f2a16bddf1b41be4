/// Everything needed to record a turn with ``Store/record(_:)``.
public struct RecordRequest: Sendable {
    /// The clip the turn produced; nil records the working file.
    public var output: AssetSource?
    public var instruction: String
    /// Reference assets, in order.
    public var inputs: [AssetSource] = []
    /// Parent revisions; nil means HEAD, read in the same transaction that
    /// advances the branch, so concurrent records chain instead of colliding.
    public var parents: [String]? = nil
    public var kind: TurnKind = .record
    public var model: String? = nil
    public var interaction: Turn.Interaction? = nil
    public var settings: [String: JSONValue] = [:]
    public var cost: Turn.Cost? = nil
    /// Create this branch at the new turn and switch HEAD to it, instead of
    /// advancing the current branch.
    public var newBranch: String? = nil
    /// The pending interaction this turn completes; it is cleared in the same
    /// transaction, so a generation lands exactly once.
    public var pendingInteraction: String? = nil

    public init(output: AssetSource?, instruction: String) {
        self.output = output
        self.instruction = instruction
    }
}

/// What ``Store/record(_:)`` did.
public struct RecordResult: Sendable {
    public let turn: Turn
    /// The branch that now points at the turn (nil when HEAD is detached).
    public let branch: BranchName?
    /// Set when the branch had moved to a turn the new one does not descend
    /// from: the new turn was kept on this new branch instead, so nothing is lost.
    public let sideBranch: BranchName?
    /// Where the branch was when the side branch was made.
    public let branchTip: TurnID?
    /// Whether the working file now holds the turn's output.
    public let workfileUpdated: Bool

    package init(turn: Turn, branch: BranchName?, sideBranch: BranchName?, branchTip: TurnID?, workfileUpdated: Bool) {
        self.turn = turn
        self.branch = branch
        self.sideBranch = sideBranch
        self.branchTip = branchTip
        self.workfileUpdated = workfileUpdated
    }
}
