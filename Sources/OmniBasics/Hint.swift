/// What can be done about a failure, as data rather than as a command line.
///
/// A library error says what went wrong in its own terms, and carries a hint:
/// advice whose `{}` placeholders each name a ``Remedy``. The library renders
/// the remedies by the API that performs them (`Store.fsck`); the CLI renders
/// them as the command to type (`'omnistore fsck'`); a web page may render
/// them as buttons. So no library message names a command or a flag.
public struct Hint: Sendable, Equatable, CustomStringConvertible {
    /// What joins the hint to the reason before it: `": "` unless the
    /// sentence reads better with `"; "` or `", "`.
    public let separator: String
    /// The advice, with `{}` where each remedy is named, in order
    /// (`"run {} to quarantine it"`).
    public let template: String
    public let remedies: [Remedy]

    public init(_ template: String, _ remedies: Remedy..., separator: String = ": ") {
        self.template = template
        self.remedies = remedies
        self.separator = separator
    }

    /// The advice with each remedy named by `name`.
    public func text(naming name: (Remedy) -> String) -> String {
        var out = ""
        var remaining = remedies[...]
        var rest = template[...]
        while let range = rest.range(of: "{}") {
            out += rest[..<range.lowerBound]
            out += remaining.popFirst().map(name) ?? "{}"
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// The advice in library terms.
    public var description: String { text { $0.libraryName } }

    /// `reason` followed by the hint, each remedy named by `name`.
    public static func join(_ reason: String, _ hint: Hint?, naming name: (Remedy) -> String) -> String {
        guard let hint else { return reason }
        return reason + hint.separator + hint.text(naming: name)
    }
}

/// An action a hint can point at. Each names an operation of the library (or
/// one of its options); how it is spelled is up to whoever shows the hint.
public enum Remedy: Sendable, Equatable {
    /// Make a store (in this directory, when given).
    case createStore(directory: String?)
    /// Add this file (or the original file) to the store.
    case addFile(path: String?)
    case listAssets
    /// Record a turn (of a given clip, or of the working file).
    case record(givenClip: Bool)
    /// Write a revision's clip to the working file.
    case checkout(String)
    /// List every turn of every branch.
    case listTurns
    case listBranches
    /// Delete a branch; `force` also when HEAD does not contain it.
    case deleteBranch(String?, force: Bool)
    /// Set a setting again.
    case setSetting(String)
    /// Verify the store.
    case check
    /// Verify the store, hashing every object (not only sizes).
    case fullCheck
    /// Rebuild the index from the store's files.
    case rebuildIndex
    /// Download every object a lazy clone has not fetched.
    case fetchObjects
    /// List failed and unanswered generation attempts.
    case listAttempts
    /// Finish pending interactions (this one, or all).
    case resume(String?)
    /// Cancel a pending interaction.
    case cancel(String)
    /// Continue a version with an edit.
    case editFrom
    /// Translate the speech of a clip.
    case translate
    /// Fetch a remote's branches (one, or all).
    case pull(remote: String, branch: String?)
    /// Overwrite a remote's branch with this store's.
    case forcePush
    case addRemote(String)
    case removeRemote(String?)
    case listRemotes
    /// An option of the operation that failed.
    case option(Option)

    /// Options that hints point at.
    public enum Option: Sendable, Equatable {
        /// Overwrite or discard what would otherwise be kept.
        case force
        /// Start the new turn on a new branch.
        case newBranch
        /// Times to take frames at.
        case frameTimes
        /// The largest estimate to accept.
        case maxCost
        /// An S3 bucket's region.
        case region
        /// An S3 endpoint.
        case endpoint
        /// Check sizes only, without hashing.
        case fast
    }

    /// The remedy by the library API that performs it.
    public var libraryName: String {
        switch self {
        case .createStore: "Store.create(at:)"
        case .addFile(let path): path.map { "Store.add(file: \"\($0)\")" } ?? "Store.add(file:)"
        case .listAssets: "Store.assets()"
        case .record: "Store.record(_:)"
        case .checkout(let revision): "Store.checkout(\"\(revision)\")"
        case .listTurns: "Store.log(all: true)"
        case .listBranches: "Store.branches()"
        case .deleteBranch(_, let force): force ? "Store.deleteBranch(_:force: true)" : "Store.deleteBranch(_:)"
        case .setSetting(let key): "Store.setConfig(\"\(key)\", _:)"
        case .check: "Store.fsck()"
        case .fullCheck: "Store.fsck(fast: false)"
        case .rebuildIndex: "Store.rebuildIndex(at:)"
        case .fetchObjects: "Store.fetchObjects(all: true)"
        case .listAttempts: "Store.failedAttempts()"
        case .resume(let id): id.map { "Store.resume(\"\($0)\")" } ?? "Store.resume()"
        case .cancel(let id): "Store.cancel(\"\(id)\")"
        case .editFrom: "an edit (GenerationOptions(kind: .edit) with from)"
        case .translate: "GenerationOptions.translation(into:)"
        case .pull(let remote, let branch): "Store.pull(\"\(remote)\"\(branch.map { ", [\"\($0)\"]" } ?? ""))"
        case .forcePush: "Store.push(force: true)"
        case .addRemote(let name): "Store.addRemote(\"\(name)\", url:)"
        case .removeRemote(let name): name.map { "Store.removeRemote(\"\($0)\")" } ?? "Store.removeRemote(_:)"
        case .listRemotes: "Store.remotes()"
        case .option(let option):
            switch option {
            case .force: "force"
            case .newBranch: "newBranch"
            case .frameTimes: "explicit times"
            case .maxCost: "maxCost"
            case .region: "region"
            case .endpoint: "endpoint"
            case .fast: "fast"
            }
        }
    }
}
