import Foundation
import OmniStore
import TestSupport
import Testing

/// Random DAGs (many merges, octopus merges, ties and clock skew), checked
/// against git: log order, -n, merge bases, ancestry and the two sides of a diff.
@Suite struct GraphRandomDAGOracle {
    /// Fixed cases, plus `GRAPH_RANDOM_SEEDS=1,2,3` (each seed with every date
    /// mode) for a longer soak run.
    static let cases: [(UInt64, GitRandomDAG.Dates)] = {
        var cases: [(UInt64, GitRandomDAG.Dates)] = [
            (0xC0FFEE, .increasing), (0xBADC0DE, .fewValues), (0x5EED5, .shuffled),
        ]
        let extra = ProcessInfo.processInfo.environment["GRAPH_RANDOM_SEEDS"] ?? ""
        for seed in extra.split(separator: ",").compactMap({ UInt64($0) }) {
            for mode in GitRandomDAG.Dates.allCases { cases.append((seed, mode)) }
        }
        return cases
    }()

    @Test("random DAG: log, log -n, merge-base --all, is-ancestor and A..B agree with git", arguments: cases)
    func randomDAG(_ seed: UInt64, _ dates: GitRandomDAG.Dates) async throws {
        let dir = try TemporaryDirectory("graph-random")
        let dag = GitRandomDAG(nodes: 30, seed: seed, dates: dates)
        let build = try await dag.build(in: dir.path)
        let store = try Store.open(at: build.workspace)
        let context = "seed \(seed), dates \(dates)"
        func names(_ ids: [TurnID]) -> [String] { ids.map { build.name(ofTurn: $0.hex) ?? "?" } }
        func commitNames(_ shas: [String]) -> [String] { shas.map { build.name(ofCommit: $0) ?? "?" } }
        var rng = GitSplitMix(seed ^ 0xABCDEF)

        // log --all and its prefixes.
        let gitAll = try await build.git.logSubjects(["--topo-order", "--all"])
        #expect(gitAll.count > 1, "\(context)")
        #expect(try store.log(all: true).map(\.instruction) == gitAll, "log --all, \(context)")
        for limit in [1, 2, 5, dag.count / 2, dag.count - 1] {
            #expect(
                try store.log(all: true, limit: limit).map(\.instruction) == Array(gitAll.prefix(limit)),
                "log --all -n \(limit), \(context)")
        }
        #expect(try store.log().map(\.instruction) == (try await build.git.logSubjects(["--topo-order"])), "log HEAD")
        let gitAllCount = try await build.git.run(["rev-list", "--count", "--all"]).stdoutLines.first.flatMap {
            Int($0)
        }
        #expect(try store.countTurns(all: true) == gitAllCount, "log --all --count, \(context)")

        // log from random sets of starts, given as ids and with ~N/^N.
        for _ in 0..<8 {
            let picks = (0..<(1 + rng.below(3))).map { _ in GitRandomDAG.name(rng.below(dag.count)) }
            let suffix = ["", "~1", "^1", "^2", "~2"][rng.below(5)]
            let gitStarts = picks.map { build.commits[$0]! + suffix }
            let storeStarts = picks.map { build.turns[$0]! + suffix }
            let gitResult = try await build.git.run(["log", "--format=%s", "--topo-order"] + gitStarts)
            if gitResult.succeeded {
                #expect(
                    try store.log(storeStarts).map(\.instruction) == gitResult.stdoutLines,
                    "log \(picks) \(suffix), \(context)")
                let limit = 1 + rng.below(6)
                #expect(
                    try store.log(storeStarts, limit: limit).map(\.instruction)
                        == Array(gitResult.stdoutLines.prefix(limit)),
                    "log \(picks) \(suffix) -n \(limit), \(context)")
                let gitCount = try await build.git.run(["rev-list", "--count"] + gitStarts).stdoutLines.first.flatMap {
                    Int($0)
                }
                #expect(try store.countTurns(storeStarts) == gitCount, "log --count \(picks) \(suffix), \(context)")
            } else {
                #expect(throws: StoreError.self, "\(picks) \(suffix): git fails") { try store.log(storeStarts) }
            }
        }

        // Merge bases and ancestry for random pairs (and the branch tips against each other).
        var pairs: [(String, String)] = []
        for _ in 0..<60 {
            pairs.append((GitRandomDAG.name(rng.below(dag.count)), GitRandomDAG.name(rng.below(dag.count))))
        }
        for (a, b) in pairs {
            let (ca, cb) = (build.commits[a]!, build.commits[b]!)
            let gitBases = commitNames(try await build.git.mergeBases(ca, cb))
            let bases = names(try store.mergeBases(build.turns[a]!, build.turns[b]!))
            if dates == .fewValues {
                #expect(
                    Set(bases) == Set(gitBases) && bases.count == gitBases.count, "merge-base \(a) \(b), \(context)")
            } else {
                #expect(bases == gitBases, "merge-base --all \(a) \(b), \(context)")
            }
            let gitAncestor = try await build.git.run(["merge-base", "--is-ancestor", ca, cb]).exitCode == 0
            #expect(
                try store.isAncestor(TurnID(build.turns[a]!)!, of: TurnID(build.turns[b]!)!) == gitAncestor,
                "\(a) is-ancestor \(b), \(context)")
        }
        for branch in dag.branches {
            for other in dag.branches where other.name > branch.name {
                let gitBases = commitNames(try await build.git.mergeBases(branch.name, other.name))
                #expect(
                    Set(names(try store.mergeBases(branch.name, other.name))) == Set(gitBases),
                    "merge-base \(branch.name) \(other.name), \(context)")
            }
        }

        // The two sides of a diff are B..A and A..B. With clock skew git's own
        // `B..A` walk can stop early (it trusts dates), so the sets are taken
        // from full `git rev-list` of each side instead.
        for (a, b) in pairs.prefix(12) {
            let diff = try store.diff(build.turns[a]!, build.turns[b]!)
            let reachA = Set(try await build.git.logSubjects([build.commits[a]!]))
            let reachB = Set(try await build.git.logSubjects([build.commits[b]!]))
            let onlyA = Array(reachA.subtracting(reachB))
            let onlyB = Array(reachB.subtracting(reachA))
            #expect(diff.onlyA.map(\.instruction).sorted() == onlyA.sorted(), "diff \(a) \(b) only A, \(context)")
            #expect(diff.onlyB.map(\.instruction).sorted() == onlyB.sorted(), "diff \(a) \(b) only B, \(context)")
            #expect(
                Set(names(diff.mergeBases))
                    == Set(commitNames(try await build.git.mergeBases(build.commits[a]!, build.commits[b]!))))
        }
    }
}
