import Foundation

/// One step of a history built twice, once in git and once in omnistore.
public enum GitGraphStep: Sendable {
    /// A commit/turn named `name` (its message) on `branch`, which HEAD moves
    /// to first. Its parents are the branch tip followed by the tips named in
    /// `merging` (names of earlier turns), as `git merge --no-ff` would make.
    case turn(String, on: String, merging: [String] = [], cost: Double? = nil)
    /// A branch created at the turn named `at`.
    case branch(String, at: String)
    /// HEAD moves to a branch.
    case checkout(String)
}

/// A DAG described as steps, and how to build it in a scratch git repo
/// (the oracle) and, through the `omnistore` CLI, in a store.
///
/// Both sides get the same dates: git's author/committer date and
/// `OMNISTORE_DATE` are the step's `date(index)` in Unix seconds.
public struct GitGraphScenario: Sendable {
    public var steps: [GitGraphStep]
    /// The Unix time of step `index`.
    public var date: @Sendable (Int) -> Int

    public init(steps: [GitGraphStep], date: @escaping @Sendable (Int) -> Int = { 1_700_000_000 + $0 * 60 }) {
        self.steps = steps
        self.date = date
    }

    /// The same steps with other dates.
    public func dated(_ date: @escaping @Sendable (Int) -> Int) -> GitGraphScenario {
        GitGraphScenario(steps: steps, date: date)
    }

    /// A main line, a topic branch merged back, a branch off an old turn,
    /// a criss-cross merge (two merge bases), an octopus merge, and branch
    /// names that sort differently by bytes and by case. HEAD ends on `feat`.
    public static let standard = GitGraphScenario(steps: [
        .turn("A1", on: "main", cost: 0.5),
        .turn("A2", on: "main"),
        .branch("feat", at: "A2"),
        .turn("F1", on: "feat", cost: 1.25),
        .turn("A3", on: "main"),
        .turn("F2", on: "feat"),
        .branch("old", at: "A1"),
        .turn("O1", on: "old", cost: 0.034),
        .turn("M1", on: "main", merging: ["F2"]),
        .turn("O2", on: "old"),
        .turn("F3", on: "feat", cost: 2),
        .turn("A4", on: "main"),
        .branch("cx1", at: "A4"),
        .branch("cx2", at: "F3"),
        .turn("P", on: "cx1"),
        .turn("Q", on: "cx2"),
        .turn("X", on: "cx1", merging: ["Q"]),
        .turn("Y", on: "cx2", merging: ["P"]),
        .turn("M2", on: "main", merging: ["O2", "Y"]),
        .turn("F4", on: "feat"),
        .branch("style/Noir", at: "M1"),
        .turn("N1", on: "style/Noir"),
        .branch("Zeta", at: "O1"),
        .turn("A5", on: "main"),
        .turn("X2", on: "cx1"),
        .checkout("feat"),
    ])

    /// Builds the history in `directory/git` and in an omnistore workspace
    /// `directory/ws`. `salt` varies the clips between scenarios.
    public func build(in directory: String, salt: Int = 0) async throws -> GitGraphBuild {
        let git = try await GitScratchRepo.create(at: directory + "/git")
        let workspace = directory + "/ws"
        let clips = directory + "/clips"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: clips, withIntermediateDirectories: true)
        let base = ["OMNISTORE_AUTHOR": "graph-test"]
        try await GitGraphBuild.omnistoreCheck(["init"], in: workspace, environment: base)

        var commits: [String: String] = [:]
        var turns: [String: String] = [:]
        var gitTips: [String: String] = [:]
        var storeTips: [String: String] = [:]
        var gitHead = "main"
        var storeHead = "main"
        var order: [String] = []
        var dates: [String: Int] = [:]

