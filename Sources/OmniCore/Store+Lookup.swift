import OmniBasics
extension Store {
    /// A name that may be a revision or an asset, as `show` takes it.
    public enum Object: Sendable, Equatable {
        case turn(TurnID)
        case asset(AssetID)
    }

    /// Resolves `name` as a revision first (HEAD, a branch, a turn id), then
    /// as an asset id. A hex prefix matching both a turn and an asset is
    /// ambiguous.
    public func lookup(_ name: String) throws -> Object {
        var turn: TurnID? = nil
        var turnError: StoreError? = nil
        do {
            turn = try resolve(name)
        } catch let error as StoreError {
            turnError = error
        }
        let isPlainHex = AssetID.validPrefix(name) != nil && !name.contains("~") && !name.contains("^")
        var asset: AssetID? = nil
        if isPlainHex, (try? resolveBranchOnly(name)) == nil {
            do {
                asset = try resolveAssetID(name)
            } catch let error as StoreError where error.code == .ambiguous {
                if turn == nil { throw error }
            } catch let error as StoreError where error.code == .notFound {
                // Not an asset either; the turn lookup decides.
            }
        }
        switch (turn, asset) {
        case (let turn?, nil): return .turn(turn)
        case (nil, let asset?): return .asset(asset)
        case (let turn?, let asset?):
            throw StoreError(
                .ambiguous, "'\(name)' matches turn \(turn.short) and asset \(asset.short): give more digits")
        case (nil, nil):
            if let turnError, turnError.code != .notFound { throw turnError }
            throw StoreError(
                .notFound,
                "'\(BranchName.printable(name))' is not a turn, branch or asset",
                hint: Hint("run {} or {}", .listTurns, .listAssets))
        }
    }

    private func resolveBranchOnly(_ name: String) throws -> TurnID? {
        try branches().first { $0.name.name == name }?.turn
    }
}