        for (index, step) in steps.enumerated() {
            let when = date(index)
            var env = base
            env["OMNISTORE_DATE"] = "@\(when)"
            switch step {
            case .branch(let name, let at):
                guard let sha = commits[at], let id = turns[at] else { throw TestSupportError("no turn \(at) yet") }
                try await git.setBranch(name, to: sha)
                gitTips[name] = sha
                try await GitGraphBuild.omnistoreCheck(["branch", name, id], in: workspace, environment: env)
                storeTips[name] = id
            case .checkout(let branch):
                gitHead = branch
                if storeHead != branch {
                    try await GitGraphBuild.omnistoreCheck(["checkout", branch], in: workspace, environment: env)
                    storeHead = branch
                }
            case .turn(let name, let branch, let merging, let cost):
                // git: commit-tree with the branch tip and the merged tips, then move the branch.
                var gitParents = gitTips[branch].map { [$0] } ?? []
                for other in merging {
                    guard let sha = commits[other] else { throw TestSupportError("no commit \(other) yet") }
                    gitParents.append(sha)
                }
                let sha = try await git.commit(message: name, parents: gitParents, unixSeconds: when)
                try await git.setBranch(branch, to: sha)
                gitTips[branch] = sha
                gitHead = branch

                // omnistore: check the branch out, then record (parent HEAD, or explicit for a merge).
                if storeHead != branch {
                    try await GitGraphBuild.omnistoreCheck(["checkout", branch], in: workspace, environment: env)
                    storeHead = branch
                }
                let clip = clips + "/clip-\(index).wav"
                try WAV.data(seed: salt &* 10_007 &+ index).write(to: URL(fileURLWithPath: clip))
                var arguments = ["record", clip, "-m", name, "--json"]
                if !merging.isEmpty {
                    guard let tip = storeTips[branch] else { throw TestSupportError("merge onto unborn \(branch)") }
                    arguments += ["--parent", tip]
                    for other in merging {
                        guard let id = turns[other] else { throw TestSupportError("no turn \(other) yet") }
                        arguments += ["--parent", id]
                    }
                }
                if let cost { arguments += ["--cost", String(cost)] }
                let result = try await GitGraphBuild.omnistoreCheck(arguments, in: workspace, environment: env)
                guard let json = try JSONText.parse(result.stdout) as? [String: Any], let id = json["id"] as? String
                else { throw TestSupportError("record --json printed no id:\n\(result)") }
                guard json["branch"] as? String == branch, json["side_branch"] is NSNull else {
                    throw TestSupportError("record of \(name) did not advance \(branch):\n\(result)")
                }
                turns[name] = id
                commits[name] = sha
                storeTips[branch] = id
                order.append(name)
                dates[name] = when
            }
        }
        try await git.setHead(branch: gitHead)
        if storeHead != gitHead {
            try await GitGraphBuild.omnistoreCheck(["checkout", gitHead], in: workspace, environment: base)
        }
        return GitGraphBuild(
            git: git, workspace: workspace, commits: commits, turns: turns, order: order, dates: dates,
            head: gitHead, environment: base)
    }
}

/// A history built by ``GitGraphScenario/build(in:salt:)``.
public struct GitGraphBuild: Sendable {
    public let git: GitScratchRepo
    /// The omnistore workspace (holds `.omnistore`).
    public let workspace: String
    /// Turn name → git commit id.
    public let commits: [String: String]
    /// Turn name → omnistore turn id.
    public let turns: [String: String]
    /// Turn names in the order they were made.
    public let order: [String]
    /// Turn name → Unix seconds.
    public let dates: [String: Int]
    /// The branch HEAD is on at the end.
    public let head: String
    /// The environment the omnistore side was built with (minus the date).
    public let environment: [String: String]

    /// The turn name of a git commit id.
    public func name(ofCommit sha: String) -> String? {
        commits.first { $0.value == sha }?.key
    }

    /// The turn name of an omnistore turn id.
    public func name(ofTurn id: String) -> String? {
        turns.first { $0.value == id }?.key
    }

    /// Runs omnistore in the workspace.
    public func omnistore(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessResult {
        try await OmnistoreCLI.run(arguments, in: workspace, environment: self.environment.merging(environment) { $1 })
    }

    /// Runs omnistore with `--json` appended and parses its output; throws unless it exits 0.
    public func omnistoreJSON(_ arguments: [String]) async throws -> Any {
        let result = try await omnistore(arguments + ["--json"])
        guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
        return try JSONText.parse(result.stdout)
    }

    /// The instructions `omnistore log ARGS --json` lists, in order.
    public func logInstructions(_ arguments: [String]) async throws -> [String] {
        guard let items = try await omnistoreJSON(["log"] + arguments) as? [[String: Any]] else {
            throw TestSupportError("log --json is not an array of objects")
        }
        return items.map { $0["instruction"] as? String ?? "<no instruction>" }
    }

    @discardableResult
    static func omnistoreCheck(_ arguments: [String], in directory: String, environment: [String: String])
        async throws -> ProcessResult
    {
        let result = try await OmnistoreCLI.run(arguments, in: directory, environment: environment)
        guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
        return result
    }
}

/// A random DAG with one root: every node after the first has one to three
/// earlier parents (the first parent usually the node just before, so there
/// are long lines as well as many merges), random dates (with ties and clock
/// skew when asked), a few branches at random nodes and HEAD detached at the
/// last node. Built in git with `commit-tree`, and in omnistore by recording
/// on a detached HEAD with explicit `--parent`s.
public struct GitRandomDAG: Sendable {
    public enum Dates: String, Sendable, CaseIterable {
        /// One minute apart, in creation order.
        case increasing
        /// Drawn from six values: many ties, and children older than parents.
        case fewValues
        /// All distinct, in random order.
        case shuffled
    }

    public let seed: UInt64
    /// `parents[i]`: indices of node i's parents (all < i), first parent first.
    public let parents: [[Int]]
    /// Unix seconds of each node.
    public let dates: [Int]
    /// Branch name and the node it points at; `main` is at the root.
    public let branches: [GitRandomDAGBranch]

    public var count: Int { parents.count }

    public init(nodes: Int, seed: UInt64, dates mode: Dates) {
        var rng = GitSplitMix(seed)
        var parents: [[Int]] = [[]]
        for index in 1..<nodes {
            let first = rng.below(2) == 0 ? index - 1 : rng.below(index)
            var chosen = [first]
            let roll = rng.below(10)
            let extra = roll < 6 ? 0 : roll < 9 ? 1 : 2
            for _ in 0..<extra where chosen.count < index {
                var other = rng.below(index)
                while chosen.contains(other) { other = rng.below(index) }
                chosen.append(other)
            }
            parents.append(chosen)
        }
        let base = 1_700_000_000
        switch mode {
        case .increasing: dates = (0..<nodes).map { base + $0 * 60 }
        case .fewValues: dates = (0..<nodes).map { _ in base + rng.below(6) * 60 }
        case .shuffled:
            var values = Array(0..<nodes)
            for i in stride(from: nodes - 1, to: 0, by: -1) { values.swapAt(i, rng.below(i + 1)) }
            dates = values.map { base + $0 * 60 }
        }
        var branches = [GitRandomDAGBranch(name: "main", node: 0)]
        for k in 0..<6 { branches.append(GitRandomDAGBranch(name: "b\(k)", node: rng.below(nodes))) }
        self.seed = seed
        self.parents = parents
        self.branches = branches
    }

    public static func name(_ node: Int) -> String { "n\(node)" }

    public func build(in directory: String) async throws -> GitGraphBuild {
        let git = try await GitScratchRepo.create(at: directory + "/git")
        let workspace = directory + "/ws"
        let clips = directory + "/clips"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: clips, withIntermediateDirectories: true)
        let env = ["OMNISTORE_AUTHOR": "graph-test"]
        try await GitGraphBuild.omnistoreCheck(["init"], in: workspace, environment: env)
        var commits: [String] = []
        var turns: [String] = []
        for node in 0..<count {
            let name = GitRandomDAG.name(node)
            commits.append(
                try await git.commit(
                    message: name, parents: parents[node].map { commits[$0] }, unixSeconds: dates[node]))
            let clip = clips + "/\(node).wav"
            try WAV.data(seed: Int(truncatingIfNeeded: seed) &+ node).write(to: URL(fileURLWithPath: clip))
            var arguments = ["record", clip, "-m", name, "--json"]
            for parent in parents[node] { arguments += ["--parent", turns[parent]] }
            let result = try await GitGraphBuild.omnistoreCheck(
                arguments, in: workspace, environment: env.merging(["OMNISTORE_DATE": "@\(dates[node])"]) { $1 })
            guard let id = try JSONText.object(result.stdout)["id"] as? String else {
                throw TestSupportError("record printed no id:\n\(result)")
            }
            turns.append(id)
            if node == 0 {
                // Detach HEAD, so later records only move HEAD.
                try await GitGraphBuild.omnistoreCheck(["checkout", id], in: workspace, environment: env)
            }
        }
        for branch in branches {
            try await git.setBranch(branch.name, to: commits[branch.node])
            if branch.name != "main" {
                try await GitGraphBuild.omnistoreCheck(
                    ["branch", branch.name, turns[branch.node]], in: workspace, environment: env)
            }
        }
        try await git.check(["update-ref", "--no-deref", "HEAD", commits[count - 1]])
        let names = (0..<count).map(GitRandomDAG.name)
        return GitGraphBuild(
            git: git, workspace: workspace, commits: Dictionary(uniqueKeysWithValues: zip(names, commits)),
            turns: Dictionary(uniqueKeysWithValues: zip(names, turns)), order: names,
            dates: Dictionary(uniqueKeysWithValues: zip(names, dates)), head: "HEAD", environment: env)
    }
}

public struct GitRandomDAGBranch: Sendable {
    public let name: String
    public let node: Int
}

/// SplitMix64: a small, seedable generator for reproducible random graphs.
public struct GitSplitMix: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(_ seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in `0..<bound`.
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
